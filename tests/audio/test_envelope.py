"""The envelope vocoder: what it analyses from speech-like signals renders back with the same pitch,
the same spectral shape and the same level, voiced or not."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gpt_sovits.audio.envelope import N_BANDS, analyse, band_centres, render
from gpt_sovits.audio.pitch import pitch_track

SR, HOP = 32000, 320


def _vowel(f0: float, seconds: float = 1.0, formants=(700.0, 1200.0, 2600.0)) -> np.ndarray:
    """A harmonic signal whose harmonic amplitudes follow three resonances."""
    t = np.arange(int(SR * seconds)) / SR
    out = np.zeros_like(t)
    for k in range(1, int(15000 / f0)):
        fk = k * f0
        gain = sum(1.0 / (1.0 + ((fk - f) / 150.0) ** 2) for f in formants) + 0.02
        out += gain * np.sin(2 * np.pi * fk * t + 0.3 * k)
    return (0.3 * out / np.abs(out).max()).astype(np.float32)


def _band_db(audio: np.ndarray, f0: float) -> np.ndarray:
    frames = len(audio) // HOP
    env = analyse(audio, SR, HOP, np.full(frames, f0))
    return 20 / np.log(10) * np.median(env[5:-5], axis=0)


def _render(env: np.ndarray, f0: np.ndarray, voiced: np.ndarray, seed: int = 0) -> np.ndarray:
    return render(torch.from_numpy(env), torch.from_numpy(f0).float(), torch.from_numpy(voiced).float(), SR, HOP,
                  torch.Generator().manual_seed(seed)).numpy()


@pytest.mark.parametrize("f0", [95.0, 180.0, 310.0])
def test_a_vowel_renders_back_at_its_pitch_with_its_spectral_shape(f0):
    audio = _vowel(f0)
    frames = len(audio) // HOP
    env = analyse(audio, SR, HOP, np.full(frames, f0))
    assert env.shape == (frames, N_BANDS)
    again = _render(env, np.full(frames, f0), np.ones(frames))
    assert again.shape == (frames * HOP,)
    track = pitch_track(again, SR)
    assert np.median(track[track > 0]) == pytest.approx(f0, rel=0.02)
    original_db, rendered_db = _band_db(audio, f0), _band_db(again, f0)
    speech_band = band_centres(SR) < 5000
    # the formants stay where they were, within 3 dB on average over the speech band
    assert np.abs(original_db - rendered_db)[speech_band].mean() < 3.0
    assert np.sqrt(np.mean(again ** 2)) == pytest.approx(np.sqrt(np.mean(audio ** 2)), rel=0.25)


def test_noise_renders_as_noise_of_the_same_colour_and_level():
    rng = np.random.default_rng(0)
    white = rng.standard_normal(SR).astype(np.float32) * 0.05
    hiss = np.convolve(white, [1.0, -0.9], mode="same").astype(np.float32)  # a high-pass "s"-like noise
    frames = len(hiss) // HOP
    unvoiced = np.zeros(frames)
    env = analyse(hiss, SR, HOP, unvoiced)
    again = _render(env, unvoiced, unvoiced)
    assert pitch_track(again, SR).max() == 0.0 or np.mean(pitch_track(again, SR) > 0) < 0.1
    spectrum = np.abs(np.fft.rfft(again[: SR // 2]))  # half a second: 2 Hz per bin
    low, high = spectrum[:500].mean(), spectrum[2000:4000].mean()  # 0-1 kHz against 4-8 kHz
    assert high > 2 * low  # still high-pass
    assert np.std(again) == pytest.approx(np.std(hiss), rel=0.3)


def test_silence_stays_silent_and_voicing_switches_harmonics_off():
    frames = 50
    quiet = np.full((frames, N_BANDS), np.log(1e-6), dtype=np.float32)
    assert np.abs(_render(quiet, np.full(frames, 150.0), np.ones(frames))).max() < 1e-4
    loud = analyse(_vowel(150.0, 0.5), SR, HOP, np.full(frames, 150.0))
    voiced = _render(loud, np.full(frames, 150.0), np.ones(frames))
    whispered = _render(loud, np.full(frames, 150.0), np.zeros(frames))
    assert np.median(pitch_track(voiced, SR)) == pytest.approx(150.0, rel=0.03)
    assert np.mean(pitch_track(whispered, SR) > 0) < 0.2  # noise only: (almost) no frame with a pitch


def test_rendering_is_reproducible_with_a_seeded_generator():
    frames = 30
    env = analyse(_vowel(200.0, 0.3), SR, HOP, np.full(frames, 200.0))
    a = _render(env, np.full(frames, 200.0), np.ones(frames), seed=3)
    b = _render(env, np.full(frames, 200.0), np.ones(frames), seed=3)
    c = _render(env, np.full(frames, 200.0), np.ones(frames), seed=4)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_a_pitch_above_the_band_edge_renders_only_the_noise_part():
    """An untrained decoder can guess an F0 above every harmonic's reach (it crashed the first
    training step that rendered it): the take is then the shaped noise, of the right length."""
    frames = 20
    env = analyse(_vowel(200.0, 0.2), SR, HOP, np.full(frames, 200.0))
    high = _render(env, np.full(frames, 40_000.0), np.full(frames, 0.7))
    assert high.shape == (frames * HOP,) and np.isfinite(high).all() and np.abs(high).max() > 0
    noise_only = _render(env, np.full(frames, 40_000.0), np.zeros(frames))
    assert high.std() < 0.5 * noise_only.std()  # voiced frames keep their noise quieter, harmonics or not


def test_a_voiced_frame_is_harmonic_below_the_voiced_band_and_breathy_above_it():
    """Harmonics stand > 40 dB above the noise between them in 0.6-3 kHz; above 8 kHz the rendered
    spectrum is noise (no harmonic comb), as in a real voice: a comb up to 16 kHz sounds buzzy."""
    f0, frames = 200.0, 100
    env = analyse(_vowel(f0, 0.5), SR, HOP, np.full(frames, f0))
    env[:, band_centres(SR) > 7000] = env[:, band_centres(SR) < 3000].mean()  # energy up there to look at
    audio = _render(env, np.full(frames, f0), np.ones(frames))[:SR]  # 1 s: 1 Hz per bin
    spectrum = 20 * np.log10(np.abs(np.fft.rfft(audio)) + 1e-9)

    def comb_depth(lo: int, hi: int) -> float:
        peaks = [spectrum[k - 3:k + 4].max() for k in range(lo, hi, int(f0))]
        valleys = [np.median(spectrum[k + 60:k + 141]) for k in range(lo, hi, int(f0))]
        return float(np.median(np.array(peaks) - np.array(valleys)))

    assert comb_depth(600, 3000) > 40.0  # a flat -18 dB noise under every harmonic: 34 dB
    assert comb_depth(8000, 11000) < 7.0  # and there: 11 dB
