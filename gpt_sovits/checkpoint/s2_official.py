"""Import/export of official GPT-SoVITS S2 files (generator ``s2G*.pth``, discriminator ``s2D*.pth``)
and our own S2 weights files.

Official generator files are ``torch.save`` dicts with ``weight`` (state dict, often float16,
``enc_q`` present in pretrained/training files and absent in exports), optionally ``config`` (the
original's ``utils.HParams``) and ``info``. We load them with ``weights_only=True``, infer every
shape-bearing hyper-parameter from the tensors, and check keys and shapes strictly against our
model. Newer versions (v2Pro, v2ProPlus, v3, v4) are recognised and refused.
"""

from __future__ import annotations

import os
import pickle
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpt_sovits.checkpoint.safe_load import (
    config_to_dict,
    official_version_marker,
    read_header,
    safe_torch_load,
)
from gpt_sovits.errors import CheckpointError
from gpt_sovits.models.s2.config import N_SYMBOLS_V1, S2Config

SUPPORTED = "only GPT-SoVITS v2 (and v1) S2 weights are supported; use a v2 model (e.g. s2G2333k.pth)"
_NEWER_KEYS = {
    "sv_emb.": "v2Pro/v2ProPlus", "ge_to512.": "v2Pro/v2ProPlus", "prelu.": "v2Pro/v2ProPlus",
    "bridge.": "v3/v4", "cfm.": "v3/v4", "wns1.": "v3/v4",
}
_NEWER_VERSIONS = ("v2Pro", "v2ProPlus", "v3", "v4")


@dataclass
class S2Weights:
    """A loaded S2 weights file, whatever its format."""

    kind: str  # "s2g" (generator) or "s2d" (discriminator)
    state_dict: dict[str, Any]  # float32 tensors
    config: S2Config | None  # generator config (None for discriminators)
    has_enc_q: bool = False
    periods: tuple[int, ...] | None = None  # discriminator periods
    source: str = "official"  # "official" or "ours"


