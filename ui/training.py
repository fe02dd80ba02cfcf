"""Runs one fine-tuning at a time in a background thread for the Train tab.

The page polls :meth:`TrainingManager.snapshot` with a ``gr.Timer``, so a training keeps going
when the browser tab is closed or reloaded, and every visitor sees who is training. Events come
from :func:`gpt_sovits.train.run.finetune`'s ``on_event`` callback; for a project that is not
training now, the newest run's ``metrics.jsonl`` is read instead.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpt_sovits.data.project import Project
from gpt_sovits.errors import ProjectError, StudioError
from gpt_sovits.train.config import TrainConfig
from gpt_sovits.train.events import read_metrics

log = logging.getLogger(__name__)


@dataclass
class TrainingSnapshot:
    """What the Train tab shows: whether it runs, its events so far, the result or the error."""

    running: bool
    folder: str
    events: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] | None = None
    error: str = ""


@dataclass
class _Job:
    folder: str
    stop: threading.Event
    events: list[dict[str, Any]] = field(default_factory=list)
    thread: threading.Thread | None = None
    result: dict[str, Any] | None = None
    error: str = ""


def newest_run(project: Project) -> Path | None:
    """The newest run folder that has a metrics file."""
    if not project.runs_dir.is_dir():
        return None
    runs = [p for p in project.runs_dir.iterdir() if (p / "metrics.jsonl").is_file()]
    return max(runs, key=lambda p: p.name) if runs else None


class TrainingManager:
    """One background training per studio process (the package also locks machine-wide).

    Args:
        pretrained_root: the registry's pretrained folder, passed to ``finetune``.
    """

    def __init__(self, pretrained_root: Path) -> None:
        self.pretrained_root = pretrained_root
        self._lock = threading.Lock()
        self._job: _Job | None = None

    def busy_with(self) -> str | None:
        """Folder of the project training now, or None."""
        with self._lock:
            job = self._job
            return job.folder if job and job.thread and job.thread.is_alive() else None

    def start(self, project: Project, config: TrainConfig, resume: bool = False) -> None:
        """Start training ``project`` in the background; ProjectError if one is already running."""
        from gpt_sovits.train.run import finetune

        with self._lock:
            if self._job and self._job.thread and self._job.thread.is_alive():
                raise ProjectError(f"a training is already running (project '{self._job.folder}'); only one "
                                   "training can run at a time: wait for it to finish or stop it")
            job = _Job(folder=project.root.name, stop=threading.Event())

            def work() -> None:
                try:
                    result = finetune(project, config, on_event=lambda e: job.events.append(e.to_dict()),
                                      stop=job.stop, resume=resume, pretrained_root=self.pretrained_root)
                    job.result = result.to_dict()
                except (StudioError, ValueError) as exc:
                    job.error = str(exc)
                except Exception as exc:  # a crash must end up on the page, not kill the server
                    log.exception("training crashed")
                    job.error = f"internal error ({type(exc).__name__}: {exc})"

            job.thread = threading.Thread(target=work, name=f"train-{job.folder}", daemon=True)
            self._job = job
            job.thread.start()

    def stop(self, folder: str) -> bool:
        """Ask the training of ``folder`` to stop at its next step (a checkpoint is kept)."""
        with self._lock:
            if self._job and self._job.folder == folder and self._job.thread and self._job.thread.is_alive():
                self._job.stop.set()
                return True
        return False

    def snapshot(self, project: Project) -> TrainingSnapshot:
        """The live job of this project, else its newest run on disk."""
        folder = project.root.name
        with self._lock:
            job = self._job if self._job and self._job.folder == folder else None
        if job is not None:
            running = bool(job.thread and job.thread.is_alive())
            return TrainingSnapshot(running, folder, list(job.events), job.result, job.error)
        run = newest_run(project)
        events = read_metrics(run / "metrics.jsonl") if run else []
        done = [e for e in events if e.get("kind") == "done"]
        return TrainingSnapshot(False, folder, events, done[-1]["result"] if done else None)
