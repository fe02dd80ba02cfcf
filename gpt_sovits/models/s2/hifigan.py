"""HiFi-GAN v1 generator (``dec``): latent frames ``[B, inter, T]`` → waveform ``[B, 1, T * hop]``.

``conv_pre`` (k7) + ``cond(ge)`` → per stage: LeakyReLU(0.1) → weight-normed transposed conv
(stride = upsample rate, padding ``(k - u) // 2``, channels halve) → mean of the stage's
ResBlock1s → finally LeakyReLU(0.01) → ``conv_post`` (k7, no bias) → tanh.

The layers are ordinary (weight-normed) ``Conv1d``/``ConvTranspose1d`` modules, so state dicts
match the original. The forward pass runs them as 2-D convolutions on ``[B, C, 1, T]`` tensors in
channels-last memory format: the same arithmetic, but oneDNN's channels-last kernels are 2-4x
faster on CPU for these long, narrow signals (tests check equality with plain ``conv1d``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from gpt_sovits.models.s2.weight_norm import WeightNormMixin, WNConv1d, WNConvTranspose1d

LRELU_SLOPE = 0.1


def get_padding(kernel_size: int, dilation: int = 1) -> int:
    return (kernel_size * dilation - dilation) // 2


def _weight(layer: nn.Module) -> torch.Tensor:
    if isinstance(layer, WeightNormMixin):
        return layer.current_weight()
    return layer.weight


def conv_2d(layer: nn.Conv1d, x: torch.Tensor) -> torch.Tensor:
    """Apply a ``Conv1d`` layer to ``x`` ``[B, C, 1, T]`` as a 2-D convolution (same result)."""
    return F.conv2d(x, _weight(layer).unsqueeze(2), layer.bias, (1, layer.stride[0]),
                    (0, layer.padding[0]), (1, layer.dilation[0]), layer.groups)


def conv_transpose_2d(layer: nn.ConvTranspose1d, x: torch.Tensor) -> torch.Tensor:
    """Apply a ``ConvTranspose1d`` layer to ``x`` ``[B, C, 1, T]`` as a 2-D transposed conv."""
    return F.conv_transpose2d(x, _weight(layer).unsqueeze(2), layer.bias, (1, layer.stride[0]),
                              (0, layer.padding[0]), (0, layer.output_padding[0]), layer.groups,
                              (1, layer.dilation[0]))


class ResBlock1(nn.Module):
    """Three (dilated conv, conv) pairs with LeakyReLU and residual connections."""

    def __init__(self, channels: int, kernel_size: int, dilations: Sequence[int]) -> None:
        super().__init__()
        self.convs1 = nn.ModuleList(
            WNConv1d(channels, channels, kernel_size, dilation=d, padding=get_padding(kernel_size, d))
            for d in dilations
        )
        self.convs2 = nn.ModuleList(
            WNConv1d(channels, channels, kernel_size, padding=get_padding(kernel_size))
            for _ in dilations
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` ``[B, C, 1, T]`` (channels-last) → same shape."""
        for c1, c2 in zip(self.convs1, self.convs2, strict=True):
            xt = conv_2d(c1, F.leaky_relu(x, LRELU_SLOPE))
            # In-place ops only on fresh conv outputs (autograd-safe): saves memory traffic.
            xt = conv_2d(c2, F.leaky_relu(xt, LRELU_SLOPE, inplace=True))
            x = xt.add_(x)
        return x


