"""Fine-tuning configuration (:class:`TrainConfig`) with named presets.

Presets:

- ``starter``: CPU-aware defaults for about one minute of speech on the offline starter profile.
- ``gsv-v2``: the original web UI's fine-tune defaults (8 S2 and 15 S1 epochs) for the official
  v2 base on a GPU.
- ``tiny``: one epoch each on the built-in random "tiny" base, for tests (seconds on CPU).

Why 3 S2 and 8 S1 epochs on CPU: ``python -m gpt_sovits bench train --preset starter`` on this
2-core machine (shared with other jobs at load ~5, so pessimistic) measured 41-49 s per S2 step
and 3.4-4.1 s per S1 step at the automatic batch of 3, for ~1 minute of speech = 13 training
slices = 5 steps per epoch. The S2 step is dominated by the multi-period discriminator on the
20480-sample slices and cannot shrink without changing the recipe, so S2 gets 3 epochs (~12 min
contended) and the cheap S1 - which carries the speaker's prosody and rhythm - gets 8 (~2.5 min).
Projected with validation and per-epoch previews: 903 s, plus ~0.5 min of feature extraction,
i.e. ~15 min under that load and roughly half on an idle machine; the original uses 8 + 15
epochs over a list repeated to >= 100 items, on a GPU. (That bench step includes a
discriminator; the starter base now ships none, so its S2 fine-tune runs mel + KL only and each
step is cheaper than measured there - the epoch counts are therefore an upper bound in time.)

Epoch counts are per stage; a value of 0 skips the stage. Batch sizes of 0 are chosen
automatically from the data and the device (:func:`gpt_sovits.train.dataset.auto_batch_size`).
See :mod:`gpt_sovits.train.s1_trainer` for why S1 uses AdamW with warm-up instead of the
original's ScaledAdam.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gpt_sovits.config import ConfigError, StrictConfig, preset, recommendation
from gpt_sovits.tiny_base import TINY_PROFILES

SAMPLE_TEXTS = {
    "zh": "你好，这是我用自己的声音训练出来的新模型。",
    "en": "Hello, this is my new voice, trained on a minute of my own speech.",
}


@dataclass
class TrainConfig(StrictConfig):
    """Everything one fine-tuning run needs (persisted as ``runs/<id>/config.json``).

    Args:
        base: base profile to fine-tune ("starter", "gsv-v2", "tiny", or a custom profile name).
        voice_name: name of the exported voice folder (default: ``<project>-<run id>``).
        s2_epochs / s1_epochs: passes over the training slices per stage (0 skips the stage).
        s2_batch_size / s1_batch_size: items per step (0 = automatic).
        s2_lr, s2_betas, s2_eps, s2_lr_decay: AdamW of generator and discriminator; the learning
            rate is multiplied by ``s2_lr_decay`` after every epoch (the original's ExponentialLR).
        text_low_lr_rate: factor on the learning rate of the text-side S2 modules
            (``text_embedding``, ``encoder_text``, ``mrte``).
        s2_freeze_decoder: keep the HiFi-GAN decoder (``dec``) fixed; for bases without a
            discriminator, whose decoder a mel-only loss would blur.
        c_mel / c_kl: weights of the mel L1 and KL terms of the generator loss.
        s2_phone_weight: weight of the phone loss for bases that ship a phone recogniser
            (``mel-phones.safetensors`` beside their s2g, :mod:`gpt_sovits.pretrain.mel_phones`);
            with it a base without discriminator fine-tunes its decoder too. 0 = never.
        s2_prior_weight: weight of the prior-path loss (mel, and phones with a phone loss, of the
            slice decoded from the prior as synthesis does; 0 = off).
        s2_whisper_weight: weight of the Whisper feature loss (:mod:`gpt_sovits.pretrain.whisper_loss`)
            for bases whose content encoder is Whisper-base (the starter): the generated slices
            should look like the real ones to Whisper's encoder; with it a base without
            discriminator fine-tunes its decoder too. 0 = never.
        s2_stft_weight: weight of the multi-resolution STFT loss of the generated slices (and, with
            ``s2_prior_weight``, of the prior path's; :func:`gpt_sovits.models.s2.losses.stft_loss`):
            keeps the harmonics a mel loss alone lets a decoder without discriminator smear. 0 = off.
        s2_buzz_weight: weight of the frame-rate buzz loss of the generated slices (both paths, as
            the STFT loss; :func:`gpt_sovits.models.s2.losses.frame_buzz_loss`): the comb a decoder's
            frame pulse leaves, beyond the real slice's. 0 = off.
        s2_decoder_only: train nothing of S2 but its decoder (pretraining a decoder that gained a
            harmonic source); the opposite of ``s2_freeze_decoder``, which must then be False.
        s2_source_lr_scale: a harmonic source and its pitch predictor learn at this multiple of
            ``s2_lr`` (above 1 when they start from random beside a trained decoder).
        s2_pitch_weight: weight of the pitch predictor's loss, for bases whose decoder has a harmonic
            source (:mod:`gpt_sovits.models.s2.harmonic`): voicing cross-entropy + L1 of log-F0
            against the slice's true pitch. Ignored otherwise.
        s2_grad_clip: clip the generator's gradient norm to this before each step (0 = never, as the
            original; the harmonic source's pretraining clips at 100, session 27).
        s2_harmonic_weight: weight of the low-band log-spectrum loss that makes a decoder with a
            harmonic source follow its pitch (:func:`gpt_sovits.models.s2.losses.harmonic_loss`; both
            paths, as the STFT loss). Ignored for other decoders; 0 = off.
        s2_prior_adversarial: with a discriminator, weight of the prior path's adversarial +
            feature-matching terms (its slice, as synthesis decodes it, meets the discriminator
            too; needs ``s2_prior_weight`` > 0). 0 = only the posterior path's slice meets it.
        s1_lr, s1_betas, s1_weight_decay, s1_warmup_steps, s1_grad_clip: S1 AdamW schedule
            (linear warm-up, then constant).
        seed: seeds every random number generator of the run.
        save_every_steps: checkpoint period in steps (checkpoints are also written at each epoch end).
        keep_checkpoints: how many checkpoints to keep per stage.
        val_slices: held-out slices for validation (0 = automatic: 1-4 depending on the data).
        samples: synthesize the preview sentence after every epoch.
        sample_text: the preview sentence ("" = a fixed sentence in the project's language).
        sample_max_tokens: cap on generated semantic tokens for a preview (25 per second).
        device: "auto" (CUDA if present, else CPU), "cpu" or "cuda".
        num_threads: CPU threads for torch (0 = automatic).
        max_steps: stop each stage after this many steps (0 = no limit; for tests and trials).
    """

    base: str = "starter"
    voice_name: str = ""
    s2_epochs: int = 3
    s1_epochs: int = 8
    s2_batch_size: int = 0
    s1_batch_size: int = 0
    s2_lr: float = 1e-4
    s2_betas: tuple[float, float] = (0.8, 0.99)
    s2_eps: float = 1e-9
    s2_lr_decay: float = 0.999875
    text_low_lr_rate: float = 0.4
    s2_freeze_decoder: bool = False
    s2_decoder_only: bool = False
    s2_source_lr_scale: float = 1.0
    c_mel: float = 45.0
    c_kl: float = 1.0
    s2_phone_weight: float = 10.0
    s2_prior_weight: float = 0.0
    s2_whisper_weight: float = 0.0
    s2_stft_weight: float = 0.0
    s2_buzz_weight: float = 0.0
    s2_pitch_weight: float = 1.0
    s2_harmonic_weight: float = 5.0
    s2_grad_clip: float = 0.0
    s2_prior_adversarial: float = 0.0
    s1_lr: float = 3e-4
    s1_betas: tuple[float, float] = (0.9, 0.98)
    s1_weight_decay: float = 0.01
    s1_warmup_steps: int = 10
    s1_grad_clip: float = 1.0
    seed: int = 1234
    save_every_steps: int = 50
    keep_checkpoints: int = 2
    val_slices: int = 0
    samples: bool = True
    sample_text: str = ""
    sample_max_tokens: int = 500
    device: str = "auto"
    num_threads: int = 0
    max_steps: int = 0

    def __post_init__(self) -> None:
        problems = []
        for name in ("s2_epochs", "s1_epochs", "s2_batch_size", "s1_batch_size", "val_slices",
                     "num_threads", "max_steps", "s1_warmup_steps", "s2_phone_weight",
                     "s2_prior_weight", "s2_whisper_weight", "s2_stft_weight", "s2_buzz_weight",
                     "s2_pitch_weight", "s2_harmonic_weight", "s2_grad_clip", "s2_prior_adversarial"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be >= 0")
        for name in ("s2_lr", "s1_lr", "s2_eps", "c_mel", "s2_source_lr_scale"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be > 0")
        if self.s2_decoder_only and self.s2_freeze_decoder:
            problems.append("s2_decoder_only and s2_freeze_decoder together would train nothing")
        if self.save_every_steps < 1 or self.keep_checkpoints < 1:
            problems.append("save_every_steps and keep_checkpoints must be >= 1")
        if not 0 < self.s2_lr_decay <= 1 or not 0 < self.text_low_lr_rate <= 1:
            problems.append("s2_lr_decay and text_low_lr_rate must be in (0, 1]")
        if self.device not in ("auto", "cpu", "cuda"):
            problems.append(f"device must be auto, cpu or cuda, got {self.device!r}")
        if self.sample_max_tokens < 1:
            problems.append("sample_max_tokens must be >= 1")
        if problems:
            raise ConfigError("TrainConfig: " + "; ".join(problems))

    @classmethod
    def preset(cls, name: str) -> TrainConfig:
        """A copy of the named preset (``starter``, ``gsv-v2``, ``tiny``, ``tiny-nodisc``)."""
        return preset(TRAIN_PRESETS, name).replace()

    @classmethod
    def for_base(cls, base: str, cuda: bool, recipe: Mapping[str, Any] | None = None) -> TrainConfig:
        """Defaults for a base profile on this machine: its preset (``starter`` for custom
        profiles), with the CPU epoch counts (``CPU_EPOCHS``) when there is no GPU, then the
        base's own recipe (its profile.json ``"fine_tune"``, see :func:`fine_tune_recipe`) on top."""
        config = cls.preset(base) if base in TRAIN_PRESETS else cls.preset("starter").replace(base=base)
        if not cuda and base not in TINY_PROFILES:
            s2_epochs, s1_epochs = CPU_EPOCHS
            config = config.replace(s2_epochs=s2_epochs, s1_epochs=s1_epochs)
        return config.replace(**fine_tune_recipe(recipe, f"base {base!r}")) if recipe else config

    @classmethod
    def for_this_machine(cls, base: str, recipe: Mapping[str, Any] | None = None) -> TrainConfig:
        """``for_base`` with this machine's answer to "is there a CUDA GPU?" (imports torch)."""
        import torch

        return cls.for_base(base, torch.cuda.is_available(), recipe)

    def sample_sentence(self, language: str) -> str:
        """The preview sentence for a project language ("zh", "en", ...)."""
        return self.sample_text or SAMPLE_TEXTS.get(language, SAMPLE_TEXTS["en"])


# (S2, S1) epochs of a fine-tune on CPU for every non-test base: ~1 minute of speech trains within
# the 15 minutes a creator waits on 2 cores (gpt_sovits.bench.train). Kept apart from the starter
# preset so a change to the starter's own numbers does not silently change other bases on CPU.
CPU_EPOCHS = (3, 8)

# What a base's profile.json may set under "fine_tune": the recipe its authors measured best for
# ~1 minute of speech (over-fitting depends on the base and the data, not on the device), including
# the extra S2 losses its pretraining used (weights of the Whisper feature and prior-path losses).
FINE_TUNE_KEYS = ("s2_epochs", "s1_epochs", "s2_lr", "s1_lr", "s2_whisper_weight", "s2_prior_weight", "s2_stft_weight",
                  "s2_buzz_weight", "s2_pitch_weight", "s2_harmonic_weight", "s2_decoder_only")
FINE_TUNE_SWITCHES = ("s2_decoder_only",)  # true / false; the other keys are numbers
_MAX_LOSS_WEIGHT = 1000.0


def fine_tune_recipe(data: Any, where: str) -> dict[str, Any]:
    """Validated fine-tune settings recommended by a base (``{}`` when ``data`` is None).

    Raises:
        ValueError: not a mapping of :data:`FINE_TUNE_KEYS` to valid values; the message names ``where``.
    """
    data = recommendation(data, where, "fine_tune", FINE_TUNE_KEYS, '{"s1_epochs": 3}')
    for key, value in data.items():
        if key in FINE_TUNE_SWITCHES:
            if not isinstance(value, bool):
                raise ValueError(f'{where}: "fine_tune" {key} must be true or false, got {value!r}')
            continue
        is_epochs = key.endswith("_epochs")
        kinds = (int,) if is_epochs else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
            raise ValueError(f'{where}: "fine_tune" {key} must be a {"whole " if is_epochs else ""}number, got {value!r}')
        if is_epochs:
            valid, bounds = 1 <= value <= 1000, "between 1 and 1000"
        elif key.endswith("_weight"):
            valid, bounds = 0 <= value <= _MAX_LOSS_WEIGHT, f"between 0 and {_MAX_LOSS_WEIGHT:g}"
        else:
            valid, bounds = 0 < value <= 1, "in (0, 1]"
        if not valid:
            raise ValueError(f'{where}: "fine_tune" {key} must be {bounds}, got {value!r}')
    return data


_TINY = TrainConfig(base="tiny", s2_epochs=1, s1_epochs=1, s2_batch_size=2, s1_batch_size=2, num_threads=1,
                    sample_max_tokens=20, save_every_steps=2, s1_lr=1e-3, s1_warmup_steps=0)
TRAIN_PRESETS: dict[str, TrainConfig] = {
    # ~1 minute of speech on 2 CPU cores, measured with gpt_sovits.bench.train (see run.py).
    "starter": TrainConfig(base="starter", s2_epochs=3, s1_epochs=8),
    # The original web UI's defaults (GPU): 8 S2 epochs, 15 S1 epochs.
    "gsv-v2": TrainConfig(base="gsv-v2", s2_epochs=8, s1_epochs=15, save_every_steps=200),
    # Tests: random tiny base, a single short epoch per stage, short previews.
    "tiny": _TINY,
    # The same on the tiny base shipped without a discriminator (S2: mel + KL only).
    "tiny-nodisc": _TINY.replace(base="tiny-nodisc"),
}
