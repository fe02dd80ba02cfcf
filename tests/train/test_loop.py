"""run_stage with items that change per epoch: each epoch trains its own items, and a stopped run
resumes onto exactly the batches an uninterrupted run trains."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import torch

from gpt_sovits.train.config import TrainConfig
from gpt_sovits.train.loop import run_stage


@dataclass
class Item:
    slice_id: str
    frames: int


class RecordingTrainer:
    """A stage trainer that only records which items each step saw."""

    stage = "s1"

    def __init__(self) -> None:
        self.generators = {"train": torch.Generator().manual_seed(0)}
        self.seen: list[list[str]] = []

    def set_epoch(self, epoch: int) -> None:
        pass

    def train_step(self, items: list) -> tuple[dict[str, float], float]:
        self.seen.append([item.slice_id for item in items])
        return {"loss": 1.0}, 0.0

    def current_lr(self) -> float:
        return 0.1

    def validate(self) -> dict[str, float]:
        return {"loss": 1.0}

    def preview(self, path: Path) -> bool:
        return False

    def state_dict(self) -> dict:
        return {"seen": list(self.seen)}

    def load_state_dict(self, state: dict) -> None:
        self.seen = list(state["seen"])


def _epoch_items(epoch: int) -> list[Item]:
    return [Item(f"e{epoch}-{i}", 10 + (i * 7 + epoch) % 5) for i in range(6)]


def _config() -> TrainConfig:
    return TrainConfig.preset("tiny").replace(save_every_steps=1, keep_checkpoints=2, samples=False, seed=3)


def test_each_epoch_trains_its_own_items(tmp_path: Path) -> None:
    trainer = RecordingTrainer()
    outcome = run_stage(trainer, _epoch_items(0), 2, 3, _config(), tmp_path, lambda e: None,
                        epoch_items=_epoch_items)
    assert outcome.completed and outcome.steps == 9
    for epoch in range(3):
        trained = sorted(sid for batch in trainer.seen[3 * epoch: 3 * epoch + 3] for sid in batch)
        assert trained == sorted(item.slice_id for item in _epoch_items(epoch))


def test_a_stopped_run_resumes_onto_the_same_epoch_items(tmp_path: Path) -> None:
    whole = RecordingTrainer()
    run_stage(whole, _epoch_items(0), 2, 3, _config(), tmp_path / "a", lambda e: None, epoch_items=_epoch_items)
    stop, first = threading.Event(), RecordingTrainer()

    def stop_in_epoch_1(event) -> None:
        if event.kind == "step" and event.step == 5:
            stop.set()

    cut = run_stage(first, _epoch_items(0), 2, 3, _config(), tmp_path / "b", stop_in_epoch_1, stop,
                    epoch_items=_epoch_items)
    assert cut.cancelled and cut.steps == 5
    resumed = RecordingTrainer()
    run_stage(resumed, _epoch_items(0), 2, 3, _config(), tmp_path / "b", lambda e: None, resume=True,
              epoch_items=_epoch_items)
    assert resumed.seen == whole.seen
