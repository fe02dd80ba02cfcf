"""Content-feature extraction speed: the Whisper-base encoder on synthetic audio.

Two figures, because the encoder always runs on 30 s windows (see
:mod:`gpt_sovits.features.whisper_encoder`): one long clip (``seconds`` of audio, mostly full
windows) and the same duration cut into typical 6 s training slices (one padded window each).
"""

from __future__ import annotations

import time
from typing import Any


def _synthetic_speech(seconds: float, sr: int, seed: int) -> Any:
    """A speech-like test signal: a gliding harmonic tone with syllable-rate amplitude and noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    f0 = 140 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    voice = sum(np.sin(k * phase) / k for k in range(1, 6))
    envelope = 0.5 * (1 + np.sin(2 * np.pi * 4 * t)) ** 2
    return (0.1 * voice * envelope + 0.005 * rng.standard_normal(t.shape)).astype(np.float32)


def bench_features(
    seconds: float = 60.0, slice_seconds: float = 6.0, compute_type: str = "float32", seed: int = 0
) -> dict[str, Any]:
    """Time the Whisper-base content encoder (after one warm-up window).

    Returns:
        dict with ``audio_seconds``, wall times and ``realtime_factor_*`` = seconds of audio
        turned into features per second of wall time (higher is faster).
    """
    import os

    from gpt_sovits.features.content import CONTENT_SR, content_frames
    from gpt_sovits.features.whisper_encoder import WhisperContentEncoder
    from gpt_sovits.registry import whisper_model_dir

    encoder = WhisperContentEncoder(whisper_model_dir(), compute_type=compute_type)
    audio = _synthetic_speech(seconds, CONTENT_SR, seed)
    encoder.encode(audio[: CONTENT_SR])  # warm-up
    start = time.perf_counter()
    long_out = encoder.encode(audio)
    long_s = time.perf_counter() - start
    step = int(slice_seconds * CONTENT_SR)
    slices = [audio[i : i + step] for i in range(0, audio.shape[0], step)]
    start = time.perf_counter()
    sliced = encoder.encode_many(slices)
    sliced_s = time.perf_counter() - start
    assert long_out.shape[-1] == content_frames(audio.shape[0])
    return {
        "encoder": "whisper-base",
        "compute_type": compute_type,
        "cpu_count": os.cpu_count(),
        "audio_seconds": round(seconds, 3),
        "frames": int(long_out.shape[-1]),
        "long_clip_wall_s": round(long_s, 3),
        "realtime_factor_long": round(seconds / long_s, 2),
        "slices": len(sliced),
        "slice_seconds": slice_seconds,
        "sliced_wall_s": round(sliced_s, 3),
        "realtime_factor_sliced": round(seconds / sliced_s, 2),
    }
