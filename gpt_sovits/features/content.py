"""Content encoders: 16 kHz speech -> frame-level content features at 50 Hz.

Two encoders exist, one per base profile (DESIGN §1):

| name           | profile | dim | implementation                         |
|----------------|---------|-----|----------------------------------------|
| "hubert"       | gsv-v2  | 768 | chinese-hubert-base, last hidden state |
| "whisper-base" | starter | 512 | Whisper-base encoder (CTranslate2)     |

Conventions shared by both (training and inference use exactly the same path):

- Input preparation (:func:`prepare_wav32k`): the mono 32 kHz slice ``x`` is turned into
  ``0.5 * (x / peak * 0.95) + 0.5 * x`` (the original's ``2-get-hubert-wav32k.py`` mix, which
  half-normalises the peak to 0.95). This mixed signal is the stored 32 kHz audio reference, and
  its 16 kHz resampling (soxr) is the content encoders' input (:func:`content_input`).
- Frame count: :func:`content_frames` = ``n_16k // 320``, which equals the number of linear
  spectrogram frames S2 computes for the same clip at 32 kHz (hop 640, reflect-padded,
  ``center=False``). Two content frames make one 25 Hz semantic token.
  ``ContentEncoder.encode`` always returns exactly that many frames (see :func:`align_frames`).

Shapes: c = feature channels, t = 50 Hz frames, n = samples.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import soxr
import torch

from gpt_sovits.errors import AudioFormatError

CONTENT_SR = 16_000  # content encoders' input rate
AUDIO_SR = 32_000  # S2 / stored reference audio rate
HOP_16K = 320  # samples per content frame at 16 kHz (50 Hz)
CONTENT_DIMS: dict[str, int] = {"hubert": 768, "whisper-base": 512}
MIX_PEAK = 0.95  # peak the normalised half of the mix is scaled to
MIX_ALPHA = 0.5  # weight of the peak-normalised signal in the mix
MAX_INPUT_PEAK = 2.2  # the original skips clips louder than this (clipped/broken decodes)


@runtime_checkable
class ContentEncoder(Protocol):
    """A content encoder. ``encode`` maps 16 kHz mono float audio ``[n]`` to ``[1, dim, t]``
    with ``t == content_frames(n)``; it is deterministic and runs without gradients."""

    name: str
    dim: int

    def encode(self, wav16k: np.ndarray) -> torch.Tensor: ...


def content_frames(n_samples_16k: int) -> int:
    """Number of 50 Hz content frames for a clip of ``n_samples_16k`` samples at 16 kHz.

    Equals the S2 spectrogram frame count of the same clip at 32 kHz: ``n_32k // 640``.
    """
    return max(int(n_samples_16k), 0) // HOP_16K


def align_frames(features: torch.Tensor, n_frames: int) -> torch.Tensor:
    """Trim or replicate-pad the last axis of ``[..., t]`` to ``n_frames`` frames.

    HuBERT's convolution stack yields ``(n - 80) // 320`` frames, one fewer than
    :func:`content_frames` for some lengths; like the original S2 dataset we repeat the last frame.
    """
    t = features.shape[-1]
    if t == n_frames:
        return features
    if t > n_frames:
        return features[..., :n_frames]
    if t == 0:
        raise AudioFormatError("the clip is too short to give any content frame (needs >= 20 ms)")
    pad = features[..., -1:].expand(*features.shape[:-1], n_frames - t)  # [..., n_frames - t]
    return torch.cat([features, pad], dim=-1)


def prepare_wav32k(wav: np.ndarray) -> np.ndarray:
    """The training/inference audio convention: ``0.5 * (x / peak * 0.95) + 0.5 * x``.

    Args:
        wav: mono float audio ``[n]`` at 32 kHz, nominally in [-1, 1].

    Raises:
        AudioFormatError: silent, non-finite or wildly over-range audio.
    """
    wav = np.asarray(wav, dtype=np.float32)
    if wav.ndim != 1:
        raise AudioFormatError(f"expected mono audio [samples], got shape {wav.shape}; mix to mono first")
    if wav.size == 0 or not np.isfinite(wav).all():
        raise AudioFormatError("the clip is empty or contains NaN/inf samples; re-slice the recording")
    peak = float(np.abs(wav).max())
    if peak == 0.0:
        raise AudioFormatError("the clip is pure silence; delete this slice or re-slice the recording")
    if peak > MAX_INPUT_PEAK:
        raise AudioFormatError(
            f"the clip's peak is {peak:.2f} (expected <= 1); it is probably a broken decode - re-import it"
        )
    mixed = MIX_ALPHA * (wav / peak * MIX_PEAK) + (1.0 - MIX_ALPHA) * wav  # [n]
    return mixed.astype(np.float32)


def content_input(wav32k: np.ndarray) -> np.ndarray:
    """32 kHz prepared audio ``[n]`` -> 16 kHz encoder input ``[n // 2]`` (soxr, high quality)."""
    out = soxr.resample(np.asarray(wav32k, dtype=np.float32), AUDIO_SR, CONTENT_SR, quality="HQ")
    return np.ascontiguousarray(out, dtype=np.float32)


def build_content_encoder(
    kind: str, pretrained_root: Path | None = None, device: str = "cpu"
) -> ContentEncoder:
    """The content encoder a profile names ("hubert" or "whisper-base"), loaded from ``pretrained/``.

    Raises:
        ModelMissingError: the encoder's weights are not installed (the message names the fix).
        ValueError: unknown encoder name.
    """
    from gpt_sovits.registry import HUBERT_DIR, default_pretrained_root, whisper_model_dir

    root = pretrained_root or default_pretrained_root()
    if kind == "hubert":
        from gpt_sovits.features.hubert import HubertEncoder

        return HubertEncoder.from_dir(root / HUBERT_DIR, device=device)
    if kind == "whisper-base":
        from gpt_sovits.features.whisper_encoder import WhisperContentEncoder

        return WhisperContentEncoder(whisper_model_dir(root))
    raise ValueError(f"unknown content encoder {kind!r}; use one of {', '.join(CONTENT_DIMS)}")
