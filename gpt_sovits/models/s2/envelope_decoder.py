"""S2's envelope decoder: latent → spectral envelope, F0 and voicing → waveform (no HiFi-GAN).

A decoder option for profiles of our own (``S2Config.decoder == "envelope"``; official files keep
their HiFi-GAN). A small convolutional network reads the latent ``z`` (50 Hz) and the timbre vector
``ge`` and predicts, at twice the latent rate, the 80-band log envelope, log F0 and voicing that
:mod:`gpt_sovits.audio.envelope` analyses from speech and renders back into a waveform. Training is
a regression on those analysed targets (:func:`envelope_loss`), which converges on a CPU in minutes
where a neural vocoder needs days of adversarial training (session 28 of the starter's model card).

Shapes: B = batch, T = latent frames, T2 = 2T envelope frames, M = envelope bands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from gpt_sovits.audio.envelope import N_BANDS, render

F0_REFERENCE = 100.0  # log-F0 is predicted relative to this (Hz)
# Starting outputs: a typical speech envelope level (log |STFT| of 32 kHz speech, Hann 1024; the
# corpus spans -8.6..0.3 per band) and 150 Hz, so training does not spend its first thousands of
# steps moving biases from 0.
LOG_ENV_START, LOG_F0_START = -4.0, 0.4
HIDDEN = 256
LEAK = 0.1
F0_LIMITS = (40.0, 1100.0)  # Hz: what a pitch-shifted or widened contour is kept within


@dataclass(frozen=True)
class PitchControl:
    """How the decoder's predicted melody is changed at synthesis.

    Args:
        shift: semitones up (+) or down (-) for the whole take; 0 = the voice's own pitch.
        intonation: scale of the melody around its median (log F0): 1 = as predicted, 0 = monotone,
            1.5 = livelier.
        anchor_hz: where the take's median pitch goes before ``shift`` (the speaker's median, e.g.
            the reference clip's); None = where the decoder put it. The melody's shape is kept.
        contour: the melody's shape from the text (:class:`gpt_sovits.models.s2.melody.TextMelody`: log F0
            about the sentence's median, ``[K]`` or ``[B, K]``, resampled to the decoder's frames), used
            instead of the decoder's own; its level and voicing stay the decoder's. None = the decoder's.
        contour_weight: how much of the shape is the text's (1 = all, 0.5 = half the decoder's, in log F0).
    """

    shift: float = 0.0
    intonation: float = 1.0
    anchor_hz: float | None = None
    contour: torch.Tensor | None = field(default=None, compare=False)
    contour_weight: float = 1.0

    def __post_init__(self) -> None:
        if self.anchor_hz is not None and not F0_LIMITS[0] <= self.anchor_hz <= F0_LIMITS[1]:
            raise ValueError(f"anchor_hz {self.anchor_hz} is outside {F0_LIMITS} Hz")

    @property
    def neutral(self) -> bool:
        return self.shift == 0.0 and self.intonation == 1.0 and self.anchor_hz is None and self.contour is None

    def _text_shape(self, b: int, frames: int, voiced: torch.Tensor) -> torch.Tensor:
        """Item ``b``'s text contour at ``frames`` frames, about its median over the ``voiced`` ones."""
        assert self.contour is not None
        contour = self.contour if self.contour.dim() == 1 else self.contour[b]
        contour = F.interpolate(contour.float()[None, None], size=frames, mode="linear", align_corners=False)[0, 0]
        return contour - contour[voiced].median()

    def apply(self, f0_hz: torch.Tensor) -> torch.Tensor:
        """F0 ``[B, T2]`` (Hz, 0 = unvoiced) with the shift and the intonation scale applied per item."""
        if self.neutral:
            return f0_hz
        voiced = f0_hz > 0
        log_f0 = torch.log(f0_hz.clamp(min=1.0))
        out = torch.zeros_like(f0_hz)
        for b in range(f0_hz.shape[0]):
            if not voiced[b].any():
                continue
            centre = log_f0[b][voiced[b]].median()
            target = centre if self.anchor_hz is None else math.log(self.anchor_hz)
            shape = log_f0[b] - centre
            if self.contour is not None:
                text = self._text_shape(b, f0_hz.shape[1], voiced[b])
                shape = self.contour_weight * text + (1.0 - self.contour_weight) * shape
            moved = target + self.intonation * shape + self.shift * math.log(2) / 12
            out[b] = torch.where(voiced[b], torch.exp(moved).clamp(*F0_LIMITS), out[b])
        return out


