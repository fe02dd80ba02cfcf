"""Synthesized takes of a project: ``takes/<stamp>.wav`` with a ``.json`` sidecar (text, voice,
settings), listed newest first so the user can compare them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np

from gpt_sovits.audio.io import write_wav
from gpt_sovits.fileio import atomic_write_json
from ui.players import Clip

MAX_LISTED = 30


def takes_dir(root: Path) -> Path:
    folder = root / "takes"
    folder.mkdir(exist_ok=True)
    return folder


def save_take(root: Path, audio: np.ndarray, sr: int, info: dict[str, Any]) -> Path:
    """Write one take and its sidecar; returns the wav path."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    path = takes_dir(root) / f"take-{stamp}.wav"
    write_wav(path, audio, sr)
    atomic_write_json(path.with_suffix(".json"), info)
    return path


def take_clips(root: Path) -> list[Clip]:
    """The newest takes as player rows: the text as title, voice and seed as detail."""
    clips = []
    for path in sorted(takes_dir(root).glob("take-*.wav"), reverse=True)[:MAX_LISTED]:
        sidecar = path.with_suffix(".json")
        info = json.loads(sidecar.read_text("utf-8")) if sidecar.is_file() else {}
        text = str(info.get("text", ""))
        title = text if len(text) <= 60 else text[:57] + "…"
        clips.append(Clip(title or path.name, f"{info.get('voice', '')} · seed {info.get('seed', '?')}", str(path)))
    return clips
