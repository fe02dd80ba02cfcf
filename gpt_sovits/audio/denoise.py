"""Optional spectral-gating noise reduction (noisereduce) with a 0..1 strength.

Strong denoising can smear speech and teach the model artefacts, so the default in the
pipeline is off; a strength of 0.3-0.6 is a reasonable range for a noisy room.
"""

from __future__ import annotations

import numpy as np


def denoise(audio: np.ndarray, sr: int, strength: float) -> np.ndarray:
    """Reduce background noise in mono audio [t].

    Args:
        audio: mono float32 samples, shape [t].
        sr: sample rate in Hz.
        strength: 0 (no change) .. 1 (remove the estimated noise fully); noisereduce's
            ``prop_decrease``.
    """
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"denoise strength must be within 0..1, got {strength}")
    audio = np.asarray(audio, dtype=np.float32)
    if strength == 0.0 or audio.size == 0:
        return audio.copy()
    import noisereduce

    out = noisereduce.reduce_noise(
        y=audio, sr=sr, prop_decrease=float(strength), stationary=False, n_jobs=1
    )
    return np.asarray(out, dtype=np.float32)