@dataclass
class EnvelopeFrames:
    """Predicted ``log_env`` ``[B, T2, M]``, ``log_f0`` (log(F0 / 100)) ``[B, T2]``, ``voicing``
    logits ``[B, T2]``."""

    log_env: torch.Tensor
    log_f0: torch.Tensor
    voicing: torch.Tensor

    def f0_hz(self) -> torch.Tensor:
        """F0 ``[B, T2]`` in Hz where voiced (logit > 0), 0 elsewhere."""
        return torch.where(self.voicing > 0, F0_REFERENCE * torch.exp(self.log_f0), torch.zeros_like(self.log_f0))


class _Residual(nn.Module):
    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 5, padding=2 * dilation, dilation=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mix(F.leaky_relu(self.conv(F.leaky_relu(x, LEAK)), LEAK))


class EnvelopeDecoder(nn.Module):
    """``z`` ``[B, inter, T]`` + ``g`` ``[B, gin, 1]`` → :class:`EnvelopeFrames` → waveform
    ``[B, 1, T * 2 * hop]`` where ``hop`` is the envelope hop (half the latent's)."""

    has_source = False  # the HiFi-GAN decoder's harmonic-source flag; this decoder has its own pitch

    def __init__(self, inter_channels: int, gin_channels: int, sample_rate: int, latent_hop: int) -> None:
        super().__init__()
        if latent_hop % 2:
            raise ValueError(f"the latent hop ({latent_hop}) must be even: envelope frames are half of it")
        self.sample_rate, self.hop = sample_rate, latent_hop // 2
        self.pre = nn.Conv1d(inter_channels, HIDDEN, 5, padding=2)
        self.cond = nn.Conv1d(gin_channels, HIDDEN, 1)
        self.low = nn.Sequential(*[_Residual(HIDDEN, d) for d in (1, 2, 4)])
        self.up = nn.ConvTranspose1d(HIDDEN, HIDDEN, 4, stride=2, padding=1)
        self.cond_up = nn.Conv1d(gin_channels, HIDDEN, 1)
        self.high = nn.Sequential(*[_Residual(HIDDEN, d) for d in (1, 2, 4, 1)])
        self.out = nn.Conv1d(HIDDEN, N_BANDS + 2, 1)
        with torch.no_grad():
            self.out.bias[:N_BANDS] = LOG_ENV_START
            self.out.bias[N_BANDS] = LOG_F0_START
            self.out.bias[N_BANDS + 1] = 0.0

    def predict(self, z: torch.Tensor, g: torch.Tensor) -> EnvelopeFrames:
        """Envelope frames of a latent (two per latent frame)."""
        x = self.low(self.pre(z) + self.cond(g))
        x = self.up(F.leaky_relu(x, LEAK)) + self.cond_up(g)
        x = self.out(F.leaky_relu(self.high(x), LEAK))  # [B, M + 2, T2]
        return EnvelopeFrames(x[:, :N_BANDS].transpose(1, 2), x[:, N_BANDS], x[:, N_BANDS + 1])

    def forward(self, z: torch.Tensor, g: torch.Tensor | None = None, f0: torch.Tensor | None = None,
                generator: torch.Generator | None = None, pitch: PitchControl | None = None) -> torch.Tensor:
        """Waveform ``[B, 1, T * 2 * hop]``; ``f0`` unused (this decoder predicts its own), kept for the
        HiFi-GAN decoder's signature. ``pitch`` shifts or widens the predicted melody."""
        if g is None:
            raise ValueError("the envelope decoder needs the timbre vector g")
        frames = self.predict(z, g)
        f0_hz = (pitch or PitchControl()).apply(frames.f0_hz())
        voiced = (frames.voicing > 0).float()
        waves = [render(frames.log_env[b], f0_hz[b], voiced[b], self.sample_rate, self.hop, generator)
                 for b in range(z.shape[0])]
        return torch.stack(waves)[:, None].to(z.dtype)


def envelope_loss(frames: EnvelopeFrames, log_env: torch.Tensor, f0: torch.Tensor, mask: torch.Tensor
                  ) -> torch.Tensor:
    """L1 of the log envelope (mean over bands) + L1 of log F0 where voiced + voicing BCE, over the
    frames where ``mask`` ``[B, T2]`` is 1; targets ``log_env`` ``[B, T2, M]``, ``f0`` ``[B, T2]`` (Hz,
    0 = unvoiced)."""
    mask = mask.float()
    count = mask.sum().clamp(min=1)
    env = ((frames.log_env.float() - log_env.float()).abs().mean(-1) * mask).sum() / count
    voiced = (f0 > 0).float() * mask
    target = torch.log(f0.clamp(min=1.0) / F0_REFERENCE)
    pitch = ((frames.log_f0.float() - target).abs() * voiced).sum() / voiced.sum().clamp(min=1)
    voicing = (F.binary_cross_entropy_with_logits(frames.voicing.float(), (f0 > 0).float(), reduction="none")
               * mask).sum() / count
    return env + pitch + voicing
