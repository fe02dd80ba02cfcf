"""A harmonic (neural source-filter) excitation for the HiFi-GAN decoder, and the pitch it follows.

Session 26 (pretrained/starter/MODEL_CARD.md) found that the starter's decoder, Piper joe's
HiFi-GAN, speaks every voice on one flat pitch: its frame rate, 86 Hz. The latent knows the pitch;
the decoder was only ever trained to make joe's. A decoder that is *given* the pitch does not have
to discover it: :class:`HarmonicSource` turns an F0 contour into a sum of sines (harmonics 1 ..
``harmonics`` of F0 where voiced, noise where not), merged into one excitation signal by a learnt
linear layer + tanh, and adds it after every upsampling stage of the decoder through a strided
``Conv1d`` that brings it to that stage's rate and channels (Wang et al., "Neural source-filter
waveform models", 2019; the same idea as NSF-HiFiGAN).

Training gives the decoder the true F0 of the utterance (YIN, :mod:`gpt_sovits.audio.pitch`);
synthesis gives it the F0 that :class:`PitchPredictor` reads from the latent and the timbre vector.

Shapes: B = batch, T = decoder frames, n = decoder samples, C = channels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

F0_REFERENCE = 100.0  # the predictor's log-F0 is relative to this (Hz)
SINE_AMPLITUDE = 0.1
VOICED_NOISE = 0.003
UNVOICED_NOISE = SINE_AMPLITUDE / 3


class PitchPredictor(nn.Module):
    """Latent frames ``[B, inter, T]`` + timbre ``[B, gin, 1]`` → ``(log(F0 / 100), voicing logit)``,
    each ``[B, T]``: three 5-wide convolutions with residual connections."""

    def __init__(self, inter_channels: int, gin_channels: int, hidden: int = 256) -> None:
        super().__init__()
        self.pre = nn.Conv1d(inter_channels, hidden, 5, padding=2)
        self.cond = nn.Conv1d(gin_channels, hidden, 1) if gin_channels else None
        self.mid = nn.ModuleList(nn.Conv1d(hidden, hidden, 5, padding=2) for _ in range(2))
        self.out = nn.Conv1d(hidden, 2, 1)

    def forward(self, z: torch.Tensor, g: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.pre(z)
        if self.cond is not None and g is not None:
            h = h + self.cond(g)
        h = F.leaky_relu(h, 0.1)
        for conv in self.mid:
            h = F.leaky_relu(conv(h), 0.1) + h
        out = self.out(h)
        return out[:, 0], out[:, 1]

    def f0(self, z: torch.Tensor, g: torch.Tensor | None = None) -> torch.Tensor:
        """F0 in Hz ``[B, T]``, 0 where the predictor calls the frame unvoiced."""
        log_f0, voicing = self(z, g)
        return torch.where(voicing > 0, F0_REFERENCE * torch.exp(log_f0), torch.zeros_like(log_f0))


def pitch_loss(log_f0: torch.Tensor, voicing: torch.Tensor, f0: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Voicing cross-entropy over the frames of ``mask`` ``[B, T]`` + L1 of log-F0 over the voiced
    ones, for the predictor's outputs against the true ``f0`` ``[B, T]`` (Hz, 0 = unvoiced)."""
    voiced = (f0 > 0).to(log_f0.dtype)
    bce = F.binary_cross_entropy_with_logits(voicing, voiced, reduction="none")
    loss_v = (bce * mask).sum() / mask.sum().clamp_min(1)
    weight = voiced * mask
    error = (log_f0 - torch.log(f0.clamp_min(1.0) / F0_REFERENCE)).abs()
    return loss_v + (error * weight).sum() / weight.sum().clamp_min(1)


class HarmonicSource(nn.Module):
    """F0 per decoder frame → one excitation signal → an additive input for each upsampling stage.

    Args:
        sample_rate: the decoder's sample rate; hop: its samples per frame (product of the
            upsampling rates).
        upsample_rates / stage_channels: the decoder's stages (output channels of each).
        harmonics: sines at 1 .. ``harmonics`` x F0 (those above Nyquist are dropped).
    """

    def __init__(self, sample_rate: int, upsample_rates: Sequence[int], stage_channels: Sequence[int],
                 harmonics: int = 8) -> None:
        super().__init__()
        self.sample_rate, self.harmonics = sample_rate, harmonics
        self.hop = math.prod(upsample_rates)
        self.merge = nn.Linear(harmonics + 1, 1)
        self.convs = nn.ModuleList()
        for i, channels in enumerate(stage_channels):
            stride = math.prod(upsample_rates[i + 1:])
            kernel = 2 * stride if stride > 1 else 1
            self.convs.append(nn.Conv1d(1, channels, kernel, stride, padding=stride // 2))

    def excitation(self, f0: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """F0 per decoder frame ``[B, T]`` (Hz, 0 = unvoiced) → excitation ``[B, 1, T * hop]``.

        Training draws a random start phase and the noise from ``generator``; in eval mode the
        phase starts at 0 (the noise is still random: it is the unvoiced sounds' source).
        """
        f = f0.repeat_interleave(self.hop, -1)  # [B, n]
        voiced = (f > 0).to(f.dtype)[:, None]
        if self.training:
            start = torch.rand(f.shape[0], 1, generator=generator, device=f.device, dtype=f.dtype)
        else:
            start = torch.zeros(f.shape[0], 1, device=f.device, dtype=f.dtype)
        phase = 2 * math.pi * (torch.cumsum(f / self.sample_rate, -1) + start)
        k = torch.arange(1, self.harmonics + 1, device=f.device, dtype=f.dtype)[None, :, None]
        below_nyquist = (k * f[:, None] < self.sample_rate / 2).to(f.dtype)
        sines = SINE_AMPLITUDE * torch.sin(k * phase[:, None]) * below_nyquist  # [B, H, n]
        noise = torch.randn(f.shape, generator=generator, device=f.device, dtype=f.dtype)[:, None]
        sines = (sines + VOICED_NOISE * noise) * voiced
        parts = torch.cat([sines, UNVOICED_NOISE * noise * (1 - voiced)], 1)  # [B, H + 1, n]
        return torch.tanh(self.merge(parts.transpose(1, 2)).transpose(1, 2))

    def forward(self, f0: torch.Tensor, lengths: Sequence[int],
                generator: torch.Generator | None = None) -> list[torch.Tensor]:
        """Per stage ``i`` the input ``[B, C_i, lengths[i]]`` to add after its upsampling."""
        source = self.excitation(f0, generator)
        return [conv(source)[..., :n] for conv, n in zip(self.convs, lengths, strict=True)]


def nearest_frames(f0: torch.Tensor, src_period: float, dst_period: float, n_out: int) -> torch.Tensor:
    """F0 ``[B, T]`` (frames of ``src_period`` s, centred) at the centres of ``n_out`` frames of
    ``dst_period`` s: the nearest source frame (no interpolation across voicing boundaries)."""
    centres = (torch.arange(n_out, dtype=torch.float64, device=f0.device) + 0.5) * dst_period
    index = (centres / src_period).floor().long().clamp(0, f0.shape[-1] - 1)
    return f0[:, index]
