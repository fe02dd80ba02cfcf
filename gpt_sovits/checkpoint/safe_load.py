"""Load torch pickles without executing arbitrary code.

Official GPT-SoVITS files are ``torch.save`` zips. S2 exports carry their config as an instance of
the original's ``utils.HParams`` class, pickled by reference. We load every file with
``weights_only=True`` and allow exactly one extra global: a stand-in ``HParams`` class that can only
hold attributes. Any other global in the pickle makes loading fail with :class:`CheckpointError`.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from gpt_sovits.errors import CheckpointError

# First two bytes of official files that overwrite the zip magic "PK" to mark newer versions.
_VERSION_MAGIC = {b"03": "v3 LoRA", b"04": "v4 LoRA", b"05": "v2Pro", b"06": "v2ProPlus"}


class HParams:
    """Attribute bag standing in for the original ``utils.HParams`` (nested configs)."""

    def __init__(self, **kwargs: Any) -> None:
        for key, value in kwargs.items():
            setattr(self, key, HParams(**value) if isinstance(value, dict) else value)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in vars(self).items():
            out[key] = value.to_dict() if isinstance(value, HParams) else value
        return out

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def __contains__(self, key: str) -> bool:
        return key in vars(self)

    def __repr__(self) -> str:
        return f"HParams({self.to_dict()!r})"


def _stand_in_classes() -> list[tuple[type, str]]:
    # The original pickles the class as "utils.HParams"; some forks use other module paths.
    names = ["utils.HParams", "GPT_SoVITS.utils.HParams", "__main__.HParams"]
    return [(HParams, name) for name in names]


def read_header(path: str | os.PathLike[str]) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(2)


def official_version_marker(path: str | os.PathLike[str]) -> str | None:
    """Name of the newer official version marked in the file header, or None for a plain zip."""
    return _VERSION_MAGIC.get(read_header(path))


def safe_torch_load(path: str | os.PathLike[str]) -> Any:
    """``torch.load`` with ``weights_only=True`` and the HParams stand-in allow-listed.

    Files whose first two bytes were overwritten with a version marker (v2Pro and later) are read
    with the zip magic restored, so they can be recognised and reported instead of crashing.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: file not found")
    data = path.read_bytes()
    if data[:2] in _VERSION_MAGIC:
        data = b"PK" + data[2:]
    if data[:2] != b"PK":
        raise CheckpointError(
            f"{path.name}: not a PyTorch checkpoint (expected a .ckpt/.pth zip file saved by torch)"
        )
    try:
        with torch.serialization.safe_globals(_stand_in_classes()):
            return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError / RuntimeError / KeyError variants
        raise CheckpointError(
            f"{path.name}: refused to load ({type(exc).__name__}: {str(exc).splitlines()[0]}). "
            "The file is damaged or contains code or objects that a weights file must not carry."
        ) from exc


def config_to_dict(config: Any) -> dict[str, Any]:
    """Plain dict view of an official config (a dict or an HParams stand-in)."""
    if isinstance(config, HParams):
        return config.to_dict()
    if isinstance(config, dict):
        return {k: config_to_dict(v) if isinstance(v, (dict, HParams)) else v for k, v in config.items()}
    raise CheckpointError(f"unexpected config object of type {type(config).__name__}")
