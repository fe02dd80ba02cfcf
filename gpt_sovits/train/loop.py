"""The epoch/step loop shared by the S2 and S1 trainers: events, ETA, checkpoints, cancel, resume.

A stage trainer (:class:`StageTrainer`) knows how to take one optimisation step, validate,
render a preview and (de)serialise its state; :func:`run_stage` does everything else:

- batches per epoch from :func:`~gpt_sovits.train.dataset.bucket_batches` (a function of
  ``(seed, epoch)``), so a checkpoint only needs ``(epoch, batch index)`` to continue exactly;
  ``epoch_items`` may give each epoch its own items (e.g. S1 prompt pairs drawn anew), which must
  then also be a function of the epoch alone;
- a :class:`StepEvent` per step, a checkpoint every ``save_every_steps`` steps and at each epoch end
  (after validation), then a preview;
- ``stop.is_set()`` is checked after every step: a checkpoint is written and the stage returns
  ``cancelled``;
- validation and previews run under ``torch.random.fork_rng`` with their own seeded generators,
  so they never change the random stream of training (resumed == uninterrupted).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch

from gpt_sovits.errors import CheckpointError
from gpt_sovits.train.checkpoints import CheckpointManager, capture_rng, restore_rng
from gpt_sovits.train.config import TrainConfig
from gpt_sovits.train.dataset import TrainItem, bucket_batches, steps_per_epoch
from gpt_sovits.train.events import (
    CheckpointEvent,
    EventCallback,
    InfoEvent,
    SampleEvent,
    StepEvent,
    ValidationEvent,
)


class StopSignal(Protocol):
    """Anything with ``is_set()`` (a :class:`threading.Event` works)."""

    def is_set(self) -> bool: ...


class StageTrainer(Protocol):
    """What :func:`run_stage` needs from a stage trainer."""

    stage: str
    generators: dict[str, torch.Generator]

    def set_epoch(self, epoch: int) -> None: ...

    def train_step(self, items: list[TrainItem]) -> tuple[dict[str, float], float]: ...

    def current_lr(self) -> float: ...

    def validate(self) -> dict[str, float]: ...

    def preview(self, path: Path) -> bool: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


@dataclass
class StageOutcome:
    """How a stage ended."""

    stage: str
    steps: int = 0
    epochs_done: int = 0
    completed: bool = False
    cancelled: bool = False
    seconds: float = 0.0
    train_losses: dict[str, float] = field(default_factory=dict)
    val_losses: dict[str, float] = field(default_factory=dict)


def pick_device(name: str = "auto") -> torch.device:
    """CUDA when asked for or available (``auto``), else CPU."""
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise RuntimeError("device 'cuda' was requested but no CUDA GPU is available; use 'auto' or 'cpu'")
        return torch.device("cuda")
    return torch.device("cpu")


def configure_threads(num_threads: int = 0) -> int:
    """Set torch's CPU threads: the given number, or the cores this process may use (at most 8)."""
    if num_threads <= 0:
        num_threads = max(1, min(8, len(os.sched_getaffinity(0))))
    torch.set_num_threads(num_threads)
    return num_threads


def _mean(history: list[dict[str, float]]) -> dict[str, float]:
    if not history:
        return {}
    return {key: sum(h[key] for h in history) / len(history) for key in history[0]}


@dataclass
class _Position:
    step: int = 0
    epoch: int = 0
    batch: int = 0
    elapsed: float = 0.0
    val_losses: dict[str, float] = field(default_factory=dict)
    epoch_losses: list[dict[str, float]] = field(default_factory=list)


def _save(trainer: StageTrainer, ckpts: CheckpointManager, pos: _Position, done: bool,
          emit: EventCallback) -> None:
    state = {
        "stage": trainer.stage, "step": pos.step, "epoch": pos.epoch, "batch": pos.batch,
        "done": done, "elapsed": pos.elapsed, "val_losses": pos.val_losses,
        "epoch_losses": pos.epoch_losses, "trainer": trainer.state_dict(),
        "rng": capture_rng(trainer.generators),
    }
    path = ckpts.save(state)
    emit(CheckpointEvent(stage=trainer.stage, step=pos.step, path=str(path)))


