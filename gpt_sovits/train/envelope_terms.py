"""S2 losses for the envelope decoder (``S2Config.decoder == "envelope"``).

The HiFi-GAN decoder is trained through the mel of the waveform slices it generates; the envelope
decoder is a regression onto what :mod:`gpt_sovits.audio.envelope` analyses from the real audio
(log envelope, F0, voicing; :func:`gpt_sovits.train.dataset.item_envelope`), over the whole
utterance, so no waveform is generated in training. Its term ``envelope`` is weighted by ``c_mel``
like the mel loss it stands in for (both are L1s of log magnitudes); ``kl`` is the usual KL, and
with a prior weight > 0, ``prior_envelope`` is the same regression from the latent synthesis decodes
(the prior mean + noise through the reverse flow).
"""

from __future__ import annotations

import torch

from gpt_sovits.models.s2.envelope_decoder import EnvelopeFrames, envelope_loss
from gpt_sovits.models.s2.losses import kl_loss
from gpt_sovits.models.s2.model import S2TrainOutput, SynthesizerTrn
from gpt_sovits.train.config import TrainConfig
from gpt_sovits.train.dataset import S2Batch, TrainItem, collate_s2, item_envelope


def _loss(frames: EnvelopeFrames, batch: S2Batch, out: S2TrainOutput) -> torch.Tensor:
    if batch.env is None or batch.env_f0 is None:
        raise ValueError("the envelope decoder trains on envelope targets: collate with envelope=True")
    mask = out.y_mask[:, 0].repeat_interleave(2, dim=-1)  # [B, 2T]
    return envelope_loss(frames, batch.env, batch.env_f0, mask).float()


def envelope_terms(gen: SynthesizerTrn, batch: S2Batch, out: S2TrainOutput, config: TrainConfig,
                   prior_weight: float, noise_scale: float,
                   generator: torch.Generator | None) -> dict[str, torch.Tensor]:
    """``envelope`` and ``kl`` (and ``prior_envelope`` when ``prior_weight`` > 0), float32."""
    assert out.envelope is not None
    terms = {"envelope": _loss(out.envelope, batch, out) * config.c_mel,
             "kl": kl_loss(out.z_p, out.logs_q, out.m_p, out.logs_p, out.y_mask) * config.c_kl}
    if prior_weight > 0:
        prior = gen.prior_envelope(out, noise_scale, generator)
        terms["prior_envelope"] = _loss(prior, batch, out) * config.c_mel * prior_weight
    return terms


class FrozenLatents:
    """The latents a frozen S2 gives each item, computed once (decoder-only envelope runs).

    When only the decoder learns, the timbre vector, the posterior's mean and log-std and a prior
    latent (noise ``noise_scale``, reverse flow: what synthesis decodes) never change: computing them
    once per item instead of every step cut a step of run e28 from 1.05 s to 0.71 s (session 28). A fresh posterior
    sample is drawn each step; the prior sample is fixed per item.
    """

    def __init__(self, gen: SynthesizerTrn, noise_scale: float, seed: int) -> None:
        self.gen, self.noise_scale = gen, noise_scale
        self.generator = torch.Generator().manual_seed(seed)
        self.cache: dict[str, tuple[torch.Tensor, ...]] = {}

    def get(self, item: TrainItem, seg_frames: int) -> tuple[torch.Tensor, ...]:
        """``(ge [1, gin, 1], m_q, logs_q, z_prior)``, latents ``[1, inter, t]`` over the item's frames."""
        if item.slice_id not in self.cache:
            training = self.gen.training
            self.gen.eval()
            with torch.no_grad():
                batch = collate_s2([item], seg_frames)
                out = self.gen(batch.ssl, batch.spec, batch.spec_lengths, batch.text, batch.text_lengths,
                               generator=self.generator)
                z_prior = self.gen.prior_latent(out, self.noise_scale, self.generator)
            self.gen.train(training)
            t = item.frames
            self.cache[item.slice_id] = (out.ge, out.m_q[..., :t].half(), out.logs_q[..., :t].half(),
                                         z_prior[..., :t].half())
        return self.cache[item.slice_id]


def cached_envelope_terms(latents: FrozenLatents, items: list[TrainItem], config: TrainConfig, prior_weight: float,
                          seg_frames: int, generator: torch.Generator | None) -> dict[str, torch.Tensor]:
    """``envelope`` (+ ``prior_envelope``) of a batch from :class:`FrozenLatents`, mean over items
    (no KL: nothing it measures can change)."""
    dec = latents.gen.dec
    sums: dict[str, torch.Tensor] = {}
    for item in items:
        ge, m_q, logs_q, z_prior = latents.get(item, seg_frames)
        env, f0 = (t[None] for t in item_envelope(item))
        mask = torch.ones_like(f0)
        noise = torch.randn(m_q.shape, generator=generator)
        z = m_q.float() + noise * torch.exp(logs_q.float())
        found = {"envelope": envelope_loss(dec.predict(z, ge), env, f0, mask) * config.c_mel}
        if prior_weight > 0:
            found["prior_envelope"] = envelope_loss(dec.predict(z_prior.float(), ge), env, f0, mask) * (
                config.c_mel * prior_weight)
        for name, value in found.items():
            sums[name] = sums.get(name, torch.zeros(())) + value.float() / len(items)
    return sums
