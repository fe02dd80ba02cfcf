"""Build the S2 / S1 trainers from the base profile and run their stages (used by :mod:`.run`)."""

from __future__ import annotations

from pathlib import Path

import torch

from gpt_sovits.errors import CheckpointError, ModelMissingError
from gpt_sovits.models.s1.config import S1Config
from gpt_sovits.models.s1.model import Text2Semantic
from gpt_sovits.models.s2.config import S2Config
from gpt_sovits.models.s2.discriminators import MultiPeriodDiscriminator
from gpt_sovits.models.s2.model import SynthesizerTrn
from gpt_sovits.registry import BaseProfile
from gpt_sovits.train.config import TrainConfig
from gpt_sovits.train.dataset import auto_batch_size
from gpt_sovits.train.events import EventCallback, InfoEvent
from gpt_sovits.train.loop import StageOutcome, StopSignal, run_stage
from gpt_sovits.train.prepare import TrainData
from gpt_sovits.train.s1_trainer import S1Trainer
from gpt_sovits.train.s2_trainer import S2Trainer

S2State = tuple[S2Config, dict[str, torch.Tensor]]
S1State = tuple[S1Config, dict[str, torch.Tensor]]


def seed_everything(seed: int) -> None:
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_s2_for_training(profile: BaseProfile,
                         emit: EventCallback) -> tuple[SynthesizerTrn, MultiPeriodDiscriminator | None]:
    """Generator (with posterior encoder) and discriminator initialised from the base profile.

    The discriminator is None when the base ships none (``profile.adversarial`` False, e.g. the
    starter base): S2 then fine-tunes with mel + KL only, as the base was pretrained, and an info
    event says so. A random discriminator is never substituted: a few hundred fine-tuning steps
    against an untrained critic add noise, not realism. A base that names an s2d file it lacks is
    refused (:class:`ModelMissingError`). The posterior encoder (``enc_q``), which exported files
    drop, starts from random weights (from the seeded global RNG) and an info event says so.
    """
    from gpt_sovits.checkpoint.s2_official import load_any_s2

    weights = load_any_s2(profile.s2g)
    if weights.kind != "s2g" or weights.config is None:
        raise CheckpointError(f"{profile.s2g} is not an S2 generator file")
    gen = SynthesizerTrn(weights.config, with_posterior=True)
    result = gen.load_state_dict(weights.state_dict, strict=False)
    if result.unexpected_keys or any(not k.startswith("enc_q.") for k in result.missing_keys):
        raise CheckpointError(f"{profile.s2g.name}: weights do not match the S2 network "
                              f"(missing {result.missing_keys[:4]}, unexpected {result.unexpected_keys[:4]})")
    if result.missing_keys:
        emit(InfoEvent(stage="s2", message="the base S2 has no posterior encoder (enc_q); it starts from random "
                                           "weights, so the first epochs matter more", code="no_posterior"))
    if not profile.adversarial:
        emit(InfoEvent(stage="s2", message=f"the base '{profile.name}' ships no discriminator (s2d), so S2 "
                                           "fine-tunes with the mel + KL losses only (no adversarial loss)",
                       code="no_discriminator", values={"base": profile.name}))
        return gen, None
    return gen, _load_discriminator(profile, weights.config)


def _load_discriminator(profile: BaseProfile, config: S2Config) -> MultiPeriodDiscriminator:
    from gpt_sovits.checkpoint.s2_official import load_any_s2

    assert profile.s2d is not None
    if not profile.s2d.is_file():
        raise ModelMissingError(f"base model {profile.name!r} names the discriminator {profile.s2d.name} but "
                                f"{profile.s2d} is missing. Fix: {profile.train_fix or 'restore the file'}")
    disc_weights = load_any_s2(profile.s2d)
    if disc_weights.kind != "s2d":
        raise CheckpointError(f"{profile.s2d} is not a discriminator (s2D) file")
    disc = MultiPeriodDiscriminator.for_config(config)
    disc.load_state_dict(disc_weights.state_dict, strict=True)
    return disc


