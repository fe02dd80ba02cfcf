"""Removing a raw recording from a project without destroying anything.

The raw file, its cleaned copy and its slices are moved to one folder per removal,
``trash/deleted-<stem>-<batch>/`` (``raw/``, ``clean/``, ``slices/``), so they can be found and
restored together; the labels of the slices are saved there as ``labels.list`` so edited
transcripts survive.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from gpt_sovits.data import labels as lab
from gpt_sovits.data.project import Project
from gpt_sovits.errors import ProjectError


def remove_raw(project: Project, name: str) -> list[Path]:
    """Move raw recording ``name`` to trash/ and forget its clean file, slices and labels.

    Args:
        project: the open project.
        name: stored file name in ``raw/`` (a key of ``project.meta.raw``).

    Returns:
        The paths of everything placed in trash/ (raw file, clean file, slices, saved labels),
        all inside one new ``trash/deleted-<stem>-<batch>/`` folder.

    Raises:
        ProjectError: ``name`` is not a recording of this project, or the project is busy.
    """
    with project.lock("deleting a recording"):
        meta = project.meta
        if not name or name not in meta.raw:
            raise ProjectError(f"recording {name!r} is not in this project; refresh the list and pick one")
        stem = Path(name).stem
        bin_dir = project.trash_dir / f"deleted-{stem}-{uuid.uuid4().hex[:8]}"
        trashed = [_to_trash(project.raw_dir / name, bin_dir / "raw"),
                   _to_trash(project.clean_dir / f"{stem}.wav", bin_dir / "clean")]
        slices = _slices_of(project, stem)
        trashed += [_to_trash(path, bin_dir / "slices") for path in slices]
        trashed.append(_drop_labels(project, stem, {p.name for p in slices}, bin_dir))
        del meta.raw[name]
        meta.pipeline.get("clean", {}).pop(name, None)
        meta.pipeline.get("slice", {}).pop(stem, None)
        label_state = meta.pipeline.get("label", {})
        for key in [k for k in label_state if _source_of(k) == stem]:
            del label_state[key]
        project.save_meta(meta)
    return [path for path in trashed if path is not None]


def _source_of(slice_name: str) -> str | None:
    parsed = lab.parse_slice_name(slice_name)
    return parsed[0] if parsed else None


def _slices_of(project: Project, stem: str) -> list[Path]:
    return sorted(p for p in project.slices_dir.glob("*.wav") if _source_of(p.name) == stem)


def _to_trash(path: Path, folder: Path) -> Path | None:
    if not path.is_file():
        return None
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    os.replace(path, target)
    return target


def _drop_labels(project: Project, stem: str, slice_names: set[str], bin_dir: Path) -> Path | None:
    """Remove the labels of one source's slices; keep them in trash as a .list file."""
    entries = lab.load_labels(project.root)
    dropped = [e for e in entries if e.name in slice_names or _source_of(e.name) == stem]
    if not dropped:
        return None
    bin_dir.mkdir(parents=True, exist_ok=True)
    saved = bin_dir / "labels.list"
    lab.write_list(saved, dropped)
    lab.save_labels(project.root, [e for e in entries if e not in dropped])
    lab.clear_history(project)  # undo snapshots may name the removed slices
    return saved
