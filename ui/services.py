"""Services shared by all tabs: the only deliberate global state of the studio."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpt_sovits.registry import Registry


@dataclass
class Services:
    """What the tabs may use. Handlers call the package's public API through these objects."""

    registry: Registry
    workspace_root: Path

    @classmethod
    def create(cls, workspace: str | Path, pretrained: str | Path | None = None) -> Services:
        root = Path(workspace).expanduser().resolve()
        root.mkdir(parents=True, exist_ok=True)
        return cls(registry=Registry(pretrained), workspace_root=root)


@dataclass
class TabLoad:
    """What a tab wants to run when the page opens: a handler and the components it fills."""

    fn: Callable[..., Any]
    outputs: list[Any] = field(default_factory=list)
