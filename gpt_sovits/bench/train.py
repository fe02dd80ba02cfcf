"""Training speed: seconds per S2 and per S1 step on ~1 minute of synthetic data (random weights).

``python -m gpt_sovits bench train --preset starter`` (or ``v2``). The data imitate one minute
of speech cut into 15 slices of 4 s (13 for training, 2 held out), with the automatic CPU batch
sizes the trainers use; the result also projects a whole fine-tune of that minute with the
preset's default epochs (the starter without a discriminator and with its decoder fixed, as its
fine-tunes run) (steps x step time, plus validation and one preview per epoch, feature
extraction excluded: see ``bench features``).
"""

from __future__ import annotations

import time
from typing import Any

SLICES, SLICE_SECONDS, VAL_SLICES = 15, 4.0, 2


def _items(ssl_dim: int, seed: int) -> list:
    import torch

    from gpt_sovits.audio.spectral import linear_spectrogram
    from gpt_sovits.train.dataset import HOP, SAMPLE_RATE, TrainItem

    g = torch.Generator().manual_seed(seed)
    items = []
    for i in range(SLICES):
        frames = int(SLICE_SECONDS * SAMPLE_RATE) // HOP // 2 * 2
        t = torch.arange(frames * HOP) / SAMPLE_RATE
        wav = 0.3 * torch.sin(2 * torch.pi * (120 + 10 * i) * t) + 0.02 * torch.randn(t.shape, generator=g)
        phones = int(SLICE_SECONDS * 12)  # ~12 phones per second
        items.append(TrainItem(
            slice_id=f"s{i}", text="synthetic", language="en",
            phone_ids=torch.randint(1, 700, (phones,), generator=g), bert=torch.zeros(1024, phones),
            content=torch.randn(ssl_dim, frames, generator=g), spec=linear_spectrogram(wav), wav=wav,
            semantic=torch.randint(0, 1024, (frames // 2,), generator=g),
        ))
    return items


def _time_steps(trainer: Any, items: list, batch: int, steps: int) -> float:
    trainer.train_step(items[:batch])  # warm-up (first-call allocations)
    start = time.perf_counter()
    for i in range(steps):
        offset = (i * batch) % (len(items) - batch + 1)
        trainer.train_step(items[offset : offset + batch])
    return (time.perf_counter() - start) / steps


def _time_once(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_train(preset: str = "starter", threads: int | None = None, steps: int = 3, seed: int = 0) -> dict[str, Any]:
    """Seconds per S2 and S1 training step for a model preset ("starter", "v2", "tiny")."""
    import tempfile
    from pathlib import Path

    import torch

    from gpt_sovits.config import preset as lookup
    from gpt_sovits.models.s1.config import S1_PRESETS
    from gpt_sovits.models.s1.model import Text2Semantic
    from gpt_sovits.models.s2.config import S2_PRESETS
    from gpt_sovits.models.s2.discriminators import MultiPeriodDiscriminator
    from gpt_sovits.models.s2.model import SynthesizerTrn
    from gpt_sovits.train.config import TrainConfig
    from gpt_sovits.train.dataset import auto_batch_size, steps_per_epoch
    from gpt_sovits.train.loop import configure_threads
    from gpt_sovits.train.s1_trainer import S1Trainer
    from gpt_sovits.train.s2_trainer import S2Trainer
    from gpt_sovits.train.samples import Previewer

    n_threads = configure_threads(threads or 0)
    torch.manual_seed(seed)
    s2_cfg, s1_cfg = lookup(S2_PRESETS, preset), lookup(S1_PRESETS, preset)
    config = TrainConfig.preset("gsv-v2" if preset == "v2" else "starter")
    items = _items(s2_cfg.ssl_dim, seed)
    train, val = items[VAL_SLICES:], items[:VAL_SLICES]
    cpu = torch.device("cpu")
    s2_batch, s1_batch = auto_batch_size("s2", len(train), cpu), auto_batch_size("s1", len(train), cpu)

    gen = SynthesizerTrn(s2_cfg, with_posterior=True)
    # The starter ships no discriminator: its fine-tunes run mel + KL with the decoder kept fixed.
    adversarial = preset != "starter"
    disc = MultiPeriodDiscriminator.for_config(s2_cfg) if adversarial else None
    s2 = S2Trainer(gen, disc, config if adversarial else config.replace(s2_freeze_decoder=True), cpu, val)
    s2_step = _time_steps(s2, train, s2_batch, steps)
    s2_val = _time_once(s2.validate)
    s1_model = Text2Semantic(s1_cfg)
    s1 = S1Trainer(s1_model, config, cpu, val)
    s1_step = _time_steps(s1, train, s1_batch, steps)
    s1_val = _time_once(s1.validate)
    previewer = Previewer(val[0], val[0].phone_ids.tolist(), max_tokens=100, seed=seed)  # a 4 s sentence
    s1_model.eval(), gen.eval()
    with tempfile.TemporaryDirectory() as tmp:
        preview = _time_once(lambda: previewer.render(s1_model, gen, Path(tmp) / "preview.wav"))

    s2_steps = steps_per_epoch(len(train), s2_batch) * config.s2_epochs
    s1_steps = steps_per_epoch(len(train), s1_batch) * config.s1_epochs
    projected = (s2_steps * s2_step + s1_steps * s1_step + config.s2_epochs * (s2_val + preview)
                 + config.s1_epochs * (s1_val + preview))
    return {
        "preset": preset, "threads": n_threads, "s2_discriminator": adversarial, "data_seconds": SLICES * SLICE_SECONDS,
        "s2_batch": s2_batch, "s1_batch": s1_batch,
        "s2_seconds_per_step": round(s2_step, 3), "s1_seconds_per_step": round(s1_step, 3),
        "s2_validation_seconds": round(s2_val, 3), "s1_validation_seconds": round(s1_val, 3),
        "preview_seconds": round(preview, 3),
        "s2_epochs": config.s2_epochs, "s1_epochs": config.s1_epochs, "s2_steps": s2_steps, "s1_steps": s1_steps,
        "projected_finetune_seconds": round(projected, 1),
    }
