"""The label table of the Labels tab: project labels <-> a pandas DataFrame the user edits.

Columns: slice (file name), seconds, language, text (editable), check (why a label needs a look).
Only the text column is editable; :func:`apply_edits` saves the texts that changed.
"""

from __future__ import annotations

import pandas as pd
import soundfile as sf

from gpt_sovits.data import labels as lab
from gpt_sovits.data.project import Project
from ui.i18n import coded_message, message

COLUMNS = ("slice", "seconds", "language", "text", "check")
TEXT_COLUMN = COLUMNS.index("text")


def headers(lang: str) -> list[str]:
    return [message(f"labels.col.{key}", lang) for key in COLUMNS]


def flag_of(entry: lab.LabelEntry, info: dict, lang: str = "en") -> str:
    """Why a label needs checking (:func:`gpt_sovits.data.labels.label_check`) in the UI language, else ""."""
    check = lab.label_check(entry, info)
    return "" if check is None else coded_message("labels.flag", check.code, check.values, lang, check.text)


def label_frame(project: Project, lang: str) -> pd.DataFrame:
    """The project's labels as a table, in label order."""
    state = project.state("label")
    rows = []
    for entry in lab.load_labels(project.root):
        path = project.slices_dir / entry.name
        seconds = round(sf.info(str(path)).duration, 2) if path.is_file() else 0.0
        flag = flag_of(entry, state.get(entry.name, {}), lang)
        rows.append([entry.name, seconds, entry.lang, entry.text, f"⚠ {flag}" if flag else "✓"])
    return pd.DataFrame(rows, columns=headers(lang))


def edited_texts(frame: pd.DataFrame | None) -> dict[str, str]:
    """slice name -> text as shown in the (possibly edited) table."""
    if frame is None or len(frame) == 0 or frame.shape[1] <= TEXT_COLUMN:
        return {}
    names = frame.iloc[:, 0].astype(str)
    texts = frame.iloc[:, TEXT_COLUMN].fillna("").astype(str)
    return {name: text for name, text in zip(names, texts, strict=True) if name}


def apply_edits(project: Project, frame: pd.DataFrame | None) -> int:
    """Save every text the user changed in the table; returns how many labels changed."""
    current = {e.name: e.text for e in lab.load_labels(project.root)}
    changed = 0
    for name, text in edited_texts(frame).items():
        if name in current and " ".join(text.split()) != current[name]:
            lab.edit_text(project, name, text)
            changed += 1
    return changed


def slice_seconds(project: Project, name: str) -> float:
    path = project.slices_dir / name
    return float(sf.info(str(path)).duration) if path.is_file() else 0.0


def next_slice(project: Project, name: str) -> str | None:
    """The slice after ``name`` in label order (None for the last one)."""
    names = [e.name for e in lab.load_labels(project.root)]
    if name not in names:
        return None
    index = names.index(name)
    return names[index + 1] if index + 1 < len(names) else None
