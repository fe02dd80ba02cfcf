"""Loudness measurement (ITU-R BS.1770 style, K-weighted, gated), normalisation with a peak
limiter, clipping detection and a level-spread measure used to spot steady noise.

Pure numpy/scipy functions with explicit parameters. Shapes: t = samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import lfilter

# BS.1770 pre-filter (high shelf) and RLB high-pass, as analog-prototype parameters so the
# filters can be designed at any sample rate (at 48 kHz they match the published coefficients).
_SHELF_GAIN_DB = 3.999843853973347
_SHELF_FC = 1681.974450955533
_SHELF_Q = 0.7071752369554196
_SHELF_BAND_EXP = 0.4996667741545416
_HP_FC = 38.13547087602444
_HP_Q = 0.5003270373238773
_ABSOLUTE_GATE = -70.0
_RELATIVE_GATE = -10.0


def k_weighting_coeffs(sr: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Biquad (b, a) pairs of the K-weighting filter at ``sr`` (bilinear design with
    pre-warping; at 48 kHz it reproduces the coefficients published in BS.1770)."""
    k = math.tan(math.pi * _SHELF_FC / sr)
    v_high = 10.0 ** (_SHELF_GAIN_DB / 20.0)
    v_band = v_high**_SHELF_BAND_EXP
    norm = 1.0 + k / _SHELF_Q + k * k
    shelf_b = np.array([v_high + v_band * k / _SHELF_Q + k * k, 2.0 * (k * k - v_high),
                        v_high - v_band * k / _SHELF_Q + k * k]) / norm
    shelf_a = np.array([1.0, 2.0 * (k * k - 1.0) / norm, (1.0 - k / _SHELF_Q + k * k) / norm])
    k = math.tan(math.pi * _HP_FC / sr)
    norm = 1.0 + k / _HP_Q + k * k
    hp_b = np.array([1.0, -2.0, 1.0])
    hp_a = np.array([1.0, 2.0 * (k * k - 1.0) / norm, (1.0 - k / _HP_Q + k * k) / norm])
    return [(shelf_b, shelf_a), (hp_b, hp_a)]


def integrated_loudness(audio: np.ndarray, sr: int, block_s: float = 0.4, overlap: float = 0.75) -> float:
    """Gated integrated loudness of mono audio [t] in LUFS; ``-inf`` for silence."""
    weighted = np.asarray(audio, dtype=np.float64)
    for b, a in k_weighting_coeffs(sr):
        weighted = lfilter(b, a, weighted)
    block = max(1, int(round(block_s * sr)))
    step = max(1, int(round(block * (1.0 - overlap))))
    if weighted.size <= block:
        powers = np.array([np.mean(weighted**2)]) if weighted.size else np.zeros(0)
    else:
        cumsum = np.concatenate([[0.0], np.cumsum(weighted**2)])
        starts = np.arange(0, weighted.size - block + 1, step)
        powers = (cumsum[starts + block] - cumsum[starts]) / block  # [n_blocks]
    with np.errstate(divide="ignore"):
        levels = -0.691 + 10.0 * np.log10(powers)
    gated = powers[levels > _ABSOLUTE_GATE]
    if gated.size == 0:
        return float("-inf")
    relative = -0.691 + 10.0 * math.log10(gated.mean()) + _RELATIVE_GATE
    kept = powers[levels > max(relative, _ABSOLUTE_GATE)]
    return float(-0.691 + 10.0 * math.log10(kept.mean()))


def peak_limit(audio: np.ndarray, sr: int, ceiling: float, window_ms: float = 5.0) -> np.ndarray:
    """Smooth look-around limiter: no sample exceeds ``ceiling`` and gain changes are gradual.

    The per-sample gain ``min(1, ceiling/|x|)`` is spread by a running minimum and then averaged
    over a shorter window, so the smoothed gain never exceeds the needed gain at any sample.
    """
    audio = np.asarray(audio, dtype=np.float32)
    magnitude = np.abs(audio)
    if magnitude.size == 0 or magnitude.max() <= ceiling:
        return audio.copy()
    radius = max(1, int(sr * window_ms / 1000.0))
    needed = np.minimum(1.0, ceiling / np.maximum(magnitude, 1e-12))  # [t]
    spread = minimum_filter1d(needed, size=2 * radius + 1, mode="nearest")
    smooth = uniform_filter1d(spread, size=radius, mode="nearest")
    return np.clip(audio * smooth, -ceiling, ceiling).astype(np.float32)


@dataclass
class LoudnessReport:
    """What :func:`normalize_loudness` measured and did (levels in LUFS / dB / dBFS)."""

    input_lufs: float
    output_lufs: float
    gain_db: float
    peak_dbfs: float


def normalize_loudness(
    audio: np.ndarray,
    sr: int,
    target_lufs: float = -20.0,
    peak_dbfs: float = -1.0,
    max_gain_db: float = 30.0,
) -> tuple[np.ndarray, LoudnessReport]:
    """Scale mono audio [t] to ``target_lufs`` (gain capped at ``max_gain_db``), then limit
    peaks to ``peak_dbfs``. Silent input is returned unchanged."""
    audio = np.asarray(audio, dtype=np.float32)
    measured = integrated_loudness(audio, sr)
    if not math.isfinite(measured):
        return audio.copy(), LoudnessReport(measured, measured, 0.0, _peak_db(audio))
    gain_db = min(target_lufs - measured, max_gain_db)
    scaled = audio * np.float32(10.0 ** (gain_db / 20.0))
    limited = peak_limit(scaled, sr, ceiling=10.0 ** (peak_dbfs / 20.0))
    return limited, LoudnessReport(measured, integrated_loudness(limited, sr), gain_db, _peak_db(limited))


def _peak_db(audio: np.ndarray) -> float:
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    return 20.0 * math.log10(peak) if peak > 0 else float("-inf")


def clipped_fraction(audio: np.ndarray, level: float = 0.999) -> float:
    """Fraction of samples at or beyond full scale (a sign the recording was clipped)."""
    audio = np.asarray(audio)
    if audio.size == 0:
        return 0.0
    return float(np.count_nonzero(np.abs(audio) >= level)) / audio.size


def level_spread_db(audio: np.ndarray, sr: int, frame_ms: float = 30.0) -> float:
    """Spread (90th minus 10th percentile, dB) of short-frame RMS levels over audible frames.

    Speech alternates syllables and pauses (typically 20-40 dB spread); steady noise or a tone
    stays within a few dB. Returns 0.0 when fewer than 10 frames are audible.
    """
    frame = max(1, int(sr * frame_ms / 1000.0))
    n = np.asarray(audio).size // frame
    if n == 0:
        return 0.0
    frames = np.asarray(audio[: n * frame], dtype=np.float64).reshape(n, frame)  # [n, frame]
    with np.errstate(divide="ignore"):
        levels = 10.0 * np.log10(np.mean(frames**2, axis=1))
    audible = levels[levels > -70.0]
    if audible.size < 10:
        return 0.0
    return float(np.percentile(audible, 90) - np.percentile(audible, 10))
