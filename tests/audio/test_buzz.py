"""Frame-rate buzz: a decoder's frame pulse shows, a voice's own harmonics do not."""

from __future__ import annotations

import numpy as np

from gpt_sovits.audio.buzz import frame_buzz_db

SR = 22050
FRAME_RATE = SR / 256  # the starter decoder's 86.1 frames per second


def _gliding_voice(seconds: float = 3.0, seed: int = 0) -> np.ndarray:
    """Harmonics of a pitch that glides 110 -> 220 Hz, plus a little breath noise."""
    t = np.arange(int(seconds * SR)) / SR
    f0 = 110.0 * 2.0 ** (t / seconds)
    phase = 2 * np.pi * np.cumsum(f0) / SR
    wave = sum(np.sin(k * phase) / k for k in range(1, 60))
    return (0.1 * wave + 0.003 * np.random.default_rng(seed).standard_normal(t.size)).astype(np.float32)


def _frame_pulses(n: int) -> np.ndarray:
    """A short click at the start of every decoder frame."""
    pulses = np.zeros(n, np.float32)
    starts = (np.arange(int(n / SR * FRAME_RATE)) * 256).astype(int)
    for offset, value in enumerate((0.6, -0.4, 0.2)):  # about half the voice's RMS, as the starter's buzz
        pulses[np.minimum(starts + offset, n - 1)] += value
    return pulses


def test_a_voice_alone_has_no_frame_buzz_and_added_frame_pulses_do() -> None:
    voice = _gliding_voice()
    clean = frame_buzz_db(voice, SR, FRAME_RATE)
    buzzing = frame_buzz_db(voice + _frame_pulses(voice.size), SR, FRAME_RATE)
    assert clean is not None and buzzing is not None
    assert clean < 1.5 < 4.0 < buzzing


def test_the_buzz_is_measured_at_the_decoders_own_frame_rate() -> None:
    voice = _gliding_voice(seed=1)
    audio = voice + _frame_pulses(voice.size)
    assert frame_buzz_db(audio, SR, 50.0) < 1.5 < frame_buzz_db(audio, SR, FRAME_RATE)


def test_silence_and_scraps_are_not_measured() -> None:
    assert frame_buzz_db(np.zeros(SR, np.float32), SR, FRAME_RATE) is None
    assert frame_buzz_db(_gliding_voice()[: SR // 10], SR, FRAME_RATE) is None
