"""S2 (SoVITS) fine-tuning step, as the original ``s2_train.py`` does it.

- Generator ``SynthesizerTrn`` (with posterior encoder) + ``MultiPeriodDiscriminator``.
- Discriminator: LSGAN ``sum (1 - D(real))^2 + D(fake)^2``.
- Generator: LSGAN ``sum (1 - D(fake))^2`` + feature matching (x2) + ``c_mel`` (45) x L1 of
  log-mels + commitment (0 with the frozen quantizer) + ``c_kl`` (1) x KL.
- AdamW lr 1e-4, betas (0.8, 0.99), eps 1e-9 (default weight decay 0.01) for both networks;
  ``enc_p.text_embedding``, ``enc_p.encoder_text`` and ``enc_p.mrte`` at ``text_low_lr_rate``
  (0.4) x lr; lr x ``0.999875 ** epoch`` (the original's per-epoch ExponentialLR).
- ``ssl_proj`` and the quantizer are frozen (eval mode, no gradient, not in the optimiser).
- The decoder sees a random 32-frame (20480-sample) slice of each item, drawn from the trainer's
  own seeded generator (part of the checkpoint). CUDA runs use autocast + GradScaler.
- A decoder running below 32 kHz (the starter's, ``decoder_sampling_rate``) cannot make the top
  mel bands; the mel loss then covers only the bins it can make (:func:`decodable_mel_bins`).
- Pretraining may add one more term, ``latent_anchor(gen)`` (see gpt_sovits.pretrain.anchor).
- Bases without discriminator may add a phone loss (``phones``) and, with ``s2_prior_weight`` > 0,
  the mel (+ phone) loss of the prior path: the same slice decoded from the prior, as inference
  decodes it (:meth:`SynthesizerTrn.decode_prior_slice`), so what synthesis uses is trained
  directly and not only through the KL to the posterior.
- With a discriminator and a decoder below 32 kHz, the discriminator sees the real slices through
  the same band limit as the generated ones (down to ``decoder_sampling_rate`` and back up with the
  rate bridge's resampler): otherwise it tells them apart by the top band the decoder cannot make,
  a difference no generator gradient can close.
- With a discriminator and ``s2_prior_adversarial`` > 0 the prior path's slice meets the
  discriminator too (it learns to tell it from the real slice, and the generator gets its
  adversarial + feature-matching terms ``prior_g_adv`` / ``prior_fm`` at that weight): the path
  synthesis decodes is then shaped by the discriminator, not only by mel + KL.
- With ``s2_stft_weight`` > 0 a multi-resolution STFT loss of the slices (both paths) keeps the
  harmonics that mel + KL alone let a decoder without discriminator smear.
- A decoder with a harmonic source (``harmonic_source``) speaks each slice at the utterance's true
  pitch (YIN, cached per item) on both paths, and its pitch predictor learns that pitch from the
  posterior latent (``pitch``: voicing cross-entropy + L1 of log-F0, times ``s2_pitch_weight``) and,
  with the prior path, from the prior latent synthesis gives it (``prior_pitch``). The decoder learns
  to follow that pitch through a log-spectrum loss fine enough to see single harmonics (0-2 kHz,
  ``harmonics``, times ``s2_harmonic_weight``, both paths): the mel loss hardly sees pitch.
- The envelope decoder (``decoder`` "envelope") is trained by regression instead
  (gpt_sovits.train.envelope_terms): ``envelope`` (+ ``prior_envelope``) and ``kl``; a waveform
  loss sees a rendered window of each path (gpt_sovits.train.envelope_wave).
- Pretraining may also pass a waveform loss ``wave_loss(real slices, generated slices)`` (the
  Whisper feature loss, gpt_sovits.pretrain.whisper_loss), applied to both paths like the phone loss.

Shapes: B = batch, T = 50 Hz frames, S = segment samples (20480), M = mel bins.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gpt_sovits.audio.spectral import mel_filterbank, mel_spectrogram, spec_to_mel
from gpt_sovits.infer.options import SynthesisOptions
from gpt_sovits.models.s2.config import decoder_frame_rate
from gpt_sovits.models.s2.discriminators import MultiPeriodDiscriminator
from gpt_sovits.models.s2.envelope_decoder import EnvelopeDecoder
from gpt_sovits.models.s2.harmonic import pitch_loss
from gpt_sovits.models.s2.losses import (
    discriminator_loss,
    feature_loss,
    frame_buzz_loss,
    generator_loss,
    harmonic_loss,
    kl_loss,
    mel_l1_loss,
    stft_loss,
)
from gpt_sovits.models.s2.model import S2TrainOutput, SynthesizerTrn
from gpt_sovits.models.s2.rate_bridge import SincResampler
from gpt_sovits.models.s2.segments import slice_segments
from gpt_sovits.train.config import TrainConfig
from gpt_sovits.train.dataset import S2Batch, TrainItem, collate_s2
from gpt_sovits.train.envelope_terms import envelope_terms
from gpt_sovits.train.frozen_latents import FrozenLatents, cached_envelope_terms
from gpt_sovits.train.samples import Previewer

TEXT_SIDE = ("enc_p.text_embedding.", "enc_p.encoder_text.", "enc_p.mrte.")
FROZEN = ("ssl_proj.", "quantizer.")
# The timbre input and a harmonic source's pitch predictor (it only learns the voice's pitch) stay
# trainable when the decoder is frozen.
DECODER, DECODER_COND = "dec.", ("dec.cond.", "dec.pitch.")
SOURCE = ("dec.source.", "dec.pitch.")
PRIOR_NOISE_SCALE = SynthesisOptions.noise_scale  # the prior path is trained at the synthesis default


def generator_param_groups(gen: SynthesizerTrn, lr: float, text_low_lr_rate: float,
                           freeze_decoder: bool = False, decoder_only: bool = False,
                           source_lr_scale: float = 1.0) -> list[dict[str, Any]]:
    """AdamW groups: everything trainable at ``lr``, the text-side modules at ``lr * rate``, and a
    decoder's harmonic source and pitch predictor (if any) at ``lr * source_lr_scale``.

    A frozen decoder (or, with ``decoder_only``, everything but the decoder) stays in its group
    without gradients (AdamW skips it), so optimiser states stay loadable whichever a run froze."""
    main, text, source = [], [], []
    for name, param in gen.named_parameters():
        if name.startswith(FROZEN):
            param.requires_grad_(False)
            continue
        if decoder_only:
            param.requires_grad_(name.startswith(DECODER))
        elif name.startswith(DECODER) and not name.startswith(DECODER_COND):
            param.requires_grad_(not freeze_decoder)
        (text if name.startswith(TEXT_SIDE) else source if name.startswith(SOURCE) else main).append(param)
    groups = [{"params": main, "lr": lr, "lr_scale": 1.0},
              {"params": text, "lr": lr * text_low_lr_rate, "lr_scale": text_low_lr_rate}]
    if source:
        groups.append({"params": source, "lr": lr * source_lr_scale, "lr_scale": source_lr_scale})
    return groups


def decodable_mel_bins(cfg) -> int:
    """Mel bins (from the bottom) whose filter lies wholly below what the decoder can produce:
    all of them at the official 32 kHz; below 0.94 x Nyquist of ``decoder_sampling_rate`` (the
    rate bridge's resampler roll-off) otherwise."""
    if not cfg.decoder_sampling_rate:
        return cfg.n_mel_channels
    basis = mel_filterbank(cfg.sampling_rate, cfg.filter_length, cfg.n_mel_channels, float(cfg.mel_fmin),
                           cfg.mel_fmax, torch.float32, torch.device("cpu"))
    limit = 0.94 * cfg.decoder_sampling_rate / 2 * cfg.filter_length / cfg.sampling_rate  # in FFT bins
    top = torch.arange(basis.shape[1])[None].expand_as(basis).where(basis > 0, 0).amax(1)
    return max(1, int((top <= limit).sum()))


def _band_limit(cfg) -> nn.Module:
    """Down to the rate-bridged decoder's rate and back up, with the bridge's own filter."""
    return nn.Sequential(SincResampler(cfg.sampling_rate, cfg.decoder_sampling_rate),
                         SincResampler(cfg.decoder_sampling_rate, cfg.sampling_rate))


def _grad_norm(params: list[nn.Parameter]) -> float:
    grads = [p.grad.detach().float().norm() for p in params if p.grad is not None]
    return float(torch.stack(grads).norm()) if grads else 0.0


class S2Trainer:
    """One S2 fine-tuning stage (see the module docstring).

    Args:
        gen: generator with ``enc_q`` (initialised from the base profile).
        disc: discriminator (from the base profile's s2d, or random).
        config: the run's TrainConfig.
        device: where to train.
        val_items: held-out slices for validation.
        previewer: renders the preview sentence (None: no previews).
        s1_for_preview: the S1 model used for previews during this stage (the base S1).
        latent_anchor: extra generator loss ``f(gen) -> scalar`` added every step (pretraining).
        wave_loss: extra loss ``f(real slices, generated slices) -> scalar`` (``[B, 1, S]``) on both
            paths, like ``phone_loss``.
        phone_loss: extra loss ``f(real log-mel, generated log-mel) -> scalar`` on each step's
            slices (:class:`gpt_sovits.pretrain.mel_phones.PhoneLoss`), also reported by validation.
    """

    stage = "s2"

    def __init__(self, gen: SynthesizerTrn, disc: MultiPeriodDiscriminator | None, config: TrainConfig,
                 device: torch.device, val_items: list[TrainItem], previewer: Previewer | None = None,
                 s1_for_preview: nn.Module | None = None,
                 latent_anchor: Callable[[SynthesizerTrn], torch.Tensor] | None = None,
                 phone_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
                 wave_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None) -> None:
        self.latent_anchor, self.phone_loss, self.wave_loss = latent_anchor, phone_loss, wave_loss
        self.gen, self.disc = gen.to(device), (disc.to(device) if disc is not None else None)
        self.config, self.device, self.val_items = config, device, val_items
        self.previewer, self.s1_for_preview = previewer, s1_for_preview
        betas, eps = tuple(config.s2_betas), config.s2_eps
        self.opt_g = torch.optim.AdamW(generator_param_groups(gen, config.s2_lr, config.text_low_lr_rate,
                                                              config.s2_freeze_decoder, config.s2_decoder_only,
                                                              config.s2_source_lr_scale),
                                       lr=config.s2_lr, betas=betas, eps=eps)
        # Without a discriminator (bases shipped without s2D) S2 learns from mel + KL alone.
        self.opt_d = (torch.optim.AdamW(disc.parameters(), lr=config.s2_lr, betas=betas, eps=eps)
                      if disc is not None else None)
        self.amp = device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp)
        self.generators = {"segments": torch.Generator().manual_seed(config.seed)}
        self.seg_frames = gen.cfg.segment_frames
        self.mel_bins = decodable_mel_bins(gen.cfg)
        cfg = gen.cfg  # the STFT loss compares what the decoder can make (as the mel loss does)
        self.stft_band = 0.94 * cfg.decoder_sampling_rate / cfg.sampling_rate if cfg.decoder_sampling_rate else 1.0
        self.band_limit = _band_limit(cfg).to(device) if cfg.decoder_sampling_rate and disc is not None else None
        self.envelope = isinstance(gen.dec, EnvelopeDecoder)
        # decoder-only envelope runs read the frozen rest of S2's latents from a per-item cache
        self.frozen = (FrozenLatents(gen, PRIOR_NOISE_SCALE, config.seed)
                       if self.envelope and config.s2_decoder_only else None)
        if self.envelope and (disc is not None or phone_loss is not None):
            raise ValueError("the envelope decoder trains by regression (and a waveform loss): no discriminator or phone loss")

    # ------------------------------------------------------------------------------- schedule
    def set_epoch(self, epoch: int) -> None:
        lr = self.config.s2_lr * self.config.s2_lr_decay**epoch
        for group in self.opt_g.param_groups:
            group["lr"] = lr * group["lr_scale"]
        for group in self.opt_d.param_groups if self.opt_d is not None else ():
            group["lr"] = lr

    def current_lr(self) -> float:
        return float(self.opt_g.param_groups[0]["lr"])

    def _segment_generator(self) -> torch.Generator | None:
        # Our generator lives on the CPU; on CUDA the global (seeded) RNG is used instead.
        return self.generators["segments"] if self.device.type == "cpu" else None

    # ------------------------------------------------------------------------------- losses
    def _batch(self, items: list[TrainItem]) -> S2Batch:
        return collate_s2(items, self.seg_frames, f0=self.gen.dec.has_source,
                          envelope=self.envelope).to(self.device)

    def _forward(self, batch: S2Batch, generator: torch.Generator | None) -> tuple[S2TrainOutput, torch.Tensor]:
        out = self.gen(batch.ssl, batch.spec, batch.spec_lengths, batch.text, batch.text_lengths,
                       generator=generator, f0=batch.f0)
        y = slice_segments(batch.wav, out.ids_slice * self.gen.cfg.hop_length, self.gen.cfg.segment_size)
        return out, y  # y: [B, 1, S]

    def _mel(self, wave: torch.Tensor) -> torch.Tensor:
        """Log-mel ``[B, M, frames]`` of generated waveform slices ``[B, 1, S]``, float32."""
        cfg = self.gen.cfg
        return mel_spectrogram(wave.squeeze(1).float(), sr=cfg.sampling_rate, n_fft=cfg.filter_length,
                               hop=cfg.hop_length, win=cfg.win_length, n_mels=cfg.n_mel_channels,
                               fmin=cfg.mel_fmin, fmax=cfg.mel_fmax)

    def _reconstruction(self, batch: S2Batch, out: S2TrainOutput, y: torch.Tensor,
                        prior_wave: torch.Tensor | None, prior_weight: float,
                        prior_pitch: tuple[torch.Tensor, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
        """``mel`` (c_mel x mel L1), ``kl`` (c_kl x KL), with a phone loss ``phones``, with a
        waveform loss ``wave`` (real slices ``y`` vs generated), and with ``prior_weight`` > 0 the
        same of the prior path (``prior_mel``, ``prior_phones``, ``prior_wave``, times
        ``prior_weight``; ``prior_wave`` is the slice decoded as inference decodes it); float32."""
        cfg = self.gen.cfg
        mel = spec_to_mel(batch.spec.float(), sr=cfg.sampling_rate, n_fft=cfg.filter_length,
                          n_mels=cfg.n_mel_channels, fmin=cfg.mel_fmin, fmax=cfg.mel_fmax)  # [B, M, T]
        y_mel = slice_segments(mel, out.ids_slice, self.seg_frames)  # [B, M, 32]
        y_hat_mel = self._mel(out.y_hat)
        bins = self.mel_bins
        loss_mel = mel_l1_loss(y_mel[:, :bins], y_hat_mel[:, :bins]) * self.config.c_mel
        loss_kl = kl_loss(out.z_p, out.logs_q, out.m_p, out.logs_p, out.y_mask) * self.config.c_kl
        terms = {"mel": loss_mel, "kl": loss_kl, **self._waveform_terms(y, out.y_hat, "")}
        if out.pitch is not None:
            terms["pitch"] = self._pitch(out.pitch, batch, out)
        if self.phone_loss is not None:
            terms["phones"] = self.phone_loss(y_mel, y_hat_mel).float()
        if self.wave_loss is not None:
            terms["wave"] = self.wave_loss(y, out.y_hat).float()
        if prior_wave is not None and prior_weight > 0:
            prior_mel = self._mel(prior_wave)
            terms["prior_mel"] = mel_l1_loss(y_mel[:, :bins], prior_mel[:, :bins]) * self.config.c_mel * prior_weight
            if self.phone_loss is not None:
                terms["prior_phones"] = self.phone_loss(y_mel, prior_mel).float() * prior_weight
            if self.wave_loss is not None:
                terms["prior_wave"] = self.wave_loss(y, prior_wave).float() * prior_weight
            terms.update({k: v * prior_weight for k, v in self._waveform_terms(y, prior_wave, "prior_").items()})
            if prior_pitch is not None:
                terms["prior_pitch"] = self._pitch(prior_pitch, batch, out) * prior_weight
        return terms

    def _pitch(self, pitch: tuple[torch.Tensor, torch.Tensor], batch: S2Batch, out: S2TrainOutput) -> torch.Tensor:
        """The pitch predictor's loss against the utterances' true pitch, at ``s2_pitch_weight``."""
        return pitch_loss(*pitch, batch.f0, out.y_mask[:, 0]).float() * self.config.s2_pitch_weight

    def _waveform_terms(self, y: torch.Tensor, y_hat: torch.Tensor, prefix: str) -> dict[str, torch.Tensor]:
        """The STFT (``stft``), low-band harmonic (``harmonics``, decoders with a harmonic source) and
        frame-rate buzz (``buzz``) losses of generated slices at their weights, each only when its
        weight is above 0."""
        terms = {}
        if self.config.s2_stft_weight > 0:
            terms[prefix + "stft"] = stft_loss(y, y_hat, self.stft_band) * self.config.s2_stft_weight
        if self.gen.dec.has_source and self.config.s2_harmonic_weight > 0:
            terms[prefix + "harmonics"] = harmonic_loss(y, y_hat, self.gen.cfg.sampling_rate) * self.config.s2_harmonic_weight
        if self.config.s2_buzz_weight > 0:
            cfg = self.gen.cfg
            terms[prefix + "buzz"] = frame_buzz_loss(y, y_hat, cfg.sampling_rate, decoder_frame_rate(cfg),
                                                     self.stft_band) * self.config.s2_buzz_weight
        return terms

    def train_step(self, items: list[TrainItem]) -> tuple[dict[str, float], float]:
        """One discriminator + one generator update; returns (loss terms, generator grad norm)."""
        self.gen.train()
        terms, extra, commit = self._terms(items, self.config.s2_prior_weight)
        if self.latent_anchor is not None:
            terms["anchor"] = self.latent_anchor(self.gen).float()
        loss_g = sum(terms.values(), torch.zeros(())) + commit
        self.opt_g.zero_grad(set_to_none=True)
        self.scaler.scale(loss_g).backward()
        self.scaler.unscale_(self.opt_g)
        params = [p for group in self.opt_g.param_groups for p in group["params"]]
        grad_g = _grad_norm(params)
        if self.config.s2_grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(params, self.config.s2_grad_clip)
        self.scaler.step(self.opt_g)
        self.scaler.update()
        losses = {**terms, "g_total": loss_g}
        return {**{k: float(v.detach()) for k, v in losses.items()}, **extra}, grad_g

    def _terms(self, items: list[TrainItem], prior_weight: float
               ) -> tuple[dict[str, torch.Tensor], dict[str, float], torch.Tensor]:
        """One step's generator terms, the discriminator's log values and the commitment loss."""
        generator = self._segment_generator()
        if self.frozen is not None:
            return cached_envelope_terms(self.frozen, items, self.config, prior_weight, self.seg_frames,
                                         generator, self.wave_loss), {}, torch.zeros(())
        batch = self._batch(items)
        with torch.autocast(self.device.type, enabled=self.amp):
            out, y = self._forward(batch, generator)
        if self.envelope:
            terms = envelope_terms(self.gen, batch, out, self.config, prior_weight, PRIOR_NOISE_SCALE, generator,
                                   self.wave_loss)
            return terms, {}, out.commit_loss.float()
        prior_wave = prior_pitch = None
        if prior_weight > 0:
            prior_wave, prior_pitch = self.gen.prior_slice(out, PRIOR_NOISE_SCALE, generator)
        adversarial, extra = self._adversarial(out, y, prior_wave)
        terms = {**adversarial, **self._reconstruction(batch, out, y, prior_wave, prior_weight, prior_pitch)}
        return terms, extra, out.commit_loss.float()

    def _adversarial(self, out: S2TrainOutput, y: torch.Tensor, prior_wave: torch.Tensor | None
                     ) -> tuple[dict[str, torch.Tensor], dict[str, float]]:
        """Update the discriminator once; return the generator's adversarial + feature-matching
        terms (empty without a discriminator; with ``s2_prior_adversarial`` > 0 also those of the
        prior path's slice ``prior_wave``) and the discriminator's loss/grad-norm for logging."""
        if self.disc is None or self.opt_d is None:
            return {}, {}
        self.disc.train()
        if self.band_limit is not None:
            with torch.no_grad():
                y = self.band_limit(y)[..., : y.shape[-1]]
        fakes = {"": out.y_hat}
        prior_adv = self.config.s2_prior_adversarial
        if prior_wave is not None and prior_adv > 0:
            fakes["prior_"] = prior_wave
        loss_d = torch.zeros(())
        with torch.autocast(self.device.type, enabled=self.amp):
            for fake_wave in fakes.values():
                real, fake, _, _ = self.disc(y, fake_wave.detach())
                loss_d = loss_d + discriminator_loss(real, fake)[0].float()
        self.opt_d.zero_grad(set_to_none=True)
        self.scaler.scale(loss_d).backward()
        self.scaler.unscale_(self.opt_d)
        grad_d = _grad_norm(list(self.disc.parameters()))
        self.scaler.step(self.opt_d)
        terms = {}
        for prefix, fake_wave in fakes.items():
            weight = prior_adv if prefix else 1.0
            with torch.autocast(self.device.type, enabled=self.amp):
                _, fake, fmap_real, fmap_fake = self.disc(y, fake_wave)
                terms[prefix + "g_adv"] = generator_loss(fake)[0].float() * weight
                terms[prefix + "fm"] = feature_loss(fmap_real, fmap_fake).float() * weight
        return terms, {"d": float(loss_d.detach()), "grad_norm_d": grad_d}

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """Mean reconstruction losses (c_mel x mel L1, c_kl x KL, the phone loss if any, and the
        same of the prior path, at weight 1, whatever the run trains with) on the held-out slices;
        ``total`` is mel + KL, comparable with runs without a phone or prior loss."""
        if not self.val_items:
            return {}
        self.gen.eval()
        generator = torch.Generator().manual_seed(self.config.seed + 1)
        sums: dict[str, float] = {}
        for item in self.val_items:
            cpu_generator = generator if self.device.type == "cpu" else None
            if self.frozen is not None:
                terms = cached_envelope_terms(self.frozen, [item], self.config, 1.0, self.seg_frames, cpu_generator)
                for name, value in terms.items():
                    sums[name] = sums.get(name, 0.0) + float(value)
                continue
            batch = self._batch([item])
            out, y = self._forward(batch, cpu_generator)
            if self.envelope:
                terms = envelope_terms(self.gen, batch, out, self.config, 1.0, PRIOR_NOISE_SCALE, cpu_generator)
            else:
                prior_wave, prior_pitch = self.gen.prior_slice(out, PRIOR_NOISE_SCALE, cpu_generator)
                terms = self._reconstruction(batch, out, y, prior_wave, 1.0, prior_pitch)
            for name, value in terms.items():
                sums[name] = sums.get(name, 0.0) + float(value)
        self.gen.train()
        means = {name: total / len(self.val_items) for name, total in sums.items()}
        main = means.get("mel", means.get("envelope", math.nan)) + means.get("kl", 0.0)
        if math.isfinite(main):
            means["total"] = main
        return means

    def preview(self, path: Path) -> bool:
        if self.previewer is None or self.s1_for_preview is None:
            return False
        self.gen.eval()
        try:
            return self.previewer.render(self.s1_for_preview, self.gen, path)
        finally:
            self.gen.train()

    # ------------------------------------------------------------------------------- state
    def state_dict(self) -> dict[str, Any]:
        return {"gen": self.gen.state_dict(), "opt_g": self.opt_g.state_dict(), "scaler": self.scaler.state_dict(),
                "disc": self.disc.state_dict() if self.disc is not None else None,
                "opt_d": self.opt_d.state_dict() if self.opt_d is not None else None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.gen.load_state_dict(state["gen"])
        if self.frozen is not None:
            self.frozen.forget_if_changed()
        self.opt_g.load_state_dict(state["opt_g"])
        if (self.disc is None) != (state.get("disc") is None):
            raise ValueError("checkpoint and trainer disagree on having a discriminator; resume with the same base")
        if self.disc is not None and self.opt_d is not None:
            self.disc.load_state_dict(state["disc"])
            self.opt_d.load_state_dict(state["opt_d"])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
