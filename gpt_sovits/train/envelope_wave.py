"""A waveform loss for the envelope decoder: one rendered window per item beside the real audio.

The envelope regression (:mod:`gpt_sovits.train.envelope_terms`) fits log magnitudes, blind to
what makes phones recognisable; the HiFi-GAN decoder's intelligibility came from the Whisper
feature loss (:mod:`gpt_sovits.pretrain.whisper_loss`) on the waveform it generates. The envelope
decoder generates no waveform in training, so here one window of each item's predicted frames is
rendered (:func:`gpt_sovits.audio.envelope.render`, differentiable in the envelope; F0 and the
voicing decision are taken as predicted, without gradient) and handed to the same loss with the
real audio of that window.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.nn import functional as F

from gpt_sovits.audio.envelope import render
from gpt_sovits.models.s2.envelope_decoder import EnvelopeDecoder, EnvelopeFrames

WINDOW_FRAMES = 50  # latent frames per rendered window (1 s at 50 Hz): Whisper needs words, not 0.3 s
WaveLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def rendered_windows(dec: EnvelopeDecoder, frames: EnvelopeFrames, wav: torch.Tensor, lengths: list[int],
                     generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(real, rendered)`` ``[B, 1, W]``: for each item a window of up to :data:`WINDOW_FRAMES`
    latent frames at a random start within its ``lengths[b]`` frames, ``wav`` ``[B, 1, S]`` cut
    there and ``frames`` (two per latent frame) rendered there; shorter items are zero-padded."""
    latent_hop = 2 * dec.hop  # samples per latent frame
    width = min(WINDOW_FRAMES, max(lengths)) * latent_hop
    real, fake = [], []
    f0_hz = frames.f0_hz().detach()
    for b, length in enumerate(lengths):
        span = min(WINDOW_FRAMES, length)
        start = int(torch.randint(0, length - span + 1, (1,), generator=generator))
        lo, hi = 2 * start, 2 * (start + span)
        voiced = (frames.voicing[b, lo:hi] > 0).float()
        audio = render(frames.log_env[b, lo:hi], f0_hz[b, lo:hi], voiced, dec.sample_rate,
                       dec.hop, generator)
        clip = wav[b, 0, start * latent_hop:(start + span) * latent_hop].float()
        real.append(F.pad(clip, (0, width - clip.shape[0])))
        fake.append(F.pad(audio, (0, width - audio.shape[0])))
    return torch.stack(real)[:, None], torch.stack(fake)[:, None]


def wave_term(loss: WaveLoss, dec: EnvelopeDecoder, frames: EnvelopeFrames, wav: torch.Tensor,
              lengths: list[int], generator: torch.Generator | None) -> torch.Tensor:
    """``loss(real, rendered)`` of :func:`rendered_windows` (float32 scalar)."""
    real, fake = rendered_windows(dec, frames, wav, lengths, generator)
    return loss(real, fake).float()
