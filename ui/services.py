"""Services shared by all tabs: the only deliberate global state of the studio."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpt_sovits.asr import ASRConfig, WhisperASR
from gpt_sovits.data.project import Project, Workspace
from gpt_sovits.errors import ProjectError
from gpt_sovits.registry import Registry
from ui.training import TrainingManager


class StopRequested(ProjectError):
    """Raised from a progress callback when the user pressed Stop; the stage ends cleanly."""


@dataclass
class Services:
    """What the tabs may use. Handlers call the package's public API through these objects.

    Args:
        registry: which base models and encoders are installed.
        workspace_root: folder holding the projects.
        workspace: the projects themselves.
        asr: one lazily loaded Whisper model shared by every user (loaded on first use).
        training: the one background fine-tuning of this studio.
    """

    registry: Registry
    workspace_root: Path
    workspace: Workspace
    asr: WhisperASR
    training: TrainingManager
    _stops: dict[str, threading.Event] = field(default_factory=dict)
    _stops_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def create(cls, workspace: str | Path, pretrained: str | Path | None = None) -> Services:
        root = Path(workspace).expanduser().resolve()
        root.mkdir(parents=True, exist_ok=True)
        registry = Registry(pretrained)
        return cls(registry=registry, workspace_root=root, workspace=Workspace(root),
                   asr=WhisperASR(pretrained_root=registry.root, config=ASRConfig.for_labels()), training=TrainingManager(registry.root))

    def open(self, folder: str | None) -> Project:
        """The project a session has open, or ProjectError telling the user to pick one."""
        if not folder:
            raise ProjectError("no project is open; create or choose a project at the top of the page")
        return self.workspace.open_project(folder)

    def stop_flag(self, folder: str) -> threading.Event:
        """The stop flag of one project's long-running step (cleared when a step starts)."""
        with self._stops_lock:
            return self._stops.setdefault(folder, threading.Event())

    def progress_with_stop(self, folder: str, report: Callable[[float, str], None]) -> Callable[[float, str], None]:
        """Wrap a progress callback so that a pressed Stop ends the stage at its next report."""
        flag = self.stop_flag(folder)
        flag.clear()

        def progress(fraction: float, message: str) -> None:
            if flag.is_set():
                raise StopRequested("stopped as you asked; press the button again to continue where it stopped")
            report(fraction, message)

        return progress


@dataclass
class TabLoad:
    """What a tab wants to run when the page opens, the project changes or the tab is selected:
    a handler, its inputs (usually the project state) and the components it fills."""

    fn: Callable[..., Any]
    outputs: list[Any] = field(default_factory=list)
    inputs: list[Any] = field(default_factory=list)
