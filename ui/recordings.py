"""Listing a project's raw recordings for the Voice data and Clean tabs.

Removing one is :func:`gpt_sovits.data.recordings.remove_raw` (it moves files to ``trash/``).
"""

from __future__ import annotations

from dataclasses import dataclass

from gpt_sovits.audio.io import probe_audio
from gpt_sovits.data.project import Project
from gpt_sovits.data.stages import speech_seconds
from gpt_sovits.errors import AudioFormatError


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
