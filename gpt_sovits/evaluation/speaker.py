"""Speaker similarity with resemblyzer (a GE2E speaker encoder, 256-dim embeddings).

resemblyzer is a developer tool here (``requirements-dev.txt``), imported only when the encoder
is first used. Its wheel carries its own weights (``resemblyzer/pretrained.pt``, 17 MB) and it
never goes to the network. Embeddings are L2-normalised, so the cosine similarity of two
embeddings is their dot product; for speech it lies in about 0.5 (different speakers) .. 0.95
(same speaker, different utterances).

Shapes: t = samples, e = 256 (embedding size).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from gpt_sovits.errors import StudioError

ENCODER_SR = 16000
MIN_VOICED_SECONDS = 0.5
INSTALL_HINT = ("install the evaluation tools with "
                "`pip install -r requirements-dev.txt` (resemblyzer needs 'setuptools<81')")


class SpeakerEncoderMissing(StudioError):
    """resemblyzer (or a package it needs) is not installed; the message says how to install it."""


class Embedder(Protocol):
    """Anything that turns mono audio [t] at ``sr`` Hz into a unit speaker embedding (or None)."""

    def embed(self, audio: np.ndarray, sr: int) -> np.ndarray | None: ...


def cosine(a: np.ndarray | None, b: np.ndarray | None) -> float | None:
    """Cosine similarity of two embeddings; None when either is missing or has no direction."""
    if a is None or b is None:
        return None
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.dot(a, b) / norm) if norm > 0 else None


def mean_embedding(embeddings: Iterable[np.ndarray | None]) -> np.ndarray | None:
    """Normalised mean of the embeddings that exist (None if there are none)."""
    found = [e for e in embeddings if e is not None]
    if not found:
        return None
    mean = np.mean(np.stack(found), axis=0)  # [e]
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else None


class SpeakerEncoder:
    """Lazily loaded resemblyzer ``VoiceEncoder`` on the CPU.

    Raises (on first use):
        SpeakerEncoderMissing: resemblyzer or one of its dependencies is not installed.
    """

    def __init__(self) -> None:
        self._encoder: Any = None
        self._preprocess: Any = None

    def load(self) -> None:
        """Import resemblyzer and load its bundled weights (call it early to fail fast)."""
        if self._encoder is not None:
            return
        try:
            with warnings.catch_warnings():  # webrtcvad imports the deprecated pkg_resources
                warnings.simplefilter("ignore")
                from resemblyzer import VoiceEncoder, preprocess_wav
        except ImportError as exc:
            raise SpeakerEncoderMissing(f"speaker similarity needs resemblyzer ({exc}); {INSTALL_HINT}") from exc
        self._encoder = VoiceEncoder(device="cpu", verbose=False)
        self._preprocess = preprocess_wav

    def embed(self, audio: np.ndarray, sr: int) -> np.ndarray | None:
        """Unit embedding [e] of mono audio [t]; None when the audio is silent.

        resemblyzer's preprocessing (16 kHz, volume normalisation, long silences removed by a
        VAD) is used; when the VAD keeps less than 0.5 s, the untrimmed audio is embedded.
        """
        self.load()
        from gpt_sovits.audio.resample import resample

        audio16 = resample(np.asarray(audio, dtype=np.float32), sr, ENCODER_SR)  # [t * 16k / sr]
        if audio16.size == 0 or not np.isfinite(audio16).all() or float(np.abs(audio16).max()) <= 1e-6:
            return None
        voiced = self._preprocess(audio16, source_sr=ENCODER_SR)
        if voiced.shape[0] < MIN_VOICED_SECONDS * ENCODER_SR:
            voiced = audio16 / float(np.abs(audio16).max())
        embedding = np.asarray(self._encoder.embed_utterance(voiced), dtype=np.float32)  # [e]
        return embedding if np.isfinite(embedding).all() and np.linalg.norm(embedding) > 0 else None

    def embed_file(self, path: str | os.PathLike[str]) -> np.ndarray | None:
        """Decode any audio file and embed it."""
        from gpt_sovits.audio.io import load_audio

        return self.embed(load_audio(Path(path), sr=ENCODER_SR), ENCODER_SR)


def embed_files(embedder: Embedder, paths: Iterable[str | os.PathLike[str]]) -> np.ndarray | None:
    """Mean embedding of several files (decoded at 16 kHz)."""
    from gpt_sovits.audio.io import load_audio

    return mean_embedding(embedder.embed(load_audio(Path(p), sr=ENCODER_SR), ENCODER_SR) for p in paths)
