"""Whisper-base encoder as a content encoder (profile starter): 16 kHz audio -> [1, 512, t] at 50 Hz.

Runs the encoder of the faster-whisper (CTranslate2) Whisper-base model that
:func:`gpt_sovits.registry.whisper_model_dir` assembles from PyPI packages; no hub access.

Windowing convention (one convention for training and inference):

1. The 16 kHz clip is cut into consecutive 30 s windows (480000 samples); the last one is shorter.
2. Each window is zero-padded to 30 s on its own and turned into an 80-bin log-mel spectrogram
   with faster-whisper's ``FeatureExtractor`` (hop 160 -> 100 Hz), trimmed to 3000 frames. The
   log-mel dynamic-range clamp (max - 8) is therefore computed per window, never across clips.
3. The encoder halves the rate: 3000 mel frames -> 1500 output frames (50 Hz, 512-d, after the
   final layer norm). From each window we keep its first ``content_frames(window_samples)`` frames.
4. The kept frames of all windows are concatenated: a clip of n samples yields ``n // 320`` frames.

Each window is encoded independently, so a clip's features do not depend on what else is in the
batch. Whisper expects full 30 s inputs, which is why short clips are padded rather than encoded
at their own length; the cost is one encoder pass per started 30 s of audio.

Shapes: n = samples at 16 kHz, m = mel frames (100 Hz), t = 50 Hz frames, w = windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from gpt_sovits.features.content import CONTENT_DIMS, HOP_16K, content_frames

WINDOW_SAMPLES = 480_000  # 30 s at 16 kHz
MEL_FRAMES = 3000  # log-mel frames per window (100 Hz)
N_MELS = 80


class WhisperContentEncoder:
    """CTranslate2 Whisper-base encoder.

    Args:
        model_dir: folder of the CTranslate2 Whisper model (config.json, model.bin, ...).
        compute_type: "float32" (default; portable and, on CPU, as fast as int8) or "int8".
            Training and inference of one profile must use the same setting.
        threads: CPU threads for one encoder call (0 = CTranslate2's default).
        batch_size: windows encoded per call.
    """

    name = "whisper-base"
    dim = CONTENT_DIMS["whisper-base"]

    def __init__(
        self,
        model_dir: str | Path,
        compute_type: str = "float32",
        threads: int = 0,
        batch_size: int = 4,
    ) -> None:
        import ctranslate2
        from faster_whisper.feature_extractor import FeatureExtractor

        self.model = ctranslate2.models.Whisper(
            str(model_dir), device="cpu", compute_type=compute_type, intra_threads=threads
        )
        self.mel = FeatureExtractor(feature_size=N_MELS)
        self.batch_size = max(1, int(batch_size))

    def log_mel(self, window: np.ndarray) -> np.ndarray:
        """One window of <= 30 s ``[n]`` -> zero-padded log-mel ``[80, 3000]``."""
        padded = np.zeros(WINDOW_SAMPLES, dtype=np.float32)
        padded[: window.shape[0]] = window
        mel = self.mel(padded, padding=160)  # [80, 3001]
        return np.ascontiguousarray(mel[:, :MEL_FRAMES], dtype=np.float32)

    def _encode_mels(self, mels: list[np.ndarray]) -> np.ndarray:
        """Log-mels ``w x [80, 3000]`` -> encoder outputs ``[w, 1500, 512]``."""
        import ctranslate2

        batch = ctranslate2.StorageView.from_array(np.stack(mels))  # [w, 80, 3000]
        return np.array(self.model.encode(batch, to_cpu=True), dtype=np.float32)

    def encode_many(self, clips: Sequence[np.ndarray]) -> list[torch.Tensor]:
        """Several 16 kHz clips -> one ``[1, 512, n_i // 320]`` tensor each (see module docstring)."""
        windows: list[tuple[int, np.ndarray]] = []  # (clip index, samples)
        for index, clip in enumerate(clips):
            clip = np.asarray(clip, dtype=np.float32)
            for start in range(0, clip.shape[0] - HOP_16K + 1, WINDOW_SAMPLES):  # windows with >= 1 frame
                windows.append((index, clip[start : start + WINDOW_SAMPLES]))
        pieces: list[list[np.ndarray]] = [[] for _ in clips]
        for first in range(0, len(windows), self.batch_size):
            group = windows[first : first + self.batch_size]
            outputs = self._encode_mels([self.log_mel(samples) for _, samples in group])
            for (index, samples), out in zip(group, outputs, strict=True):
                pieces[index].append(out[: content_frames(samples.shape[0])])  # [t_w, 512]
        result = []
        for parts in pieces:
            frames = np.concatenate(parts, axis=0) if parts else np.zeros((0, self.dim), np.float32)
            result.append(torch.from_numpy(np.ascontiguousarray(frames.T))[None])  # [1, 512, t]
        return result

    def encode(self, wav16k: np.ndarray) -> torch.Tensor:
        """16 kHz mono float audio ``[n]`` -> ``[1, 512, n // 320]`` (float32)."""
        return self.encode_many([wav16k])[0]
