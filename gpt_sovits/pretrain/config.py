"""Pretraining settings (:class:`PretrainConfig`) with named presets (``starter``, ``tiny``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gpt_sovits.config import ConfigError, StrictConfig, preset

# Starter sizes: the ``starter`` presets of S1Config/S2Config (measured on this 2-core CPU, see
# pretrained/starter/MODEL_CARD.md). ``s1_changes``/``s2_changes`` adjust them for one run.
TINY_S2_CHANGES: dict[str, Any] = {"ssl_dim": 512, "segment_size": 5120, "posterior_layers": 4, "discriminator_periods": [2],
                                   "flow_layers": 2}


DECODER_INITS = ("", "piper-joe")
CODEBOOK_SPACES = ("standardised", "phone-ctc")
S1_SELECTIONS = ("reading", "reading-prompted", "ce")


@dataclass
class PretrainConfig(StrictConfig):
    """Everything one pretraining run needs (saved as ``OUT/run/config.json``).

    Args:
        s1_preset / s2_preset: model presets (``gpt_sovits.models.s1/s2`` configs) ...
        s1_changes / s2_changes: ... with these fields replaced.
        s2_steps / s1_steps: optimiser steps per stage in total (over all resumed sessions).
        s2_batch_size / s1_batch_size: utterances per step.
        s2_lr / s1_lr / s1_warmup_steps / text_low_lr_rate: optimiser settings (see TrainConfig).
        s1_pair_fraction: share of S1 items that are two same-speaker utterances joined (prompt +
            target, the layout synthesis uses; see :mod:`gpt_sovits.pretrain.pairs`).
        s1_pairs_each_epoch: draw the pairs anew every epoch (True), or once for the whole run
            (False, what runs did before 2026-12-03: each target always followed the same prompt).
        s2_adversarial: train S2 against a discriminator (exported as s2d); False = mel + KL only,
            3-4x faster per step on CPU, and the profile ships without s2d.
        s2_decoder_init: "piper-joe" starts the S2 decoder from Piper joe's (needs the decoder shape
            of PIPER_MEDIUM_DECODER, gpt_sovits.models.s2.config, and requirements-corpus.txt); "" starts it at random.
        s2_decoder_frozen_steps: S2 steps during which the decoder stays fixed, so the posterior
            encoder learns the pretrained decoder's latent space before the decoder moves.
        s2_decoder_only: train only the S2 decoder (with its harmonic source and pitch predictor, if
            any); everything else stays as ``init/`` has it (how a decoder that gained a harmonic
            source learns it fast, session 27). Needs s2_decoder_frozen_steps 0.
        s2_harmonic_weight: weight of the low-band log-spectrum loss that makes a decoder with a harmonic
            source follow its pitch (gpt_sovits.models.s2.losses.harmonic_loss; ignored without a source).
        s2_grad_clip: clip S2's gradient norm to this before each step (0 = never). The norms run at
            several hundred to 10,000 with heavy spikes; session 26's experiment, where the decoder
            learnt to follow a harmonic source within 1,000 steps, clipped at 100.
        s2_source_lr_scale: the harmonic source and pitch predictor learn at this multiple of the
            S2 learning rate (session 26's experiment: 1e-3 beside the decoder's 3e-4).
        s2_unfrozen_lr: the S2 learning rate whenever the decoder trains as well (every module; a
            GAN-trained decoder under a mel-only loss needs a gentler rate than ``s2_lr``).
        s2_anchor_weight: weight of the latent anchor loss that keeps the posterior encoder in
            Piper joe's latent space (gpt_sovits.pretrain.anchor; needs s2_decoder_init "piper-joe";
            0 = off). s2_anchor_sentences: how many English corpus texts Piper speaks for it.
        s2_phone_weight: weight of the phone loss that keeps S2's output saying the same phones as
            the real slice (a frozen mel phone recogniser trained once per run for
            s2_phone_epochs CTC epochs; gpt_sovits.pretrain.mel_phones; 0 = off).
        s2_prior_weight: weight of the prior-path loss: the training slice decoded from the prior,
            as synthesis decodes it, under the same mel (+ phone) loss (0 = off: the prior then
            learns only through the KL to the posterior).
        s2_whisper_weight: weight of the Whisper feature loss: Whisper-base's encoder blocks on the
            generated slice (posterior path, and prior path times s2_prior_weight) against the real
            slice (gpt_sovits.pretrain.whisper_loss; 0 = off).
        s2_stft_weight: weight of the multi-resolution STFT loss on both paths (prior path times
            s2_prior_weight; gpt_sovits.models.s2.losses.stft_loss; 0 = off).
        s2_buzz_weight: weight of the frame-rate buzz loss, the same way
            (gpt_sovits.models.s2.losses.frame_buzz_loss; 0 = off).
        s2_prior_adversarial: with s2_adversarial, weight of the prior path's adversarial +
            feature-matching terms: the slice decoded as synthesis decodes it meets the
            discriminator too (0 = only the posterior path's slice does).
        s1_select_by: which S1 the run keeps as its best and exports: "reading" = the fewest phone
            errors in its greedy, unprompted output for the validation texts (token readout trained
            for s1_readout_epochs epochs; gpt_sovits.pretrain.reading), "reading-prompted" = the
            same after a training utterance as prompt (the way synthesis reads), "ce" = the lowest
            validation CE. s1_reading_texts: held-out sentences read besides the validation
            utterances (8 texts alone moved the score by +-0.03).
        round_minutes: wall-clock minutes per stage before switching to the other (interleaving).
        val_items: held-out utterances (validation at every epoch end).
        kmeans_frames / kmeans_iters: 25 Hz frames sampled for the codebook k-means, iterations.
        codebook_space: where the k-means runs: "standardised" content features, or "phone-ctc", a
            linear projection of them learnt to tell the corpus phones apart (codebook_phone_dims
            dims, codebook_phone_epochs CTC epochs; gpt_sovits.pretrain.phone_space).
        rebuild_codebook: with init_from, replace the profile's ssl_proj + codebook by a new one
            (codebook_space); the profile's S2 keeps everything else. Needs s1_from_scratch: the
            profile's S1 speaks the old tokens.
        save_every_steps / keep_checkpoints: checkpoint period and how many to keep.
        seed: seeds everything; num_threads: torch CPU threads per stage process (0 = automatic;
            1 lets an S1 and an S2 process share two cores, see ``pretrain(stages=...)``).
    """

    s1_preset: str = "starter"
    s2_preset: str = "starter"
    s1_changes: dict[str, Any] = field(default_factory=dict)
    s2_changes: dict[str, Any] = field(default_factory=dict)
    s2_steps: int = 200_000
    s1_steps: int = 100_000
    s2_batch_size: int = 4
    s1_batch_size: int = 8
    s2_lr: float = 3e-4
    s1_lr: float = 6e-4
    s2_adversarial: bool = False
    s1_pair_fraction: float = 0.5
    s1_pairs_each_epoch: bool = True
    s1_guided_weight: float = 0.0
    s1_guided_layers: list[int] = field(default_factory=lambda: [2, 3])
    s1_guided_heads: int = 2
    s1_guided_sigma: float = 0.2
    s1_token_noise: float = 0.0
    s1_self_feed: float = 0.0
    # With init_from: S1 starts from random weights (S2 still from the profile). The committed S1
    # learnt to predict from the previous tokens and hardly from the text; a fresh S1 trained with
    # guided attention + token noise relies on the text far more (MODEL_CARD.md, S1 experiments).
    s1_from_scratch: bool = False
    s2_decoder_init: str = "piper-joe"
    # Run 2 measured it: with the anchor holding the posterior in Piper's latent space, letting the
    # decoder learn too (mel + KL, lr 1e-4) after 14,456 frozen steps cut the probe's error rates
    # within 540 steps (posterior path 3.8 -> 0.55, prior path 1.5 -> 0.64); see MODEL_CARD.md.
    s2_decoder_frozen_steps: int = 14_456
    s2_unfrozen_lr: float = 1e-4
    s2_decoder_only: bool = False
    s2_source_lr_scale: float = 1.0
    s2_harmonic_weight: float = 5.0
    s2_grad_clip: float = 0.0
    s2_anchor_weight: float = 10.0
    s2_anchor_sentences: int = 800
    # Session 12 (MODEL_CARD.md): a mel loss alone made a fine-tune less intelligible; the phone
    # loss at 10 took the posterior / prior error of the fine-tuned voice to 0.56 / 0.67 from 0.80 / 0.83.
    s2_phone_weight: float = 10.0
    s2_phone_epochs: int = 16
    # Session 13: inference decodes the prior, never the posterior; train that path directly.
    s2_prior_weight: float = 1.0
    s2_whisper_weight: float = 0.0
    s2_stft_weight: float = 0.0
    s2_buzz_weight: float = 0.0
    s2_prior_adversarial: float = 0.0
    s1_warmup_steps: int = 500
    # Measured (MODEL_CARD.md, session 9): validation CE flattened at ~2.35 from step ~3,000 while
    # the phone error of S1's free-running output kept falling (0.84 @1,400 -> 0.55 @4,768).
    s1_select_by: str = "reading"
    s1_readout_epochs: int = 8
    s1_reading_texts: int = 32
    text_low_lr_rate: float = 1.0
    round_minutes: float = 60.0
    val_items: int = 8
    kmeans_frames: int = 100_000
    kmeans_iters: int = 25
    # Measured (MODEL_CARD.md): tokens of the phone space read back as phones with fewer errors on
    # unseen voices than those of the standardised space: 0.39 vs 0.48 (1.0 h corpus), 0.28 vs 0.30
    # (2.0 h). Whether S1 learns to read sooner from them is not measured yet.
    codebook_space: str = "phone-ctc"
    codebook_phone_dims: int = 64
    codebook_phone_epochs: int = 20
    rebuild_codebook: bool = False
    save_every_steps: int = 200
    keep_checkpoints: int = 2
    seed: int = 1234
    num_threads: int = 1

    def __post_init__(self) -> None:
        bad = [n for n in ("s2_steps", "s1_steps", "val_items", "num_threads", "s2_decoder_frozen_steps") if getattr(self, n) < 0]
        bad += [n for n in ("s2_batch_size", "s1_batch_size", "kmeans_frames", "kmeans_iters",
                            "save_every_steps", "keep_checkpoints") if getattr(self, n) < 1]
        bad += [n for n in ("s2_grad_clip",) if getattr(self, n) < 0]
        bad += [n for n in ("s2_lr", "s2_unfrozen_lr", "s1_lr", "round_minutes", "s2_source_lr_scale")
                if getattr(self, n) <= 0]
        if self.s2_decoder_only and self.s2_decoder_frozen_steps:
            bad.append("s2_decoder_only (needs s2_decoder_frozen_steps 0: the decoder is all it trains)")
        if self.s2_decoder_init not in DECODER_INITS:
            bad.append(f"s2_decoder_init (one of {sorted(DECODER_INITS)})")
        if self.s2_anchor_weight < 0 or (self.s2_anchor_weight > 0 and self.s2_decoder_init != "piper-joe"):
            bad.append("s2_anchor_weight (>= 0, and 0 unless s2_decoder_init is 'piper-joe')")
        if self.s2_anchor_sentences < 1:
            bad.append("s2_anchor_sentences")
        if self.s2_phone_weight < 0 or self.s2_phone_epochs < 1:
            bad.append("s2_phone_weight (>= 0) / s2_phone_epochs (>= 1)")
        if self.s2_prior_weight < 0:
            bad.append("s2_prior_weight (>= 0)")
        if min(self.s2_whisper_weight, self.s2_stft_weight, self.s2_buzz_weight, self.s2_harmonic_weight) < 0:
            bad.append("s2_whisper_weight / s2_stft_weight / s2_buzz_weight / s2_harmonic_weight (>= 0)")
        if self.s2_prior_adversarial < 0 or (self.s2_prior_adversarial > 0 and not (
                self.s2_adversarial and self.s2_prior_weight > 0)):
            bad.append("s2_prior_adversarial (>= 0; above 0 only with s2_adversarial and s2_prior_weight > 0)")
        if self.s1_guided_weight < 0 or self.s1_guided_sigma <= 0:
            bad.append("s1_guided_weight/s1_guided_sigma (>= 0, > 0)")
        if self.s1_guided_weight > 0:  # checked now, not when the S1 round starts hours later
            s1 = self.s1_config()
            if not self.s1_guided_layers or any(not 0 <= i < s1.n_layers for i in self.s1_guided_layers):
                bad.append(f"s1_guided_layers (indices 0..{s1.n_layers - 1})")
            if not 1 <= self.s1_guided_heads <= s1.n_heads:
                bad.append(f"s1_guided_heads (1..{s1.n_heads})")
        if not 0.0 <= self.s1_token_noise < 1.0:
            bad.append("s1_token_noise (0 <= x < 1)")
        if not 0.0 <= self.s1_self_feed < 1.0:
            bad.append("s1_self_feed (0 <= x < 1)")
        if self.s1_reading_texts < 0:
            bad.append("s1_reading_texts")
        if self.s1_select_by not in S1_SELECTIONS or self.s1_readout_epochs < 1:
            bad.append(f"s1_select_by/s1_readout_epochs (one of {', '.join(S1_SELECTIONS)}; >= 1)")
        if not 0.0 <= self.s1_pair_fraction <= 1.0:
            bad.append("s1_pair_fraction")
        if self.codebook_space not in CODEBOOK_SPACES:
            bad.append(f"codebook_space (one of {', '.join(CODEBOOK_SPACES)})")
        if self.codebook_phone_epochs < 1 or not 1 <= self.codebook_phone_dims <= self.s2_config().ssl_dim:
            bad.append("codebook_phone_epochs/codebook_phone_dims (>= 1; 1..ssl_dim)")
        if self.rebuild_codebook and not self.s1_from_scratch:
            bad.append("rebuild_codebook (needs s1_from_scratch: an S1 trained on the old tokens cannot be kept)")
        if bad:
            raise ConfigError(f"PretrainConfig: invalid {', '.join(bad)}")

    @classmethod
    def preset(cls, name: str) -> PretrainConfig:
        return preset(PRETRAIN_PRESETS, name).replace()

    def s2_rate_field(self) -> str:
        """The setting that holds the rate S2 trains at once its decoder may learn: ``s2_lr`` for a run
        whose decoder stays fixed all its steps (its whole run is the frozen phase), else
        ``s2_unfrozen_lr`` (a from-scratch run's first, frozen phase keeps training at ``s2_lr``)."""
        return "s2_lr" if self.s2_decoder_frozen_steps >= self.s2_steps else "s2_unfrozen_lr"

    def s1_config(self):
        from gpt_sovits.models.s1.config import S1_PRESETS

        return preset(S1_PRESETS, self.s1_preset).replace(**self.s1_changes)

    def s2_config(self):
        from gpt_sovits.models.s2.config import S2_PRESETS

        changes = {k: _tuples(v) for k, v in self.s2_changes.items()}
        return preset(S2_PRESETS, self.s2_preset).replace(**changes)


def _tuples(value: Any) -> Any:
    """JSON lists (also nested ones) as the tuples the model configs hold."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list | tuple) else value


# S1 as the committed state was trained (session 15): prompt + target pairs for 80 % of the items,
# 30 % of the input tokens the model's own samples (with the phone pointer it can no longer lose its
# place in the text, and it learns to go on from its own tokens), the kept S1 the best prompted reader.
_STARTER_S1 = {"s1_pair_fraction": 0.8, "s1_self_feed": 0.3, "s1_select_by": "reading-prompted"}
# S2 with the Whisper feature loss (session 17, MODEL_CARD.md): 3,398 steps at weight 100 (20 for
# the first 615) took the probe's capped Whisper error on 40 training utterances from 0.483 / 0.574
# to 0.412 / 0.481 (posterior / prior path) and the whole path on 40 corpus voices 0.773 -> 0.684.
_STARTER_S2 = {"s2_whisper_weight": 100.0}

PRETRAIN_PRESETS: dict[str, PretrainConfig] = {
    "starter": PretrainConfig(**_STARTER_S1, **_STARTER_S2),
    # A new run that continues the committed state (--init-from pretrained/starter). Since session 33
    # its S2 decoder is the envelope decoder (run e31, MODEL_CARD.md: gradient clipped at 10, last at
    # 1e-4, trained alone with --s2-decoder-only), so a continuing run has that decoder and no frozen phase.
    # No latent anchor: it holds the posterior in Piper joe's latent space, and this decoder is no longer Piper's.
    "starter-continue": PretrainConfig(s2_decoder_frozen_steps=0, s2_changes={"decoder": "envelope"},
                                       s2_lr=1e-4, s2_grad_clip=10.0, s2_anchor_weight=0.0, **_STARTER_S1,
                                       **_STARTER_S2),
    # Tests: tiny networks, a handful of steps, k-means on a few frames.
    "tiny": PretrainConfig(s1_preset="tiny", s2_preset="tiny", s1_changes={}, s2_changes=dict(TINY_S2_CHANGES),
                           s2_steps=3, s1_steps=3, s2_batch_size=2, s1_batch_size=2, s1_warmup_steps=0,
                           s1_lr=1e-3, round_minutes=10.0, val_items=1, kmeans_frames=2000, kmeans_iters=5,
                           codebook_space="standardised", codebook_phone_epochs=2,
                           save_every_steps=1, num_threads=1, s2_adversarial=True,
                           s2_decoder_init="", s2_decoder_frozen_steps=0, s2_unfrozen_lr=3e-4,
                           s2_anchor_weight=0.0, s1_reading_texts=3, s2_phone_weight=1.0, s2_phone_epochs=1),
}
