"""Channel mixing and sample-rate conversion (soxr, high quality).

Shapes: c = channels, t = samples.
"""

from __future__ import annotations

import numpy as np
import soxr


def to_mono(audio: np.ndarray) -> np.ndarray:
    """Average channels: [c, t] -> [t]; a 1-D input is returned as float32 unchanged."""
    if audio.ndim == 1:
        return audio.astype(np.float32, copy=False)
    if audio.ndim != 2:
        raise ValueError(f"expected [channels, samples] audio, got shape {audio.shape}")
    return audio.mean(axis=0, dtype=np.float64).astype(np.float32)


def resample(audio: np.ndarray, orig_sr: int, target_sr: int, quality: str = "HQ") -> np.ndarray:
    """Resample mono audio [t] from ``orig_sr`` to ``target_sr`` with soxr.

    Args:
        audio: mono float samples, shape [t].
        orig_sr: input sample rate in Hz.
        target_sr: output sample rate in Hz.
        quality: soxr quality recipe ("QQ", "LQ", "MQ", "HQ", "VHQ").
    """
    if orig_sr <= 0 or target_sr <= 0:
        raise ValueError(f"sample rates must be positive, got {orig_sr} -> {target_sr}")
    audio = np.asarray(audio, dtype=np.float32)
    if orig_sr == target_sr or audio.size == 0:
        return audio.copy()
    out = soxr.resample(audio, orig_sr, target_sr, quality=quality)  # [t * target/orig]
    return np.asarray(out, dtype=np.float32)
