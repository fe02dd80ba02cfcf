"""A Whisper feature loss for S2: generated speech should look, to Whisper's encoder, like the real
speech of the same slice.

The mel and phone losses (:mod:`.mel_phones`) did not make S2's output intelligible enough: a mel
fit is blind to what makes phones recognisable, and the phone recogniser is small and trained on
the corpus alone. Whisper-base's encoder reads speech from many voices and recording conditions;
its block outputs on the generated slice are compared with those on the real slice (L1, each
block's distance divided by the real features' mean magnitude, averaged over blocks), with the
frozen torch copy of the encoder (:class:`~gpt_sovits.features.whisper_torch.WhisperTorchEncoder`).
Both slices are encoded alone and unpadded (S2 trains on slices of a fraction of a second), so
the loss compares like with like; it does not reproduce the content features, which come from
30 s windows.
"""

from __future__ import annotations

from pathlib import Path

import torch

from gpt_sovits.features.whisper_torch import WhisperTorchEncoder, whisper_log_mel


class WhisperFeatureLoss:
    """``weight x mean_blocks(|f(fake) - f(real)|.mean() / |f(real)|.mean())`` for waveform slices
    ``[B, 1, S]`` (or ``[B, S]``) at ``sr``; ``blocks`` picks the encoder blocks compared (0-based;
    None = all)."""

    def __init__(self, encoder: WhisperTorchEncoder, weight: float, sr: int,
                 blocks: tuple[int, ...] | None = None) -> None:
        self.encoder = encoder.eval().requires_grad_(False)
        self.weight, self.sr = weight, sr
        self.blocks = blocks

    @classmethod
    def from_model_dir(cls, model_dir: str | Path, weight: float, sr: int) -> WhisperFeatureLoss:
        return cls(WhisperTorchEncoder.from_ct2(model_dir), weight, sr)

    def _features(self, wave: torch.Tensor) -> list[torch.Tensor]:
        outs = self.encoder(whisper_log_mel(wave.reshape(wave.shape[0], -1).float(), self.sr))
        return outs if self.blocks is None else [outs[i] for i in self.blocks]

    def __call__(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            target = self._features(real)
        terms = [(f - t).abs().mean() / t.abs().mean().clamp(min=1e-6)
                 for f, t in zip(self._features(fake), target, strict=True)]
        return self.weight * torch.stack(terms).mean()
