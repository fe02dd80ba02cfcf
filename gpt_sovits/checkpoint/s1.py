"""S1 weights in our own format (safetensors, kind "s1") and a loader for either format."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from gpt_sovits.config import ConfigError
from gpt_sovits.errors import CheckpointError
from gpt_sovits.models.s1.config import S1Config

KIND = "s1"


def save_s1(
    path: str | os.PathLike[str],
    model_or_cfg_and_sd: torch.nn.Module | tuple[S1Config, dict[str, torch.Tensor]],
    extra: dict | None = None,
    half: bool = False,
) -> None:
    """Save a ``Text2Semantic`` (or a ``(config, state_dict)`` pair) atomically in our format."""
    from gpt_sovits.checkpoint.ours import save_weights
    from gpt_sovits.checkpoint.s1_official import check_state_dict

    if isinstance(model_or_cfg_and_sd, tuple):
        config, state_dict = model_or_cfg_and_sd
    else:
        config, state_dict = model_or_cfg_and_sd.config, model_or_cfg_and_sd.state_dict()
    check_state_dict(config, state_dict, Path(path).name)
    save_weights(path, KIND, config.to_dict(), state_dict, extra=extra, half=half)


def load_s1(path: str | os.PathLike[str]) -> tuple[S1Config, dict[str, torch.Tensor]]:
    """Read one of our S1 weight files -> (config, float32 state_dict)."""
    from gpt_sovits.checkpoint.ours import load_weights
    from gpt_sovits.checkpoint.s1_official import check_state_dict

    file = load_weights(path, expect_kind=KIND)
    try:
        config = S1Config.from_dict(file.config)
    except (ConfigError, TypeError) as exc:
        raise CheckpointError(f"{Path(path).name}: bad S1 config ({exc})") from exc
    state_dict = {k: v.float() if v.is_floating_point() else v for k, v in file.state_dict.items()}
    check_state_dict(config, state_dict, Path(path).name)
    return config, state_dict


def is_torch_zip(path: str | os.PathLike[str]) -> bool:
    """True for ``torch.save`` zip files (official formats), judged by content, not by name."""
    from gpt_sovits.checkpoint.safe_load import official_version_marker, read_header

    return read_header(path) == b"PK" or official_version_marker(path) is not None


def load_any_s1(path: str | os.PathLike[str]) -> tuple[S1Config, dict[str, torch.Tensor]]:
    """Load official ``.ckpt`` or our safetensors S1 weights, chosen by the file's content."""
    from gpt_sovits.checkpoint.s1_official import load_official_s1

    if not Path(path).is_file():
        raise CheckpointError(f"{path}: file not found")
    return load_official_s1(path) if is_torch_zip(path) else load_s1(path)


def load_s1_model(path: str | os.PathLike[str], device: str | torch.device = "cpu"):
    """Build an eval-mode float32 ``Text2Semantic`` from any supported S1 file."""
    from gpt_sovits.models.s1.model import Text2Semantic

    config, state_dict = load_any_s1(path)
    model = Text2Semantic(config)
    model.load_state_dict(state_dict, strict=True)
    return model.to(device).eval()
