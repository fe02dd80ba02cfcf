"""Typed training events and the ``runs/<id>/metrics.jsonl`` writer.

Every event is a dataclass with a ``kind`` and a ``to_dict()``; the trainer hands each one to the
caller's ``on_event`` callback and appends it as one JSON line to ``metrics.jsonl``.

Documented keys of a ``step`` line: ``kind, stage ("s2"|"s1"), step, epoch, losses {name: value},
lr, grad_norm, elapsed (s since the stage started), eta (s left in the stage), time (unix)``.
``val`` lines carry ``stage, step, epoch, losses``; ``sample`` lines ``stage, epoch, step, path``;
``checkpoint`` lines ``stage, step, path``; ``info`` lines ``stage, message``; ``done`` lines the
run result. After a resume, the steps between the last checkpoint and the kill appear again
(the later line is the one the run continued from).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class TrainEvent:
    """Base class: ``kind`` names the event type."""

    kind: str = field(init=False, default="event")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["time"] = round(time.time(), 3)
        return data


@dataclass
class StepEvent(TrainEvent):
    """One optimisation step."""

    stage: str
    step: int
    epoch: int
    losses: dict[str, float]
    lr: float
    grad_norm: float
    elapsed: float
    eta: float
    kind: str = field(init=False, default="step")


@dataclass
class ValidationEvent(TrainEvent):
    """Losses on the held-out slices (after each epoch)."""

    stage: str
    step: int
    epoch: int
    losses: dict[str, float]
    kind: str = field(init=False, default="val")


@dataclass
class SampleEvent(TrainEvent):
    """A preview wav synthesized with the current weights."""

    stage: str
    epoch: int
    step: int
    path: str
    kind: str = field(init=False, default="sample")


@dataclass
class CheckpointEvent(TrainEvent):
    """A checkpoint was written."""

    stage: str
    step: int
    path: str
    kind: str = field(init=False, default="checkpoint")


@dataclass
class InfoEvent(TrainEvent):
    """Something the user should know (stage start, randomly initialised parts, cancel, ...).

    ``message`` is English; ``code`` (a stable key, "" for none) and ``values`` (what the message
    names) let a front end say it in its own language."""

    stage: str
    message: str
    kind: str = field(init=False, default="info")
    code: str = ""
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class DoneEvent(TrainEvent):
    """The run finished (or was cancelled); ``result`` is the :class:`TrainResult` as a dict."""

    result: dict[str, Any]
    kind: str = field(init=False, default="done")


EventCallback = Callable[[TrainEvent], None]


class MetricsWriter:
    """Appends events as JSON lines; one ``write`` per line, so a kill leaves at most a torn tail,
    which is cut off when the file is opened again.

    Args:
        path: ``runs/<id>/metrics.jsonl``.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        repair_jsonl(self.path)

    def write(self, event: TrainEvent) -> None:
        line = json.dumps(event.to_dict(), ensure_ascii=False, allow_nan=True) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)


def repair_jsonl(path: Path) -> None:
    """Cut a partial last line (left by a kill in the middle of a write)."""
    if not path.is_file():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with open(path, "r+b") as handle:
            handle.truncate(data.rfind(b"\n") + 1)


def read_metrics(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """All events of a ``metrics.jsonl`` file (for plots and tests)."""
    path = Path(path)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class EventSink:
    """Fans an event out to the metrics file and the caller's callback."""

    def __init__(self, writer: MetricsWriter, callback: EventCallback | None = None) -> None:
        self.writer = writer
        self.callback = callback

    def __call__(self, event: TrainEvent) -> None:
        self.writer.write(event)
        if self.callback is not None:
            self.callback(event)
