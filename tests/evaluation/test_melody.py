"""The melody measure of eval-clone: a take's median pitch and spread, and how the takes sit against
the speaker (semitones, spread ratio)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from gpt_sovits.audio.pitch import Melody, melody_of
from gpt_sovits.evaluation.melody import compare, speaker_melody

SR = 16000


def _voiced(f0: np.ndarray) -> np.ndarray:
    """A buzzy harmonic tone following ``f0`` (Hz per sample)."""
    phase = 2 * np.pi * np.cumsum(f0) / SR
    return (0.3 * sum(np.sin(k * phase) / k for k in range(1, 8))).astype(np.float32)


def _glide(low: float, high: float, seconds: float = 1.5) -> np.ndarray:
    """F0 moving geometrically from ``low`` to ``high`` and back (a tone-like contour)."""
    n = int(SR * seconds)
    up = np.geomspace(low, high, n // 2)
    return _voiced(np.concatenate([up, up[::-1]]))


def test_a_steady_tone_has_its_pitch_and_no_spread() -> None:
    found = melody_of(_voiced(np.full(SR, 180.0)), SR)
    assert found is not None
    assert found.median_hz == pytest.approx(180.0, rel=0.03) and found.spread < 0.03


def test_a_wider_melody_has_a_wider_spread() -> None:
    narrow, wide = melody_of(_glide(160, 200), SR), melody_of(_glide(120, 280), SR)
    assert narrow is not None and wide is not None
    assert wide.spread > 2 * narrow.spread


def test_silence_and_noise_have_no_melody() -> None:
    assert melody_of(np.zeros(SR, dtype=np.float32), SR) is None
    noise = np.random.default_rng(0).normal(0, 0.1, SR).astype(np.float32)
    assert melody_of(noise, SR) is None


def test_takes_an_octave_above_the_speaker_are_12_semitones_up() -> None:
    speaker = Melody(110.0, 0.2)
    found = compare([Melody(220.0, 0.1), None, Melody(220.0, 0.1)], speaker)
    assert found["pitch_median_hz"] == 220.0 and found["speaker_pitch_median_hz"] == 110.0
    assert found["pitch_offset_semitones"] == 12.0
    assert found["pitch_spread_ratio"] == 0.5  # half the speaker's melody: flatter


def test_without_a_melody_on_either_side_nothing_is_made_up() -> None:
    assert compare([None], Melody(110.0, 0.2))["pitch_offset_semitones"] is None
    alone = compare([Melody(200.0, 0.1)], None)
    assert alone["pitch_median_hz"] == 200.0 and alone["pitch_offset_semitones"] is None
    assert alone["pitch_spread_ratio"] is None


def test_the_speaker_is_the_median_over_recordings_without_voicing(tmp_path: Path) -> None:
    paths = []
    for i, audio in enumerate([_voiced(np.full(SR, 100.0)), _voiced(np.full(SR, 200.0)),
                                 _voiced(np.full(SR, 150.0)), np.zeros(SR, dtype=np.float32)]):
        paths.append(tmp_path / f"{i}.wav")
        sf.write(paths[-1], audio, SR)
    found = speaker_melody(paths)
    assert found is not None and found.median_hz == pytest.approx(150.0, rel=0.03)
    assert speaker_melody(paths[3:]) is None
    assert math.isfinite(found.spread)
