"""Listing and removing a project's raw recordings for the Voice data tab.

``remove_recording`` belongs in :class:`gpt_sovits.data.project.Project` (the data package has no
removal API yet); it only uses the project's public methods and moves files to ``trash/``
instead of deleting them, so nothing the user recorded is ever destroyed by one click.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from gpt_sovits.audio.io import probe_audio
from gpt_sovits.data import labels as lab
from gpt_sovits.data.project import Project
from gpt_sovits.data.stages import speech_seconds
from gpt_sovits.errors import AudioFormatError, ProjectError


@dataclass
class Recording:
    """One raw recording: stored name, the name the user knows it by, its path and length (s)."""

    name: str
    label: str
    path: str
    seconds: float


def list_recordings(project: Project) -> list[Recording]:
    """Raw recordings in import order with their durations (0 when the header has none)."""
    raw = project.meta.raw
    found = []
    for path in project.raw_files():
        try:
            seconds = probe_audio(path).duration or 0.0
        except AudioFormatError:
            seconds = 0.0
        found.append(Recording(path.name, raw[path.name].get("original_name", path.name), str(path), seconds))
    return found


def sliced_seconds(project: Project) -> float:
    """Seconds of speech currently in slices/ (0 before slicing)."""
    return speech_seconds(project)[1]


def remove_recording(project: Project, name: str) -> None:
    """Move raw file ``name`` to trash/ and forget its clean file, slices and labels."""
    with project.lock("deleting a recording"):
        meta = project.meta
        if name not in meta.raw:
            raise ProjectError(f"recording {name!r} is not in this project; refresh the list")
        stem = Path(name).stem
        batch = uuid.uuid4().hex[:8]
        if (project.raw_dir / name).is_file():
            os.replace(project.raw_dir / name, project.trash_dir / f"deleted-{batch}_{name}")
        del meta.raw[name]
        clean_state = meta.pipeline.get("clean", {})
        clean_state.pop(name, None)
        meta.pipeline.get("slice", {}).pop(stem, None)
        project.save_meta(meta)
        (project.clean_dir / f"{stem}.wav").unlink(missing_ok=True)
        entries = lab.load_labels(project.root)
        kept = [e for e in entries if (lab.parse_slice_name(e.name) or ("",))[0] != stem]
        for path in project.slices_dir.glob("*.wav"):
            parsed = lab.parse_slice_name(path.name)
            if parsed and parsed[0] == stem:
                os.replace(path, project.trash_dir / f"deleted-{batch}_{path.name}")
        if len(kept) != len(entries):
            lab.save_labels(project.root, kept)
            lab.clear_history(project)
