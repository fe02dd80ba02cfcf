"""HiFi-GAN discriminators: one scale discriminator plus period discriminators (v2: 2,3,5,7,11).

Every conv is weight-normalised (legacy ``weight_g``/``weight_v`` keys) and followed by
LeakyReLU(0.1); each discriminator returns its flattened logits and its feature maps.
``width_divisor`` (``S2Config.discriminator_width_divisor``) divides every channel and group
count: 1 gives the official shapes; the tiny test preset uses a small divisor so that its
training steps and checkpoints are not dominated by a full-size discriminator.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from gpt_sovits.models.s2.config import S2Config
from gpt_sovits.models.s2.hifigan import LRELU_SLOPE, get_padding
from gpt_sovits.models.s2.weight_norm import WNConv1d, WNConv2d

Scores = list[torch.Tensor]
FeatureMaps = list[list[torch.Tensor]]


def _narrow(channels: int, divisor: int) -> int:
    return max(1, channels // divisor)


class DiscriminatorP(nn.Module):
    """Folds the waveform into ``[B, 1, T / period, period]`` and runs 2-D convs along time."""

    def __init__(self, period: int, kernel_size: int = 5, stride: int = 3, width_divisor: int = 1) -> None:
        super().__init__()
        self.period = period
        pad = (get_padding(kernel_size, 1), 0)
        chans = [1] + [_narrow(c, width_divisor) for c in (32, 128, 512, 1024)]
        self.convs = nn.ModuleList(
            WNConv2d(chans[i], chans[i + 1], (kernel_size, 1), (stride, 1), padding=pad)
            for i in range(4)
        )
        self.convs.append(WNConv2d(chans[4], chans[4], (kernel_size, 1), 1, padding=pad))
        self.conv_post = WNConv2d(chans[4], 1, (3, 1), 1, padding=(1, 0))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        b, c, t = x.shape
        if t % self.period:
            n_pad = self.period - t % self.period
            x = F.pad(x, (0, n_pad), "reflect")
            t += n_pad
        x = x.view(b, c, t // self.period, self.period)
        fmap = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), LRELU_SLOPE)
            fmap.append(x)
        x = self.conv_post(x)
        fmap.append(x)
        return torch.flatten(x, 1, -1), fmap


class DiscriminatorS(nn.Module):
    """Scale discriminator on the raw waveform (grouped strided 1-D convs)."""

    def __init__(self, width_divisor: int = 1) -> None:
        super().__init__()
        c = [_narrow(n, width_divisor) for n in (16, 64, 256, 1024)]
        g = [_narrow(n, width_divisor) for n in (4, 16, 64, 256)]
        self.convs = nn.ModuleList([
            WNConv1d(1, c[0], 15, 1, padding=7),
            WNConv1d(c[0], c[1], 41, 4, groups=g[0], padding=20),
            WNConv1d(c[1], c[2], 41, 4, groups=g[1], padding=20),
            WNConv1d(c[2], c[3], 41, 4, groups=g[2], padding=20),
            WNConv1d(c[3], c[3], 41, 4, groups=g[3], padding=20),
            WNConv1d(c[3], c[3], 5, 1, padding=2),
        ])
        self.conv_post = WNConv1d(c[3], 1, 3, 1, padding=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        fmap = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), LRELU_SLOPE)
            fmap.append(x)
        x = self.conv_post(x)
        fmap.append(x)
        return torch.flatten(x, 1, -1), fmap


class MultiPeriodDiscriminator(nn.Module):
    """``discriminators[0]`` = scale discriminator, then one period discriminator per period."""

    def __init__(self, periods: Sequence[int] = (2, 3, 5, 7, 11), width_divisor: int = 1) -> None:
        super().__init__()
        discs: list[nn.Module] = [DiscriminatorS(width_divisor)]
        discs += [DiscriminatorP(p, width_divisor=width_divisor) for p in periods]
        self.discriminators = nn.ModuleList(discs)

    @classmethod
    def for_config(cls, config: S2Config) -> MultiPeriodDiscriminator:
        """The discriminator that goes with an S2 generator config (periods and width)."""
        return cls(config.discriminator_periods, config.discriminator_width_divisor)

    def forward(
        self, y: torch.Tensor, y_hat: torch.Tensor
    ) -> tuple[Scores, Scores, FeatureMaps, FeatureMaps]:
        """Real ``y`` and generated ``y_hat`` ``[B, 1, N]`` → ``(real scores, fake scores,
        real feature maps, fake feature maps)``, one entry per discriminator.

        Both inputs go through each discriminator in one batched call.
        """
        batch = y.shape[0]
        both = torch.cat([y, y_hat], dim=0)
        y_d_rs, y_d_gs, fmap_rs, fmap_gs = [], [], [], []
        for disc in self.discriminators:
            score, fmap = disc(both)
            y_d_rs.append(score[:batch])
            y_d_gs.append(score[batch:])
            fmap_rs.append([f[:batch] for f in fmap])
            fmap_gs.append([f[batch:] for f in fmap])
        return y_d_rs, y_d_gs, fmap_rs, fmap_gs
