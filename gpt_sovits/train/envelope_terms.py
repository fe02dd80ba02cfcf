"""S2 losses for the envelope decoder (``S2Config.decoder == "envelope"``).

The HiFi-GAN decoder is trained through the mel of the waveform slices it generates; the envelope
decoder is a regression onto what :mod:`gpt_sovits.audio.envelope` analyses from the real audio
(log envelope, F0, voicing; :func:`gpt_sovits.train.dataset.item_envelope`), over the whole
utterance, so no waveform is generated in training. Its term ``envelope`` is weighted by ``c_mel``
like the mel loss it stands in for (both are L1s of log magnitudes); ``kl`` is the usual KL, and
with a prior weight > 0, ``prior_envelope`` is the same regression from the latent synthesis decodes
(the prior mean + noise through the reverse flow). With a waveform loss (the Whisper feature loss),
``wave`` and ``prior_wave`` compare a rendered window of each path with the real audio
(:mod:`gpt_sovits.train.envelope_wave`).
"""

from __future__ import annotations

import torch

from gpt_sovits.models.s2.envelope_decoder import EnvelopeDecoder, EnvelopeFrames, envelope_loss
from gpt_sovits.models.s2.losses import kl_loss
from gpt_sovits.models.s2.model import S2TrainOutput, SynthesizerTrn
from gpt_sovits.train.config import TrainConfig
from gpt_sovits.train.dataset import S2Batch
from gpt_sovits.train.envelope_wave import WaveLoss, wave_term


def _loss(frames: EnvelopeFrames, batch: S2Batch, out: S2TrainOutput) -> torch.Tensor:
    if batch.env is None or batch.env_f0 is None:
        raise ValueError("the envelope decoder trains on envelope targets: collate with envelope=True")
    mask = out.y_mask[:, 0].repeat_interleave(2, dim=-1)  # [B, 2T]
    return envelope_loss(frames, batch.env, batch.env_f0, mask).float()


def envelope_terms(gen: SynthesizerTrn, batch: S2Batch, out: S2TrainOutput, config: TrainConfig,
                   prior_weight: float, noise_scale: float, generator: torch.Generator | None,
                   wave_loss: WaveLoss | None = None) -> dict[str, torch.Tensor]:
    """``envelope`` and ``kl`` (and ``prior_envelope`` when ``prior_weight`` > 0; ``wave`` and
    ``prior_wave`` with ``wave_loss``), float32."""
    assert out.envelope is not None and isinstance(gen.dec, EnvelopeDecoder)
    terms = {"envelope": _loss(out.envelope, batch, out) * config.c_mel,
             "kl": kl_loss(out.z_p, out.logs_q, out.m_p, out.logs_p, out.y_mask) * config.c_kl}
    lengths = [int(n) for n in out.y_mask[:, 0].sum(-1)]
    if wave_loss is not None:
        terms["wave"] = wave_term(wave_loss, gen.dec, out.envelope, batch.wav, lengths, generator)
    if prior_weight > 0:
        prior = gen.prior_envelope(out, noise_scale, generator)
        terms["prior_envelope"] = _loss(prior, batch, out) * config.c_mel * prior_weight
        if wave_loss is not None:
            terms["prior_wave"] = wave_term(wave_loss, gen.dec, prior, batch.wav, lengths, generator) * prior_weight
    return terms
