"""A HiFi-GAN decoder running at its own sample rate inside an S2 at another one.

The official S2 decodes one latent frame into exactly ``hop_length`` samples at ``sampling_rate``
(640 at 32 kHz). :class:`RateBridgedGenerator` keeps that contract for a decoder built for a
different rate and hop (the starter reuses a pretrained 22.05 kHz / 256-sample decoder):

1. the latent frames (50 Hz) are re-timed to the decoder's frame rate by linear interpolation at
   the decoder frames' centre times;
2. the ordinary :class:`~gpt_sovits.models.s2.hifigan.Generator` runs on them;
3. its audio is resampled to ``sampling_rate`` by a windowed-sinc polyphase filter (a fixed
   ``conv1d``, differentiable) and cropped to ``frames * hop_length`` samples.

No parameters are added: the state-dict keys are the plain generator's (``dec.conv_pre`` ...),
plus, with a harmonic source (:mod:`gpt_sovits.models.s2.harmonic`), ``dec.pitch.*`` and
``dec.source.*``; the pitch is predicted and given at the S2 frame rate.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from gpt_sovits.models.s2.hifigan import Generator


def sinc_resample_kernel(orig: int, new: int, zeros: int = 8, rolloff: float = 0.94) -> tuple[torch.Tensor, int]:
    """Polyphase low-pass kernels ``[new, 1, orig + 2 * width]`` and ``width`` (in input samples).

    ``orig``/``new`` are the reduced rate ratio (22050 → 32000 is 441 → 640). Output sample ``k``
    of block ``b`` sits at input position ``b * orig + k * orig / new``; each kernel is a Hann-
    windowed sinc with cut-off ``rolloff * min(orig, new) / 2`` cycles per block, ``zeros``
    zero-crossings on each side.
    """
    base = min(orig, new) * rolloff
    width = math.ceil(zeros * orig / base)
    taps = torch.arange(-width, width + orig, dtype=torch.float64)[None, :] / orig  # [1, K] blocks
    phase = torch.arange(new, dtype=torch.float64)[:, None] / new  # [new, 1]
    t = ((taps - phase) * base).clamp(-zeros, zeros)
    window = torch.cos(t * math.pi / zeros / 2) ** 2
    kernel = torch.where(t == 0, torch.ones_like(t), torch.sin(math.pi * t) / (math.pi * t))
    kernel = kernel * window * (base / orig)
    return kernel[:, None, :].float(), width


class SincResampler(nn.Module):
    """Resample ``[B, 1, N]`` audio from ``orig_rate`` to ``new_rate`` (differentiable)."""

    def __init__(self, orig_rate: int, new_rate: int) -> None:
        super().__init__()
        g = math.gcd(orig_rate, new_rate)
        self.orig, self.new = orig_rate // g, new_rate // g
        kernel, self.width = sinc_resample_kernel(self.orig, self.new)
        self.register_buffer("kernel", kernel, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` ``[B, 1, N]`` → ``[B, 1, ceil(N * new / orig)]``."""
        n = x.shape[-1]
        x = F.pad(x, (self.width, self.width + self.orig))
        y = F.conv1d(x, self.kernel.to(x.dtype), stride=self.orig)  # [B, new, blocks]
        y = y.transpose(1, 2).reshape(x.shape[0], 1, -1)
        return y[..., : math.ceil(n * self.new / self.orig)]


def retime_frames(x: torch.Tensor, src_period: float, dst_period: float, n_out: int) -> torch.Tensor:
    """Linear interpolation of frames ``x`` ``[B, C, T]`` (period ``src_period`` seconds) at the
    centres of ``n_out`` frames of period ``dst_period`` (edges held)."""
    centres = (torch.arange(n_out, dtype=torch.float64, device=x.device) + 0.5) * dst_period
    pos = (centres / src_period - 0.5).clamp(0, x.shape[-1] - 1)
    lo = pos.floor().long()
    hi = (lo + 1).clamp(max=x.shape[-1] - 1)
    frac = (pos - lo).to(x.dtype)
    return x[..., lo] * (1 - frac) + x[..., hi] * frac


class RateBridgedGenerator(Generator):
    """A :class:`Generator` at ``decoder_rate`` behind the S2's ``(sampling_rate, hop_length)``."""

    def __init__(self, *args, sampling_rate: int, hop_length: int, decoder_rate: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.hop_length = hop_length
        self.decoder_hop = math.prod(self.upsample_rates)
        self.frame_period = hop_length / sampling_rate
        self.decoder_period = self.decoder_hop / decoder_rate
        self.resampler = SincResampler(decoder_rate, sampling_rate)

    def forward(self, x: torch.Tensor, g: torch.Tensor | None = None, f0: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
        """``x`` ``[B, inter, T]`` at the S2 frame rate → waveform ``[B, 1, T * hop_length]``.

        With a harmonic source, ``f0`` ``[B, T]`` is at the S2 frame rate too (None: predicted from
        ``x`` there) and reaches the decoder's frames by nearest neighbour."""
        frames = x.shape[-1]
        n_dec = math.ceil(frames * self.frame_period / self.decoder_period) + 1
        if self.has_source:
            from gpt_sovits.models.s2.harmonic import nearest_frames

            f0 = self.pitch.f0(x, g) if f0 is None else f0
            f0 = nearest_frames(f0, self.frame_period, self.decoder_period, n_dec)
        x = retime_frames(x, self.frame_period, self.decoder_period, n_dec)
        audio = self.resampler(super().forward(x, g, f0, generator))
        target = frames * self.hop_length
        if audio.shape[-1] < target:
            audio = F.pad(audio, (0, target - audio.shape[-1]))
        return audio[..., :target]
