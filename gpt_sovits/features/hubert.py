"""chinese-hubert-base content encoder (profile gsv-v2): 16 kHz audio -> [1, 768, t] at 50 Hz.

Loaded with ``transformers.HubertModel`` from a local folder only (``local_files_only=True``;
nothing is ever fetched from a hub). ``pytorch_model.bin`` files are read by transformers with
``torch.load(weights_only=True)`` (we pass ``weights_only=True`` explicitly and refuse transformers
versions that predate the option), so a malicious pickle cannot run code; ``model.safetensors``
is preferred when both exist.

Input convention (as the original's feature extraction): the prepared, mixed waveform (see
:func:`gpt_sovits.features.content.prepare_wav32k`) resampled to 16 kHz and multiplied by
:data:`INPUT_SCALE`, fed directly to the model (no feature-extractor normalisation). HuBERT-base's
first convolution is followed by a per-channel GroupNorm, so the scale only matters through that
norm's epsilon; we use the original's training-time scale for training and inference alike.

Shapes: n = samples at 16 kHz, t = 50 Hz frames.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from gpt_sovits.features.content import CONTENT_DIMS, align_frames, content_frames
from gpt_sovits.features.hf_local import safe_from_pretrained

INPUT_SCALE = 1145.14  # the original's HuBERT input amplitude (its int16 path uses 32768)


class HubertEncoder:
    """HuBERT content encoder.

    Args:
        model: a ``transformers.HubertModel`` (eval mode).
        device: where to run it.
    """

    name = "hubert"

    def __init__(self, model: torch.nn.Module, device: str = "cpu") -> None:
        self.model = model.to(device).eval()
        self.device = device
        self.dim = int(model.config.hidden_size)

    @classmethod
    def from_dir(cls, path: str | Path, device: str = "cpu") -> HubertEncoder:
        """Load from a local transformers folder (e.g. ``pretrained/chinese-hubert-base``).

        Raises:
            ModelMissingError: the folder or its files are missing (the fix is the gsv-v2 download).
        """
        from transformers import HubertModel

        model = safe_from_pretrained(HubertModel, Path(path), "chinese-hubert-base")
        encoder = cls(model, device)
        if encoder.dim != CONTENT_DIMS["hubert"]:
            logging.getLogger(__name__).warning("HuBERT at %s has %d channels, expected 768", path, encoder.dim)
        return encoder

    @torch.no_grad()
    def encode(self, wav16k: np.ndarray) -> torch.Tensor:
        """16 kHz mono float audio ``[n]`` -> last hidden state ``[1, dim, n // 320]`` (float32, CPU)."""
        wav = torch.from_numpy(np.ascontiguousarray(wav16k, dtype=np.float32) * INPUT_SCALE)
        hidden = self.model(wav[None].to(self.device)).last_hidden_state  # [1, t, dim]
        features = hidden.transpose(1, 2).float().cpu()  # [1, dim, t]
        return align_frames(features, content_frames(wav.shape[0]))
