"""The trainers of one pretraining round, built from the run folder (:mod:`.driver` runs them).

- :func:`s2_trainer`: the S2 generator from ``init/`` (the step-0 weights the run's checkpoints
  continue), a discriminator if the run is adversarial, the latent anchor and the phone loss;
- :func:`s1_trainer`: S1 from random weights or ``init/``'s, guided attention and the validation
  scorer as configured, and the callback that keeps the best S1.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from gpt_sovits.pretrain.best_s1 import keeping_best_s1, validation_scorer
from gpt_sovits.pretrain.config import PretrainConfig
from gpt_sovits.train.checkpoints import CheckpointManager
from gpt_sovits.train.config import TrainConfig
from gpt_sovits.train.events import EventCallback, InfoEvent

INIT_FILE, S1_INIT_FILE = "init/s2_init.safetensors", "init/s1_init.safetensors"
FROZEN_LATENTS_FILE = "frozen-latents.safetensors"


def train_config(cfg: PretrainConfig, max_steps: int, freeze_decoder: bool = False) -> TrainConfig:
    """The fine-tuning trainers' settings for a pretraining round of at most ``max_steps`` steps."""
    s2_lr = cfg.s2_lr if freeze_decoder else cfg.s2_unfrozen_lr
    return TrainConfig(base="starter", s2_lr=s2_lr, s2_freeze_decoder=freeze_decoder,
                       s2_decoder_only=cfg.s2_decoder_only, s2_source_lr_scale=cfg.s2_source_lr_scale,
                       s2_harmonic_weight=cfg.s2_harmonic_weight, s2_grad_clip=cfg.s2_grad_clip, s1_lr=cfg.s1_lr,
                       s2_phone_weight=cfg.s2_phone_weight, s2_prior_weight=cfg.s2_prior_weight,
                       s2_stft_weight=cfg.s2_stft_weight, s2_buzz_weight=cfg.s2_buzz_weight,
                       s2_prior_adversarial=cfg.s2_prior_adversarial,
                       s1_warmup_steps=cfg.s1_warmup_steps, text_low_lr_rate=cfg.text_low_lr_rate, seed=cfg.seed, save_every_steps=cfg.save_every_steps,
                       keep_checkpoints=cfg.keep_checkpoints, samples=False, device="cpu",
                       num_threads=cfg.num_threads, max_steps=max_steps)


def init_generator(cfg: PretrainConfig, out: Path):
    """The step-0 S2 generator (with posterior encoder) from ``init/``."""
    from gpt_sovits.checkpoint.s2_official import load_any_s2
    from gpt_sovits.models.s2.model import SynthesizerTrn

    gen = SynthesizerTrn(cfg.s2_config(), with_posterior=True)
    gen.load_state_dict(load_any_s2(out / INIT_FILE).state_dict, strict=True)
    return gen


def init_s1(cfg: PretrainConfig, out: Path):
    """The step-0 S1: the one a run started from a profile began with (``init/``), else random."""
    from gpt_sovits.models.s1.model import Text2Semantic

    model = Text2Semantic(cfg.s1_config())
    if (out / S1_INIT_FILE).is_file():  # a run started from a profile (init_from_profile)
        from gpt_sovits.checkpoint.s1 import load_any_s1
        from gpt_sovits.models.s1.pointer import POINTER_KEYS

        state = load_any_s1(out / S1_INIT_FILE)[1]
        if model.config.phone_pointer:  # a plain S1 gains a pointer that starts at zero (no change)
            state = {k: v for k, v in model.state_dict().items() if k.startswith(POINTER_KEYS)} | state
        model.load_state_dict(state, strict=True)
    return model