def _resume(trainer: StageTrainer, ckpts: CheckpointManager, emit: EventCallback) -> tuple[_Position, bool]:
    state = ckpts.latest()
    if state is None:
        return _Position(), False
    try:
        trainer.load_state_dict(state["trainer"])
    except ValueError as exc:  # e.g. the base gained or lost its discriminator since the run started
        raise CheckpointError(f"cannot resume from {Path(state['path']).name}: {exc}; or start a new "
                              "training") from exc
    restore_rng(state["rng"], trainer.generators)
    pos = _Position(step=state["step"], epoch=state["epoch"], batch=state["batch"], elapsed=state["elapsed"],
                    val_losses=dict(state["val_losses"]), epoch_losses=list(state["epoch_losses"]))
    emit(InfoEvent(stage=trainer.stage, message=f"resumed from {Path(state['path']).name} (step {pos.step})",
                   code="resumed", values={"step": pos.step}))
    return pos, bool(state["done"])


def run_stage(
    trainer: StageTrainer,
    items: list[TrainItem],
    batch_size: int,
    epochs: int,
    config: TrainConfig,
    run_dir: Path,
    emit: EventCallback,
    stop: StopSignal | None = None,
    resume: bool = False,
    epoch_items: Callable[[int], list[TrainItem]] | None = None,
) -> StageOutcome:
    """Train one stage for ``epochs`` epochs over ``items`` (see the module docstring).

    ``epoch_items(epoch)``: the items of that epoch instead of ``items`` (as many, a function of the
    epoch alone so that a resumed run continues exactly); None = ``items`` every epoch.
    """
    stage = trainer.stage
    ckpts = CheckpointManager(run_dir / "checkpoints", stage, config.keep_checkpoints)
    pos, done = _resume(trainer, ckpts, emit) if resume else (_Position(), False)
    per_epoch = steps_per_epoch(len(items), batch_size)
    total = per_epoch * epochs
    if config.max_steps:
        total = min(total, config.max_steps)
    done = done and pos.step >= total  # a finished run continues when it is given more steps
    session_start, session_steps = time.monotonic(), 0
    base_elapsed = pos.elapsed

    def finish(completed: bool, cancelled: bool) -> StageOutcome:
        return StageOutcome(stage, pos.step, pos.epoch, completed, cancelled, pos.elapsed,
                            _mean(pos.epoch_losses), dict(pos.val_losses))

    while not done and pos.step < total:
        trainer.set_epoch(pos.epoch)
        if epoch_items is not None:
            items = epoch_items(pos.epoch)
        batches = bucket_batches([item.frames for item in items], batch_size, config.seed, pos.epoch)
        while pos.batch < len(batches) and pos.step < total:
            losses, grad_norm = trainer.train_step([items[i] for i in batches[pos.batch]])
            pos.step, pos.batch, session_steps = pos.step + 1, pos.batch + 1, session_steps + 1
            pos.epoch_losses.append(losses)
            now = time.monotonic() - session_start
            pos.elapsed = base_elapsed + now
            eta = now / session_steps * (total - pos.step)
            emit(StepEvent(stage=stage, step=pos.step, epoch=pos.epoch, losses=losses,
                           lr=trainer.current_lr(), grad_norm=grad_norm, elapsed=round(pos.elapsed, 3),
                           eta=round(eta, 1)))
            if stop is not None and stop.is_set():
                _save(trainer, ckpts, pos, False, emit)
                emit(InfoEvent(stage=stage, message=f"cancelled at step {pos.step}; resume to continue",
                               code="cancelled", values={"step": pos.step}))
                return finish(False, True)
            if pos.step % config.save_every_steps == 0 and pos.batch < len(batches) and pos.step < total:
                _save(trainer, ckpts, pos, False, emit)
        epoch_losses = list(pos.epoch_losses)
        pos.epoch, pos.batch, pos.epoch_losses = pos.epoch + 1, 0, []
        done = pos.step >= total
        with torch.random.fork_rng(devices=[]):
            pos.val_losses = trainer.validate()
        emit(ValidationEvent(stage=stage, step=pos.step, epoch=pos.epoch - 1, losses=pos.val_losses))
        pos.epoch_losses = epoch_losses if done else []
        _save(trainer, ckpts, pos, done, emit)
        if config.samples:
            path = run_dir / "samples" / f"{stage}-epoch{pos.epoch:03d}.wav"
            with torch.random.fork_rng(devices=[]):
                if trainer.preview(path):
                    emit(SampleEvent(stage=stage, epoch=pos.epoch - 1, step=pos.step, path=str(path)))
    return finish(True, False)
