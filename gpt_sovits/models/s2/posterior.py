"""Posterior encoder ``enc_q``: linear spectrogram → latent ``z`` (training only).

``pre`` (1x1 conv) → WaveNet stack conditioned on the (detached) timbre vector → ``proj`` to mean
and log-std; ``z = m + eps * exp(logs)``. Exported official weights omit this module.
"""

from __future__ import annotations

import torch
from torch import nn

from gpt_sovits.models.s2.segments import length_mask
from gpt_sovits.models.s2.wavenet import WN


class PosteriorEncoder(nn.Module):
    """``[B, spec_channels, T]`` spectrogram → ``(z, m, logs, mask)``, each ``[B, out, T]``."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        hidden_channels: int,
        kernel_size: int,
        dilation_rate: int,
        n_layers: int,
        gin_channels: int = 0,
    ) -> None:
        super().__init__()
        self.out_channels = out_channels
        self.pre = nn.Conv1d(in_channels, hidden_channels, 1)
        self.enc = WN(hidden_channels, kernel_size, dilation_rate, n_layers, gin_channels)
        self.proj = nn.Conv1d(hidden_channels, 2 * out_channels, 1)

    def forward(
        self,
        x: torch.Tensor,
        lengths: torch.Tensor,
        g: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        if g is not None:
            g = g.detach()
        mask = length_mask(lengths, x.shape[2], x.dtype)
        h = self.enc(self.pre(x) * mask, mask, g=g)
        stats = self.proj(h) * mask
        m, logs = torch.split(stats, self.out_channels, dim=1)
        noise = torch.randn(m.shape, generator=generator, dtype=m.dtype, device=m.device)
        z = (m + noise * torch.exp(logs)) * mask
        return z, m, logs, mask