def s2_trainer(cfg: PretrainConfig, out: Path, items: tuple[list, list], config: TrainConfig,
               anchor: list[Path] | None, pretrained_root: Path | None = None,
               log: Callable[[str], None] | None = None):
    """The S2 trainer of a round: generator from ``init/``, discriminator if adversarial, latent
    anchor, phone loss (its recogniser trained on the first round's training items, then kept),
    Whisper feature loss (Whisper-base from ``pretrained_root``, default the checkout's). A
    decoder-only envelope run reads its frozen latents from ``run/frozen-latents.safetensors``
    (made by the first round, :class:`~gpt_sovits.train.frozen_latents.FrozenLatents`)."""
    from gpt_sovits.models.s2.discriminators import MultiPeriodDiscriminator
    from gpt_sovits.train.s2_trainer import S2Trainer

    gen = init_generator(cfg, out)
    disc = MultiPeriodDiscriminator.for_config(gen.cfg) if cfg.s2_adversarial else None
    latent_anchor = None
    if anchor:
        from gpt_sovits.pretrain.anchor import LatentAnchor

        seed = cfg.seed + latest_checkpoint(out, "s2", cfg.keep_checkpoints)[0]
        latent_anchor = LatentAnchor(anchor, cfg.s2_anchor_weight, seed=seed)
    phone_loss = None
    envelope = gen.cfg.decoder == "envelope"  # a regression on its own targets (+ Whisper): no phone loss
    if cfg.s2_phone_weight > 0 and not envelope:
        from gpt_sovits.pretrain.mel_phones import RECOGNIZER_FILE, PhoneLoss, run_recognizer

        recognizer = run_recognizer(items[0], gen.cfg, cfg.s2_phone_epochs, out / "run" / RECOGNIZER_FILE)
        phone_loss = PhoneLoss(recognizer, cfg.s2_phone_weight)
    wave_loss = None
    if cfg.s2_whisper_weight > 0:
        from gpt_sovits.pretrain.whisper_loss import WhisperFeatureLoss
        from gpt_sovits.registry import whisper_model_dir

        wave_loss = WhisperFeatureLoss.from_model_dir(whisper_model_dir(pretrained_root), cfg.s2_whisper_weight,
                                                      gen.cfg.sampling_rate)
    trainer = S2Trainer(gen, disc, config, torch.device("cpu"), items[1], latent_anchor=latent_anchor,
                        phone_loss=phone_loss, wave_loss=wave_loss)
    if trainer.frozen is not None:  # the decoder-only run's other weights are init/'s, as its checkpoints'
        trainer.frozen.fill(items[0] + items[1], out / "run" / FROZEN_LATENTS_FILE, trainer.seg_frames, log)
    return trainer


def s1_trainer(cfg: PretrainConfig, out: Path, items: tuple[list, list], reading: list,
               emit: EventCallback) -> tuple:
    """The S1 trainer of a round (guided attention and validation scorer as configured) and the
    event callback that also keeps the best S1 (:func:`~gpt_sovits.pretrain.best_s1.keeping_best_s1`)."""
    from gpt_sovits.train.s1_trainer import S1Trainer

    model = init_s1(cfg, out)
    if model.config.phone_pointer:
        from gpt_sovits.pretrain.alignments import ALIGNMENTS_FILE, attach_alignments
        from gpt_sovits.pretrain.reading import READOUT_FILE, run_readout

        readout = run_readout(items[0], cfg.s2_config().codebook_size, cfg.s1_readout_epochs,
                              out / "run" / READOUT_FILE)
        fresh = attach_alignments([*items[0], *items[1]], readout, out / "run" / ALIGNMENTS_FILE)
        emit(InfoEvent(stage="s1", message=f"phone pointer: {fresh} utterances aligned anew"))
    guide = None
    if cfg.s1_guided_weight > 0:
        from gpt_sovits.pretrain.guided import GuidedAttention

        guide = GuidedAttention(model, cfg.s1_guided_layers, cfg.s1_guided_heads, cfg.s1_guided_sigma,
                                cfg.s1_guided_weight)
    scorer, key, scored_on = validation_scorer(cfg, out / "run", items, reading, emit)
    trainer = S1Trainer(model, train_config(cfg, cfg.s1_steps), torch.device("cpu"), items[1], extra_loss=guide,
                        token_noise=cfg.s1_token_noise, self_feed=cfg.s1_self_feed, val_scorer=scorer)
    return trainer, keeping_best_s1(out / "run", trainer, emit, key, scored_on)


def latest_checkpoint(out: Path, stage: str, keep: int) -> tuple[int, dict | None]:
    """(step, trainer state) of the stage's newest checkpoint; (0, None) without one."""
    state = CheckpointManager(out / "run" / "checkpoints", stage, keep).latest()
    return (0, None) if state is None else (int(state["step"]), state["trainer"])
