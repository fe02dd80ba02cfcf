"""Semantic tokens: 50 Hz content features -> 25 Hz token ids through the base S2.

The base S2 model's ``extract_latent`` does the work: ``ssl_proj`` (Conv1d k=2, s=2: 50 -> 25 Hz)
followed by the residual vector quantizer (nearest codebook entry). We take the first codebook's
ids of the single clip, like the original ``3-get-semantic.py`` (``codes[0, 0]``).

Features must come from the encoder the S2 was trained on (768-d HuBERT for gsv-v2, 512-d
Whisper-base for starter); a mismatch is reported instead of silently producing garbage.

Shapes: c = content channels, t = 50 Hz frames, t25 = t // 2 tokens, q = codebooks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from gpt_sovits.errors import CheckpointError
from gpt_sovits.features.content import ContentEncoder, content_input, prepare_wav32k

# The original appends int(32000 * 0.3) zero samples to the 16 kHz reference (0.6 s of silence)
# before extracting the prompt tokens; S1 was used with prompts that end this way.
PROMPT_TRAILING_SILENCE_16K = 9600


class LatentExtractor(Protocol):
    """What semantic extraction needs from ``SynthesizerTrn``."""

    def extract_latent(self, ssl: torch.Tensor) -> torch.Tensor:
        """``[1, c, t]`` content features -> codes ``[1, q, t // 2]`` (or ``[q, 1, t // 2]``)."""
        ...


def _expected_channels(model: object) -> int | None:
    proj = getattr(model, "ssl_proj", None)
    return int(proj.in_channels) if isinstance(proj, torch.nn.Conv1d) else None


@torch.no_grad()
def extract_semantic(s2_model: LatentExtractor, content_features: torch.Tensor) -> torch.Tensor:
    """Semantic token ids of one clip.

    Args:
        s2_model: the base S2 (``SynthesizerTrn``) of the profile the features belong to.
        content_features: ``[1, c, t]`` or ``[c, t]`` at 50 Hz.

    Returns:
        ``LongTensor[t // 2]`` of codebook ids (25 Hz).

    Raises:
        CheckpointError: the features' channel count is not what the S2 expects.
        ValueError: the tensor is not one clip of content features.
    """
    feats = content_features[None] if content_features.dim() == 2 else content_features  # [1, c, t]
    if feats.dim() != 3 or feats.shape[0] != 1:
        raise ValueError(f"expected content features [1, c, t] or [c, t], got {tuple(content_features.shape)}")
    expected = _expected_channels(s2_model)
    if expected is not None and feats.shape[1] != expected:
        raise CheckpointError(
            f"content features have {feats.shape[1]} channels but this S2 expects {expected}: they come "
            "from another profile's encoder. Re-extract features for the selected base model."
        )
    param = next(s2_model.parameters(), None) if isinstance(s2_model, torch.nn.Module) else None
    if param is not None:
        feats = feats.to(device=param.device, dtype=param.dtype)
    codes = s2_model.extract_latent(feats)  # [1, q, t25] (ours) or [q, 1, t25] (original)
    first = codes.reshape(-1, codes.shape[-1])[0]  # first codebook of the only clip: [t25]
    return first.detach().to(device="cpu", dtype=torch.long)


def load_latent_model(s2_path: str | Path, device: str = "cpu") -> torch.nn.Module:
    """The base S2 generator of a profile, for semantic extraction (official .pth or ours).

    Raises:
        CheckpointError: the file is missing, unreadable or not an S2 generator.
    """
    from gpt_sovits.checkpoint.s2_official import load_any_s2
    from gpt_sovits.models.s2.model import SynthesizerTrn

    weights = load_any_s2(s2_path)
    if weights.kind != "s2g" or weights.config is None:
        raise CheckpointError(f"{s2_path} holds {weights.kind!r} weights; semantic tokens need the S2 generator")
    model = SynthesizerTrn(weights.config, with_posterior=False)
    state = {k: v for k, v in weights.state_dict.items() if not k.startswith("enc_q.")}
    model.load_state_dict(state, strict=True)
    return model.to(device).eval()


def reference_semantic(
    wav32k: np.ndarray,
    encoder: ContentEncoder,
    s2_model: LatentExtractor,
    trailing_silence: int = PROMPT_TRAILING_SILENCE_16K,
) -> torch.Tensor:
    """Prompt tokens of a reference clip for S1, with the same audio convention as training.

    Args:
        wav32k: mono float reference audio ``[n]`` at 32 kHz (raw; the training mix is applied here).
        encoder: the profile's content encoder.
        s2_model: the profile's base S2.
        trailing_silence: zero samples appended at 16 kHz (the original's 0.6 s).

    Returns:
        ``LongTensor[t25]`` semantic tokens.
    """
    wav16k = content_input(prepare_wav32k(wav32k))  # [n / 2]
    wav16k = np.concatenate([wav16k, np.zeros(trailing_silence, dtype=np.float32)])
    return extract_semantic(s2_model, encoder.encode(wav16k))
