"""Loading transformers models from local folders only, with weights-only unpickling.

``from_pretrained`` is always called with ``local_files_only=True`` (no hub access, ever) and
``weights_only=True``: transformers >= 4.45 then reads ``pytorch_model.bin`` with
``torch.load(weights_only=True)``, so a malicious pickle cannot execute code. Older transformers
are refused.
"""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import torch

from gpt_sovits.errors import CheckpointError, ModelMissingError

DOWNLOAD_FIX = "python -m gpt_sovits download gsv-v2"
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def check_model_dir(path: Path, what: str) -> None:
    """Raise :class:`ModelMissingError` unless ``path`` holds config.json and a weights file."""
    if not (path / "config.json").is_file() or not any((path / w).is_file() for w in WEIGHT_FILES):
        raise ModelMissingError(
            f"{what} is not installed: {path} needs config.json and model.safetensors or "
            f"pytorch_model.bin. Fix: {DOWNLOAD_FIX}"
        )


def safe_from_pretrained(model_cls: type, path: Path, what: str, **kwargs: object) -> torch.nn.Module:
    """``model_cls.from_pretrained`` restricted to local files and weights-only unpickling."""
    check_model_dir(path, what)
    import transformers

    major, minor = (int(p) for p in transformers.__version__.split(".")[:2])
    if (major, minor) < (4, 45):
        raise ModelMissingError(
            f"transformers {transformers.__version__} cannot load {what} safely (needs >= 4.45 for "
            "weights_only loading). Fix: pip install -r requirements.txt"
        )
    quiet = logging.getLogger("transformers.modeling_utils")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # unused-weights notices (e.g. a masked-LM head) are expected
    try:
        model = model_cls.from_pretrained(str(path), local_files_only=True, weights_only=True, **kwargs)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"refused to load {what} from {path}: its pytorch_model.bin holds more than plain tensors "
            f"(possibly code). Delete the folder and get a clean copy: {DOWNLOAD_FIX}"
        ) from exc
    except OSError as exc:
        raise ModelMissingError(f"{what} in {path} cannot be read ({exc}). Fix: {DOWNLOAD_FIX}") from exc
    finally:
        quiet.setLevel(level)
    return model.float().eval()