class ResBlock2(nn.Module):
    """HiFi-GAN's light block: one dilated conv per dilation, each with a residual connection."""

    def __init__(self, channels: int, kernel_size: int, dilations: Sequence[int]) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            WNConv1d(channels, channels, kernel_size, dilation=d, padding=get_padding(kernel_size, d))
            for d in dilations
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` ``[B, C, 1, T]`` (channels-last) → same shape."""
        for conv in self.convs:
            x = conv_2d(conv, F.leaky_relu(x, LRELU_SLOPE)).add_(x)
        return x


RESBLOCKS: dict[str, type[nn.Module]] = {"1": ResBlock1, "2": ResBlock2}


class Generator(nn.Module):
    """HiFi-GAN generator with global conditioning (``resblock`` "1" as in SoVITS, "2" light)."""

    def __init__(
        self,
        initial_channel: int,
        resblock_kernel_sizes: Sequence[int],
        resblock_dilation_sizes: Sequence[Sequence[int]],
        upsample_rates: Sequence[int],
        upsample_initial_channel: int,
        upsample_kernel_sizes: Sequence[int],
        gin_channels: int = 0,
        resblock: str = "1",
    ) -> None:
        super().__init__()
        block = RESBLOCKS[resblock]
        self.upsample_rates = tuple(upsample_rates)
        self.num_kernels = len(resblock_kernel_sizes)
        self.conv_pre = nn.Conv1d(initial_channel, upsample_initial_channel, 7, 1, padding=3)
        self.ups = nn.ModuleList()
        for i, (u, k) in enumerate(zip(upsample_rates, upsample_kernel_sizes, strict=True)):
            c_in = upsample_initial_channel // (2**i)
            self.ups.append(WNConvTranspose1d(c_in, c_in // 2, k, u, padding=(k - u) // 2))
        self.resblocks = nn.ModuleList()
        ch = upsample_initial_channel
        for i in range(len(self.ups)):
            ch = upsample_initial_channel // (2 ** (i + 1))
            for k, d in zip(resblock_kernel_sizes, resblock_dilation_sizes, strict=True):
                self.resblocks.append(block(ch, k, d))
        self.conv_post = nn.Conv1d(ch, 1, 7, 1, padding=3, bias=False)
        if gin_channels:
            self.cond = nn.Conv1d(gin_channels, upsample_initial_channel, 1)
        self.gin_channels = gin_channels

    def add_harmonic_source(self, sample_rate: int, harmonics: int) -> None:
        """Give the decoder a harmonic excitation (``source``) and the pitch predictor that drives it
        at synthesis (``pitch``); see :mod:`gpt_sovits.models.s2.harmonic`. Not in official files."""
        from gpt_sovits.models.s2.harmonic import HarmonicSource, PitchPredictor

        channels = [self.conv_pre.out_channels // 2 ** (i + 1) for i in range(len(self.ups))]
        self.pitch = PitchPredictor(self.conv_pre.in_channels, self.gin_channels)
        self.source = HarmonicSource(sample_rate, self.upsample_rates, channels, harmonics)

    @property
    def has_source(self) -> bool:
        return hasattr(self, "source")

    def forward(self, x: torch.Tensor, g: torch.Tensor | None = None, f0: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
        """``x`` ``[B, inter, T]``, ``g`` ``[B, gin, 1]`` → waveform ``[B, 1, T * hop]``.

        With a harmonic source, ``f0`` ``[B, T]`` (Hz per frame, 0 = unvoiced) is the pitch to
        speak at (None: the pitch predictor's); ``generator`` draws the source's noise."""
        sources = None
        if self.has_source:
            f0 = self.pitch.f0(x, g) if f0 is None else f0
            lengths = [x.shape[-1] * math.prod(self.upsample_rates[: i + 1]) for i in range(len(self.ups))]
            sources = self.source(f0, lengths, generator)
        x = self.conv_pre(x)
        if g is not None:
            x = x + self.cond(g)
        x = x.unsqueeze(2).contiguous(memory_format=torch.channels_last)  # [B, C, 1, T]
        n = self.num_kernels
        for i, up in enumerate(self.ups):
            x = conv_transpose_2d(up, F.leaky_relu(x, LRELU_SLOPE))
            if sources is not None:
                x = x + sources[i].unsqueeze(2)
            blocks = self.resblocks[i * n : (i + 1) * n]
            xs = blocks[0](x)
            for block in blocks[1:]:
                xs = xs.add_(block(x))
            x = xs.div_(n)
        x = conv_2d(self.conv_post, F.leaky_relu(x))
        return torch.tanh(x.squeeze(2).contiguous())
