"""Our self-describing weights format: a safetensors file whose metadata names the kind and config.

Metadata keys: ``format`` (int as text), ``kind`` (e.g. ``"s1"``, ``"s2g"``, ``"s2d"``),
``config`` (JSON of the model config dataclass) and optional ``extra`` (JSON). No pickle is
involved, so loading cannot run code.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpt_sovits.errors import CheckpointError

FORMAT_VERSION = 1


@dataclass
class WeightsFile:
    """Contents of one of our weights files."""

    kind: str
    config: dict[str, Any]
    state_dict: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    format: int = FORMAT_VERSION


def save_weights(
    path: str | os.PathLike[str],
    kind: str,
    config: dict[str, Any],
    state_dict: dict[str, Any],
    extra: dict[str, Any] | None = None,
    half: bool = False,
) -> None:
    """Write ``state_dict`` atomically as safetensors with self-describing metadata."""
    from safetensors.torch import save

    from gpt_sovits.fileio import atomic_write_bytes

    tensors = {}
    for key, value in state_dict.items():
        tensor = value.detach().cpu().contiguous()
        if half and tensor.is_floating_point():
            tensor = tensor.half()
        tensors[key] = tensor
    metadata = {
        "format": str(FORMAT_VERSION),
        "kind": kind,
        "config": json.dumps(config),
        "extra": json.dumps(extra or {}),
    }
    atomic_write_bytes(path, save(tensors, metadata=metadata))


def load_weights(path: str | os.PathLike[str], expect_kind: str | None = None) -> WeightsFile:
    """Read one of our weights files; tensors come back as stored (call ``.float()`` as needed)."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: file not found")
    data = path.read_bytes()
    try:
        tensors = load(data)
        metadata = _read_metadata(data)
    except (SafetensorError, ValueError) as exc:
        raise CheckpointError(f"{path.name}: not a valid weights file ({exc})") from exc
    if "kind" not in metadata or "config" not in metadata:
        raise CheckpointError(f"{path.name}: safetensors file without our kind/config metadata")
    fmt = int(metadata.get("format", "0"))
    if fmt > FORMAT_VERSION:
        raise CheckpointError(
            f"{path.name}: written by a newer version of the studio (format {fmt}); please update"
        )
    kind = metadata["kind"]
    if expect_kind is not None and kind != expect_kind:
        raise CheckpointError(f"{path.name}: holds {kind!r} weights, expected {expect_kind!r}")
    return WeightsFile(
        kind=kind,
        config=json.loads(metadata["config"]),
        state_dict=tensors,
        extra=json.loads(metadata.get("extra", "{}")),
        format=fmt,
    )


def stored_config(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The model config stored in one of our weights files, read from its header alone (no tensors);
    None for any other file (an official ``.pth``, a missing or damaged file)."""
    try:
        with open(path, "rb") as handle:
            size = int.from_bytes(handle.read(8), "little")
            if not 0 < size <= 100_000_000:
                return None
            metadata = _read_metadata(size.to_bytes(8, "little") + handle.read(size))
        return json.loads(metadata["config"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _read_metadata(data: bytes) -> dict[str, str]:
    header_len = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + header_len])
    return header.get("__metadata__", {}) or {}
