"""Pitch tracking, and the share of a rendering's frames that keep the original's pitch."""

from __future__ import annotations

import numpy as np
import pytest

from gpt_sovits.audio.pitch import pitch_agreement, pitch_track

SR = 22050


def _voice(f0: np.ndarray, seed: int = 0) -> np.ndarray:
    """Harmonics 1..30 of the per-sample pitch ``f0`` plus a little breath noise."""
    phase = 2 * np.pi * np.cumsum(f0) / SR
    wave = sum(np.sin(k * phase) / k for k in range(1, 31))
    return (0.1 * wave + 0.002 * np.random.default_rng(seed).standard_normal(f0.size)).astype(np.float32)


def _glide(lo: float, hi: float, seconds: float = 2.0) -> np.ndarray:
    return lo * (hi / lo) ** (np.arange(int(seconds * SR)) / (seconds * SR))


@pytest.mark.parametrize("hz", [90.0, 180.0, 310.0])
def test_a_steady_voice_is_tracked_within_one_percent(hz: float) -> None:
    track = pitch_track(_voice(np.full(SR, hz)), SR)
    voiced = track[5:-5]
    assert (voiced > 0).all()
    assert np.abs(voiced / hz - 1).max() < 0.01


def test_a_glide_is_followed_and_noise_and_silence_are_unvoiced() -> None:
    f0 = _glide(120.0, 240.0)
    track = pitch_track(_voice(f0), SR)
    expected = f0[np.minimum((np.arange(track.size) / 100 * SR).astype(int), f0.size - 1)]
    inner = slice(5, -5)
    assert np.abs(track[inner] / expected[inner] - 1).max() < 0.03
    noise = np.random.default_rng(1).standard_normal(SR).astype(np.float32) * 0.1
    assert (pitch_track(noise, SR) > 0).mean() < 0.1
    assert not pitch_track(np.zeros(SR, np.float32), SR).any()


def test_a_rendering_on_one_flat_pitch_does_not_keep_the_originals_melody() -> None:
    original = _voice(_glide(150.0, 300.0))
    same_melody_other_voice = _voice(_glide(150.0, 300.0) * 1.02, seed=2) * 0.5
    flat = _voice(np.full(original.size, 86.13), seed=3)  # the starter decoder's frame rate
    assert pitch_agreement(original, same_melody_other_voice, SR) > 0.95
    assert pitch_agreement(original, flat, SR) < 0.05


def test_too_little_voicing_is_not_measured() -> None:
    original = _voice(np.full(SR, 200.0))
    assert pitch_agreement(original, np.zeros_like(original), SR) is None