def load_s1_for_training(profile: BaseProfile) -> Text2Semantic:
    from gpt_sovits.checkpoint.s1 import load_any_s1

    config, state = load_any_s1(profile.s1)
    model = Text2Semantic(config)
    model.load_state_dict(state, strict=True)
    return model


def _inference_s2(state: S2State | None, profile: BaseProfile, device: torch.device) -> SynthesizerTrn:
    from gpt_sovits.features.semantic import load_latent_model

    if state is None:
        return load_latent_model(profile.s2g, str(device))
    config, weights = state
    model = SynthesizerTrn(config, with_posterior=False)
    model.load_state_dict({k: v for k, v in weights.items() if not k.startswith("enc_q.")}, strict=True)
    return model.to(device).eval()


def _cpu_state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


def finished_s2_state(run_dir: Path, profile: BaseProfile) -> S2State | None:
    """The generator of the run's finished S2 stage, if there is one (for an S1-only call)."""
    from gpt_sovits.checkpoint.s2_official import load_any_s2
    from gpt_sovits.train.checkpoints import CheckpointManager

    state = CheckpointManager(run_dir / "checkpoints", "s2").latest()
    if state is None or not state.get("done"):
        return None
    config = load_any_s2(profile.s2g).config
    return config, state["trainer"]["gen"]


def _phone_loss(profile: BaseProfile, config: TrainConfig, emit: EventCallback):
    """The base's phone loss (its ``mel-phones.safetensors``), or None without one or at weight 0.

    Measured (pretrained/starter/MODEL_CARD.md, session 12): fine-tuning the starter to a new voice
    with mel + KL alone made its reconstructions less intelligible, frozen decoder or not; with the
    phone loss and the decoder learning, the posterior / prior errors fell to 0.56 / 0.67 (mel
    alone: 0.80 / 0.83)."""
    from gpt_sovits.pretrain.mel_phones import RECOGNIZER_FILE, PhoneLoss, load_recognizer

    path = Path(profile.s2g).parent / RECOGNIZER_FILE
    if config.s2_phone_weight <= 0 or not path.is_file():
        return None
    emit(InfoEvent(stage="s2", message=f"the base ships a phone recogniser: S2 also learns to keep the phones "
                                       f"(weight {config.s2_phone_weight:g}), and its decoder learns the voice too",
                   code="phone_loss", values={"weight": f"{config.s2_phone_weight:g}"}))
    return PhoneLoss(load_recognizer(path), config.s2_phone_weight)


def _whisper_loss(profile: BaseProfile, root: Path | None, config: TrainConfig, sampling_rate: int,
                  emit: EventCallback):
    """The Whisper feature loss for a base that reads content with Whisper-base (its encoder is
    there whenever the base can train), or None at weight 0 or for other bases."""
    if config.s2_whisper_weight <= 0 or profile.content_encoder != "whisper-base":
        return None
    from gpt_sovits.pretrain.whisper_loss import WhisperFeatureLoss
    from gpt_sovits.registry import whisper_model_dir

    emit(InfoEvent(stage="s2", message=f"S2 also learns to sound like the clips to Whisper's encoder "
                                       f"(weight {config.s2_whisper_weight:g}), and its decoder learns the voice too",
                   code="whisper_loss", values={"weight": f"{config.s2_whisper_weight:g}"}))
    return WhisperFeatureLoss.from_model_dir(whisper_model_dir(root), config.s2_whisper_weight,
                                             sampling_rate)


