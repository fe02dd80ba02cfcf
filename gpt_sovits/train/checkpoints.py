"""Training checkpoints: atomic, per stage, keep the last K, resume from the newest readable one.

A checkpoint is one ``torch.save`` dict under ``runs/<id>/checkpoints/<stage>-<step>.pt`` with
model and optimiser states, the position in the data (epoch, batch index), every random number
generator state (torch, CUDA, numpy, python, the trainer's own generators) and ``done`` once the
stage has finished. Files are written to a temporary name and renamed, so a kill at any moment
leaves the previous checkpoint intact. Loading uses ``weights_only=True`` (no code execution).
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gpt_sovits.errors import CheckpointError
from gpt_sovits.fileio import atomic_open

_NAME = re.compile(r"^(?P<stage>[a-z0-9]+)-(?P<step>\d{8})\.pt$")


def capture_rng(generators: dict[str, torch.Generator] | None = None) -> dict[str, Any]:
    """Every global RNG state plus the given generators' states (all weights_only-loadable)."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached": float(cached)},
        "python": random.getstate(),
        "generators": {name: gen.get_state() for name, gen in (generators or {}).items()},
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any], generators: dict[str, torch.Generator] | None = None) -> None:
    """Inverse of :func:`capture_rng`."""
    torch.set_rng_state(state["torch"])
    np_state = state["numpy"]
    np.random.set_state((np_state["kind"], np_state["keys"].numpy().astype(np.uint32), np_state["pos"],
                         np_state["has_gauss"], np_state["cached"]))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    for name, gen in (generators or {}).items():
        if name in state["generators"]:
            gen.set_state(state["generators"][name])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class CheckpointManager:
    """Checkpoints of one stage of one run.

    Args:
        folder: ``runs/<id>/checkpoints``.
        stage: "s2" or "s1".
        keep: how many of the newest checkpoints to keep.
    """

    def __init__(self, folder: str | Path, stage: str, keep: int = 2) -> None:
        self.folder = Path(folder)
        self.stage = stage
        self.keep = max(1, keep)

    def path_for(self, step: int) -> Path:
        return self.folder / f"{self.stage}-{step:08d}.pt"

    def paths(self) -> list[Path]:
        """This stage's checkpoint files, oldest first."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in self.folder.iterdir():
            match = _NAME.match(path.name)
            if match and match["stage"] == self.stage:
                found.append((int(match["step"]), path))
        return [path for _, path in sorted(found)]

    def save(self, state: dict[str, Any]) -> Path:
        """Write ``state`` (must hold ``step``) atomically, then delete all but the newest ``keep``."""
        path = self.path_for(int(state["step"]))
        with atomic_open(path, "wb") as handle:
            torch.save(state, handle)
        for old in self.paths()[: -self.keep]:
            old.unlink(missing_ok=True)
        return path

    def latest(self) -> dict[str, Any] | None:
        """The newest readable checkpoint of this stage (older ones are tried if it is damaged)."""
        from gpt_sovits.checkpoint.safe_load import safe_torch_load

        for path in reversed(self.paths()):
            try:
                state = safe_torch_load(path)
            except CheckpointError:
                continue
            if isinstance(state, dict) and state.get("stage") == self.stage:
                state["path"] = str(path)
                return state
        return None


def load_training_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read one checkpoint file (for inspection and tests)."""
    from gpt_sovits.checkpoint.safe_load import safe_torch_load

    state = safe_torch_load(path)
    if not isinstance(state, dict) or "trainer" not in state or "stage" not in state:
        raise CheckpointError(f"{Path(path).name}: not a training checkpoint of this studio")
    return state