# ------------------------------------------------------------------------------------ loading
def _read_official(path: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: file not found")
    marker = official_version_marker(path)
    if marker is not None:
        raise CheckpointError(f"{path.name} is a GPT-SoVITS {marker} file; {SUPPORTED}")
    ckpt = safe_torch_load(path)
    if not isinstance(ckpt, dict):
        raise CheckpointError(f"{path.name}: expected a dict checkpoint, got {type(ckpt).__name__}")
    if "lora_rank" in ckpt:
        raise CheckpointError(f"{path.name} is a GPT-SoVITS v3/v4 LoRA file; {SUPPORTED}")
    return ckpt


def _weights_of(ckpt: dict[str, Any], name: str) -> dict[str, Any]:
    for key in ("weight", "model"):
        if isinstance(ckpt.get(key), dict):
            weights = ckpt[key]
            break
    else:
        if ckpt and all(hasattr(v, "shape") for v in ckpt.values()):
            weights = ckpt
        else:
            raise CheckpointError(f"{name}: no 'weight' state dict inside; not an S2 weights file")
    for prefix, version in _NEWER_KEYS.items():
        if any(k.startswith(prefix) for k in weights):
            raise CheckpointError(f"{name} is a GPT-SoVITS {version} model; {SUPPORTED}")
    return {k: v.float() if v.is_floating_point() else v for k, v in weights.items()}


def load_official_s2(path: str | os.PathLike[str]) -> tuple[S2Config, dict[str, Any], bool]:
    """Load an official generator file → ``(config, float32 state dict, has_enc_q)``.

    Accepts exported files (no ``enc_q``, HParams config), pretrained/training files (with
    ``enc_q``) and files holding only ``weight``. Raises :class:`CheckpointError` for other
    versions, discriminator files, or any key/shape mismatch (naming the keys).
    """
    name = Path(path).name
    ckpt = _read_official(path)
    return _generator_from(ckpt, _weights_of(ckpt, name), name)


def _generator_from(
    ckpt: dict[str, Any], weights: dict[str, Any], name: str
) -> tuple[S2Config, dict[str, Any], bool]:
    if any(k.startswith("discriminators.") for k in weights):
        raise CheckpointError(f"{name} is a discriminator (s2D) file; load it with load_official_s2d")
    if "enc_p.text_embedding.weight" not in weights:
        raise CheckpointError(f"{name}: no 'enc_p.text_embedding.weight'; not a v1/v2 S2 generator")
    base = S2Config()
    if ckpt.get("config") is not None:
        hparams = config_to_dict(ckpt["config"])
        version = str(hparams.get("model", {}).get("version", hparams.get("version", "v2")))
        if version in _NEWER_VERSIONS:
            raise CheckpointError(f"{name} is a GPT-SoVITS {version} model; {SUPPORTED}")
        hparams.setdefault("model", {})["version"] = "v2"  # symbols decided from shapes below
        base = S2Config.from_official(hparams)
    cfg = infer_s2_config(weights, base)
    has_enc_q = any(k.startswith("enc_q.") for k in weights)
    check_state_dict(expected_s2_shapes(cfg, has_enc_q), weights, name)
    return cfg, weights, has_enc_q


def infer_s2_config(weights: dict[str, Any], base: S2Config | None = None) -> S2Config:
    """Every shape-bearing hyper-parameter read from the tensors; the rest from ``base``."""
    base = base or S2Config()
    w = {k: tuple(v.shape) for k, v in weights.items()}
    try:
        n_symbols = w["enc_p.text_embedding.weight"][0]
        hidden = w["enc_p.proj.weight"][1]
        ffn = w["enc_p.encoder_text.ffn_layers.0.conv_1.weight"]
        rel = w["enc_p.encoder_text.attn_layers.0.emb_rel_k"]
        n_up = _count(w, "dec.ups.", ".weight_v")
        n_res = _count(w, "dec.resblocks.", ".convs1.0.weight_v") // n_up
        changes: dict[str, Any] = dict(
            version="v1" if n_symbols == N_SYMBOLS_V1 else "v2",
            n_symbols=n_symbols,
            inter_channels=w["enc_p.proj.weight"][0] // 2,
            hidden_channels=hidden,
            filter_channels=ffn[0],
            kernel_size=ffn[2],
            n_layers=_count(w, "enc_p.encoder_text.attn_layers.", ".conv_q.weight"),
            n_heads=hidden // rel[2],
            window_size=(rel[1] - 1) // 2,
            mrte_channels=w["enc_p.mrte.c_pre.weight"][0],
            gin_channels=w["dec.cond.weight"][1],
            ref_bins=w["ref_enc.spectral.0.fc.weight"][1],
            ref_hidden=w["ref_enc.spectral.0.fc.weight"][0],
            upsample_initial_channel=w["dec.conv_pre.weight"][0],
            upsample_kernel_sizes=tuple(w[f"dec.ups.{i}.weight_v"][2] for i in range(n_up)),
            resblock_kernel_sizes=tuple(
                w[f"dec.resblocks.{j}.convs1.0.weight_v"][2] for j in range(n_res)
            ),
            n_flows=sum(k.startswith("flow.flows.") and k.endswith(".pre.weight") for k in w),
            flow_layers=_count(w, "flow.flows.0.enc.in_layers.", ".weight_v"),
            flow_kernel_size=w["flow.flows.0.enc.in_layers.0.weight_v"][2],
            ssl_dim=w["ssl_proj.weight"][0],
            semantic_frame_rate="25hz" if w["ssl_proj.weight"][2] == 2 else "50hz",
            codebook_size=w["quantizer.vq.layers.0._codebook.embed"][0],
            n_codebooks=_count(w, "quantizer.vq.layers.", "._codebook.embed"),
        )
    except (KeyError, IndexError, ZeroDivisionError) as exc:
        raise CheckpointError(f"S2 weights lack an expected tensor ({exc}); not a v1/v2 generator") from exc
    if "enc_q.pre.weight" in w:
        changes["filter_length"] = 2 * (w["enc_q.pre.weight"][1] - 1)
        changes["posterior_layers"] = _count(w, "enc_q.enc.in_layers.", ".weight_v")
        changes["posterior_kernel_size"] = w["enc_q.enc.in_layers.0.weight_v"][2]
    if len(base.upsample_rates) != n_up:
        raise CheckpointError(f"decoder has {n_up} upsampling stages; the config expects "
                              f"{len(base.upsample_rates)} (upsample rates cannot be read from shapes)")
    if len(base.resblock_dilation_sizes) != n_res:
        changes["resblock_dilation_sizes"] = (base.resblock_dilation_sizes[0],) * n_res
    try:
        return base.replace(**changes)
    except ValueError as exc:
        raise CheckpointError(f"S2 weights imply an invalid config: {exc}") from exc


def _count(shapes: dict[str, tuple[int, ...]], prefix: str, suffix: str) -> int:
    n = 0
    while f"{prefix}{n}{suffix}" in shapes:
        n += 1
    return n


def expected_s2_shapes(cfg: S2Config, with_posterior: bool) -> dict[str, tuple[int, ...]]:
    """Keys → shapes of our generator for ``cfg`` (built on the meta device, no memory)."""
    import torch

    from gpt_sovits.models.s2.model import SynthesizerTrn

    with torch.device("meta"):
        model = SynthesizerTrn(cfg, with_posterior=with_posterior)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def expected_s2d_shapes(periods: tuple[int, ...], width_divisor: int = 1) -> dict[str, tuple[int, ...]]:
    import torch

    from gpt_sovits.models.s2.discriminators import MultiPeriodDiscriminator

    with torch.device("meta"):
        model = MultiPeriodDiscriminator(periods, width_divisor)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def check_state_dict(expected: dict[str, tuple[int, ...]], weights: dict[str, Any], name: str) -> None:
    """Raise :class:`CheckpointError` naming missing, unexpected and mis-shaped keys."""
    missing = [k for k in expected if k not in weights]
    unexpected = [k for k in weights if k not in expected]
    shapes = [f"{k} {tuple(weights[k].shape)} != {expected[k]}" for k in expected
              if k in weights and tuple(weights[k].shape) != expected[k]]
    if missing or unexpected or shapes:
        parts = []
        for label, items in (("missing", missing), ("unexpected", unexpected), ("shape", shapes)):
            if items:
                more = f" (+{len(items) - 8} more)" if len(items) > 8 else ""
                parts.append(f"{label}: {', '.join(items[:8])}{more}")
        raise CheckpointError(f"{name}: weights do not match the S2 model; " + "; ".join(parts))


def load_official_s2d(path: str | os.PathLike[str]) -> tuple[tuple[int, ...], dict[str, Any]]:
    """Load an official discriminator file → ``(periods, float32 state dict)`` (strict check)."""
    name = Path(path).name
    return _discriminator_from(_weights_of(_read_official(path), name), name)


def _discriminator_from(
    weights: dict[str, Any], name: str
) -> tuple[tuple[int, ...], dict[str, Any]]:
    n_disc = _count({k: () for k in weights}, "discriminators.", ".conv_post.weight_v")
    if n_disc == 0:
        raise CheckpointError(f"{name}: not a discriminator (s2D) file")
    if n_disc != 6:
        raise CheckpointError(f"{name} has {n_disc - 1} period discriminators (v2 has 5, v2Pro 7); "
                              f"{SUPPORTED}")
    periods = S2Config().discriminator_periods
    check_state_dict(expected_s2d_shapes(periods), weights, name)
    return periods, weights


# ------------------------------------------------------------------------------------ export
_HPARAMS_EXPORT = type("HParams", (), {"__module__": "utils", "__qualname__": "HParams"})


def _hparams(value: Any) -> Any:
    if isinstance(value, dict):
        obj = _HPARAMS_EXPORT()
        obj.__dict__.update({k: _hparams(v) for k, v in value.items()})
        return obj
    return value


class _ExportPickler(pickle._Pickler):  # type: ignore[name-defined,misc]
    """Pickles our export stand-in as the global ``utils.HParams`` (by reference, like the original)."""

    def save_global(self, obj: Any, name: str | None = None) -> None:
        if obj is _HPARAMS_EXPORT:
            self.write(pickle.GLOBAL + b"utils\nHParams\n")
            self.memoize(obj)
            return
        super().save_global(obj, name)


_EXPORT_PICKLE = types.SimpleNamespace(__name__="gpt_sovits_export_pickle", Pickler=_ExportPickler,
                                       dump=pickle.dump)


def export_official_s2(
    path: str | os.PathLike[str],
    config: S2Config,
    state_dict: dict[str, Any],
    epoch: int,
    step: int,
) -> None:
    """Write the original's exported format atomically: ``{"weight": fp16 state dict without
    enc_q, "config": utils.HParams, "info": "<E>epoch_<S>iteration"}``."""
    import torch

    from gpt_sovits.fileio import atomic_open

    if not config.has_official_form:
        what = "an envelope decoder" if config.decoder == "envelope" else "a decoder with a harmonic source"
        raise CheckpointError(f"{Path(path).name}: {what} has no equivalent in the original GPT-SoVITS; "
                              "share the voice as a studio voice instead")
    weights = {k: v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu()
               for k, v in state_dict.items() if "enc_q" not in k}
    check_state_dict(expected_s2_shapes(config, False), weights, Path(path).name)
    hps = config.to_official()
    hps.update(content_module="cnhubert", save_weight_dir=f"SoVITS_weights_{config.version}",
               name=Path(path).stem, pretrain=None, resume_step=None)
    ckpt = {"weight": weights, "config": _hparams(hps), "info": f"{epoch}epoch_{step}iteration"}
    with atomic_open(path, "wb") as handle:
        torch.save(ckpt, handle, pickle_module=_EXPORT_PICKLE)


# ------------------------------------------------------------------------------------ our format
def save_s2(path: str | os.PathLike[str], kind: str, config: S2Config,
            state_dict: dict[str, Any], extra: dict[str, Any] | None = None) -> None:
    """Save generator (``kind="s2g"``) or discriminator (``"s2d"``) weights in our format."""
    from gpt_sovits.checkpoint.ours import save_weights

    if kind not in ("s2g", "s2d"):
        raise ValueError(f"kind must be 's2g' or 's2d', got {kind!r}")
    save_weights(path, kind, config.to_dict(), state_dict, extra)


def load_any_s2(path: str | os.PathLike[str]) -> S2Weights:
    """Load any S2 weights file, choosing the reader by content (zip pickle vs safetensors)."""
    from gpt_sovits.checkpoint.ours import load_weights

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: file not found")
    if read_header(path) == b"PK" or official_version_marker(path) is not None:
        ckpt = _read_official(path)
        weights = _weights_of(ckpt, path.name)
        if any(k.startswith("discriminators.") for k in weights):
            periods, sd = _discriminator_from(weights, path.name)
            return S2Weights("s2d", sd, None, periods=periods)
        cfg, sd, has_enc_q = _generator_from(ckpt, weights, path.name)
        return S2Weights("s2g", sd, cfg, has_enc_q=has_enc_q)
    wf = load_weights(path)
    if wf.kind not in ("s2g", "s2d"):
        raise CheckpointError(f"{path.name}: holds {wf.kind!r} weights, expected S2 weights")
    cfg = S2Config.from_dict(wf.config)
    sd = {k: v.float() if v.is_floating_point() else v for k, v in wf.state_dict.items()}
    if wf.kind == "s2d":
        check_state_dict(expected_s2d_shapes(cfg.discriminator_periods, cfg.discriminator_width_divisor), sd,
                         path.name)
        return S2Weights("s2d", sd, cfg, periods=cfg.discriminator_periods, source="ours")
    has_enc_q = any(k.startswith("enc_q.") for k in sd)
    check_state_dict(expected_s2_shapes(cfg, has_enc_q), sd, path.name)
    return S2Weights("s2g", sd, cfg, has_enc_q=has_enc_q, source="ours")