def run_s2_stage(data: TrainData, config: TrainConfig, run_dir: Path, emit: EventCallback,
                 stop: StopSignal | None, resume: bool, device: torch.device) -> tuple[StageOutcome, S2State]:
    """Fine-tune S2 (or continue from the run's newest S2 checkpoint); returns the final generator."""
    seed_everything(config.seed)
    gen, disc = load_s2_for_training(data.profile, emit)
    previewer = data.previewer(config)
    s1 = load_s1_for_training(data.profile).eval() if previewer is not None else None
    # an envelope decoder learns by regression on its own targets, and the Whisper loss hears
    # rendered windows of it when the recipe asks (gpt_sovits.train.envelope_wave); no phone loss
    envelope = gen.cfg.decoder == "envelope"
    phone_loss = None if envelope else _phone_loss(data.profile, config, emit)
    wave_loss = _whisper_loss(data.profile, data.pretrained_root, config, gen.cfg.sampling_rate, emit)
    if envelope and config.s2_decoder_only:
        emit(InfoEvent(stage="s2", message="only the base's envelope decoder learns the voice's spectral envelope and "
                       "pitch; the rest of S2 stays as the base trained it", code="envelope_decoder_only"))
    elif envelope:
        emit(InfoEvent(stage="s2", message="the base's envelope decoder learns the voice's spectral envelope and pitch",
                       code="envelope_decoder"))
    elif disc is None and phone_loss is None and wave_loss is None and not config.s2_freeze_decoder:
        # Without a discriminator a mel loss alone would blur the base's decoder: keep it as it is
        # and let the encoders, flow and timbre conditioning learn the voice.
        config = config.replace(s2_freeze_decoder=True)
        emit(InfoEvent(stage="s2", message="the decoder (dec) stays as the base trained it", code="decoder_kept"))
    trainer = S2Trainer(gen, disc, config, device, data.val, previewer, s1, phone_loss=phone_loss,
                        wave_loss=wave_loss)
    batch = config.s2_batch_size or auto_batch_size("s2", len(data.train), device)
    emit(InfoEvent(stage="s2", message=f"S2 fine-tune: {config.s2_epochs} epochs, batch {batch}", code="s2_start",
                   values={"epochs": config.s2_epochs, "batch": batch}))
    outcome = run_stage(trainer, data.train, batch, config.s2_epochs, config, run_dir, emit, stop, resume)
    return outcome, (gen.cfg, _cpu_state(gen))


def _align_items(data: TrainData, emit: EventCallback) -> None:
    """Token alignments of the clips for a phone-pointer S1, read by the base's token readout
    (spread evenly, with a note, when the base ships none)."""
    from gpt_sovits.infer.reading_check import readout_beside
    from gpt_sovits.pretrain.alignments import attach_alignments
    from gpt_sovits.pretrain.token_readout import load_readout

    path = readout_beside(data.profile.s2g)
    readout = load_readout(path) if path.is_file() else None  # tokens outside its codebook are spread evenly
    if readout is None:
        emit(InfoEvent(stage="s1", message=f"the base has no token readout ({path.name}): each clip's tokens are "
                                           "spread evenly over its phones, so S1 learns the voice's timing less well",
                       code="no_readout"))
    attach_alignments([*data.train, *data.val], readout)


def run_s1_stage(data: TrainData, config: TrainConfig, run_dir: Path, emit: EventCallback,
                 stop: StopSignal | None, resume: bool, device: torch.device,
                 s2_state: S2State | None) -> tuple[StageOutcome, S1State]:
    """Fine-tune S1; previews decode with ``s2_state`` (the fine-tuned S2) or the base S2."""
    seed_everything(config.seed)
    model = load_s1_for_training(data.profile)
    if model.config.phone_pointer:
        _align_items(data, emit)
    previewer = data.previewer(config)
    s2 = _inference_s2(s2_state, data.profile, device) if previewer is not None else None
    trainer = S1Trainer(model, config, device, data.val, previewer, s2)
    batch = config.s1_batch_size or auto_batch_size("s1", len(data.train), device)
    emit(InfoEvent(stage="s1", message=f"S1 fine-tune: {config.s1_epochs} epochs, batch {batch}", code="s1_start",
                   values={"epochs": config.s1_epochs, "batch": batch}))
    outcome = run_stage(trainer, data.train, batch, config.s1_epochs, config, run_dir, emit, stop, resume)
    return outcome, (model.config, _cpu_state(model))
