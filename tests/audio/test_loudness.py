"""Loudness measurement/normalisation, limiter, clipping and level-spread checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gpt_sovits.audio.denoise import denoise
from gpt_sovits.audio.loudness import (
    clipped_fraction,
    integrated_loudness,
    k_weighting_coeffs,
    level_spread_db,
    normalize_loudness,
    peak_limit,
)

SR = 32000


def bursts(seconds: float, sr: int = SR, seed: int = 0, level: float = 0.1) -> np.ndarray:
    """Speech-like signal: 200 ms harmonic bursts separated by 100 ms gaps."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(0.2 * sr)) / sr
    pieces = []
    while sum(p.size for p in pieces) < seconds * sr:
        f0 = rng.uniform(100, 220)
        tone = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6)) * np.hanning(t.size)
        pieces += [level * tone, np.zeros(int(0.1 * sr))]
    return np.concatenate(pieces)[: int(seconds * sr)].astype(np.float32)


def test_k_weighting_matches_bs1770_coefficients_at_48k():
    (b1, a1), (b2, a2) = k_weighting_coeffs(48000)
    assert np.allclose(b1, [1.53512485958697, -2.69169618940638, 1.19839281085285], atol=1e-8)
    assert np.allclose(a1, [1.0, -1.69065929318241, 0.73248077421585], atol=1e-8)
    assert np.allclose(b2, [1.0, -2.0, 1.0]) and np.allclose(a2, [1.0, -1.99004745483398, 0.99007225036621])


@pytest.mark.parametrize("sr", [32000, 48000])
def test_full_scale_1k_sine_reads_minus_3_lufs(sr):
    x = np.sin(2 * np.pi * 997 * np.arange(3 * sr) / sr)
    assert integrated_loudness(x, sr) == pytest.approx(-3.01, abs=0.05)
    assert integrated_loudness(0.1 * x, sr) == pytest.approx(-23.01, abs=0.05)


def test_gating_ignores_silence_and_silence_is_minus_inf():
    tone = 0.1 * np.sin(2 * np.pi * 997 * np.arange(2 * SR) / SR)
    padded = np.concatenate([tone, np.zeros(6 * SR)])
    ungated = -0.691 + 10 * np.log10(np.mean(padded**2))  # about 9 dB lower (6 s of silence)
    assert integrated_loudness(padded, SR) == pytest.approx(integrated_loudness(tone, SR), abs=0.5)
    assert integrated_loudness(padded, SR) > ungated + 5.0
    assert integrated_loudness(np.zeros(SR), SR) == -math.inf


def test_normalize_reaches_target_and_respects_peak():
    x = bursts(5.0, level=0.02)
    y, report = normalize_loudness(x, SR, target_lufs=-20.0, peak_dbfs=-1.0)
    assert report.input_lufs < -30
    assert integrated_loudness(y, SR) == pytest.approx(-20.0, abs=0.5)
    assert np.abs(y).max() <= 10 ** (-1 / 20) + 1e-6


def test_limiter_handles_a_click_without_making_everything_quiet():
    x = bursts(5.0, level=0.05)
    x[SR] = 1.0  # one click at full scale
    y, report = normalize_loudness(x, SR, target_lufs=-20.0, peak_dbfs=-1.0)
    assert np.abs(y).max() <= 10 ** (-1 / 20) + 1e-6
    assert report.output_lufs == pytest.approx(-20.0, abs=1.0)


def test_peak_limit_is_a_noop_below_ceiling():
    x = 0.5 * np.sin(np.arange(1000) / 10.0).astype(np.float32)
    assert np.array_equal(peak_limit(x, SR, ceiling=0.9), x)


def test_gain_is_capped_for_nearly_silent_audio():
    x = bursts(3.0, level=1e-3)
    _, report = normalize_loudness(x, SR, target_lufs=-20.0, max_gain_db=30.0)
    assert report.input_lufs < -55.0
    assert report.gain_db == pytest.approx(30.0)


def test_clipping_detection():
    t = np.arange(SR) / SR
    assert clipped_fraction(0.5 * np.sin(2 * np.pi * 100 * t)) == 0.0
    clipped = np.clip(2.0 * np.sin(2 * np.pi * 100 * t), -1, 1)
    assert 0.5 < clipped_fraction(clipped) < 0.8


def test_level_spread_separates_speechlike_bursts_from_steady_noise():
    noise = 0.1 * np.random.default_rng(1).standard_normal(3 * SR)
    assert level_spread_db(noise, SR) < 2.0
    assert level_spread_db(bursts(3.0), SR) > 20.0


def test_denoise_strength_zero_is_identity_and_one_reduces_noise():
    rng = np.random.default_rng(2)
    clean = bursts(2.0, level=0.2)
    noisy = (clean + 0.02 * rng.standard_normal(clean.size)).astype(np.float32)
    assert np.array_equal(denoise(noisy, SR, 0.0), noisy)
    out = denoise(noisy, SR, 1.0)
    gaps = np.abs(clean) < 1e-6
    assert np.std(out[gaps]) < 0.5 * np.std(noisy[gaps])
    with pytest.raises(ValueError):
        denoise(noisy, SR, 1.5)
