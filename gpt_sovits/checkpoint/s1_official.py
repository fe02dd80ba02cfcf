"""Import and export of official GPT-SoVITS S1 ("GPT") ``.ckpt`` files.

Official exported file (``GPT_weights_v2/<exp>-e<N>.ckpt``), a ``torch.save`` zip holding
``{"weight": OrderedDict("model.<key>" -> float16 tensor), "config": {...yaml dict...},
"info": "GPT-e<N>"}``. Lightning training checkpoints keep the weights under ``"state_dict"``
instead; both are read. Loading never runs pickled code (``weights_only=True``).
"""

from __future__ import annotations

import copy
import io
import os
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import torch

from gpt_sovits.config import ConfigError
from gpt_sovits.errors import CheckpointError
from gpt_sovits.models.s1.config import S1Config

PREFIX = "model."
FP16_MAX = 65504.0


def expected_shapes(config: S1Config) -> OrderedDict[str, tuple[int, ...]]:
    """Key -> shape of ``Text2Semantic(config).state_dict()`` (built on the meta device)."""
    from gpt_sovits.models.s1.model import Text2Semantic

    with torch.device("meta"):
        model = Text2Semantic(config)
    return OrderedDict((key, tuple(value.shape)) for key, value in model.state_dict().items())


def _names(keys: list[str], limit: int = 8) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f", ... ({len(keys)} in all)" if len(keys) > limit else "")


def check_state_dict(config: S1Config, state_dict: Mapping[str, torch.Tensor], source: str) -> None:
    """Raise :class:`CheckpointError` naming every missing, unexpected or mis-shaped key."""
    expected = expected_shapes(config)
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    wrong = [
        f"{k} {tuple(state_dict[k].shape)} (expected {expected[k]})"
        for k in expected
        if k in state_dict and tuple(state_dict[k].shape) != expected[k]
    ]
    problems = []
    if missing:
        problems.append(f"missing keys: {_names(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {_names(unexpected)}")
    if wrong:
        problems.append(f"wrong shapes: {_names(wrong)}")
    if problems:
        raise CheckpointError(
            f"{source}: S1 weights do not match the config "
            f"({config.n_layers} layers x {config.d_model}, {config.n_heads} heads): "
            + "; ".join(problems)
            + ". Is this an S1 (GPT) file of a supported version?"
        )


def load_official_s1(path: str | os.PathLike[str]) -> tuple[S1Config, dict[str, torch.Tensor]]:
    """Read an official S1 ``.ckpt`` -> (config, float32 state_dict without the ``model.`` prefix).

    v1 files (512-row phone table, 322 symbols used) load too; ``config.symbols_version``
    tells which phone table the model expects.
    """
    from gpt_sovits.checkpoint.safe_load import config_to_dict, safe_torch_load

    name = os.path.basename(os.fspath(path))
    ckpt = safe_torch_load(path)
    if not isinstance(ckpt, Mapping):
        raise CheckpointError(f"{name}: expected a dict with 'weight' and 'config', got {type(ckpt).__name__}")
    weights = ckpt.get("weight", ckpt.get("state_dict"))
    if not isinstance(weights, Mapping):
        raise CheckpointError(f"{name}: no 'weight' entry; this is not a GPT-SoVITS S1 (GPT) checkpoint")
    if "config" not in ckpt:
        raise CheckpointError(f"{name}: no 'config' entry, so the number of attention heads is unknown")
    try:
        config = S1Config.from_official(config_to_dict(ckpt["config"]))
    except ConfigError as exc:
        raise CheckpointError(f"{name}: {exc}") from exc
    state_dict: dict[str, torch.Tensor] = {}
    for key, value in weights.items():
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"{name}: entry {key!r} is not a tensor")
        short = key[len(PREFIX) :] if key.startswith(PREFIX) else key
        state_dict[short] = value.float() if value.is_floating_point() else value
    check_state_dict(config, state_dict, name)
    return config, state_dict


def official_config_dict(config: S1Config, extra_config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``config`` entry of an exported file: ``s1longer-v2.yaml`` values plus ``extra_config``
    merged in (nested dicts are merged key by key)."""
    result: dict[str, Any] = {
        "train": {
            "seed": 1234,
            "epochs": 20,
            "batch_size": 8,
            "save_every_n_epoch": 1,
            "precision": "16-mixed",
            "gradient_clip": 1.0,
        },
        "optimizer": {"lr": 0.01, "lr_init": 1e-5, "lr_end": 1e-4, "warmup_steps": 2000, "decay_steps": 40000},
        "data": {"max_eval_sample": 8, "max_sec": 54, "num_workers": 4, "pad_val": config.eos},
        "model": config.to_official(),
        "inference": {"top_k": 15},
    }
    _merge(result, copy.deepcopy(dict(extra_config or {})))
    return result


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


def export_official_s1(
    path: str | os.PathLike[str],
    config: S1Config,
    state_dict: Mapping[str, torch.Tensor],
    extra_config: Mapping[str, Any] | None = None,
    epoch: int = 0,
) -> None:
    """Write ``state_dict`` as an official S1 ``.ckpt`` (float16, ``model.`` prefix), atomically.

    Raises :class:`CheckpointError` if keys/shapes do not match ``config`` or a weight does not
    fit in float16.
    """
    from gpt_sovits.fileio import atomic_write_bytes

    name = os.path.basename(os.fspath(path))
    check_state_dict(config, state_dict, name)
    weight: OrderedDict[str, torch.Tensor] = OrderedDict()
    for key in expected_shapes(config):
        tensor = state_dict[key].detach().cpu()
        if tensor.is_floating_point():
            if not bool(torch.isfinite(tensor).all()) or float(tensor.abs().max()) > FP16_MAX:
                raise CheckpointError(f"{name}: weight {key} is not finite or exceeds the float16 range")
            tensor = tensor.half()
        weight[PREFIX + key] = tensor.contiguous()
    ckpt = OrderedDict(
        weight=weight, config=official_config_dict(config, extra_config), info=f"GPT-e{epoch}"
    )
    buffer = io.BytesIO()
    torch.save(ckpt, buffer)
    atomic_write_bytes(path, buffer.getvalue())
