"""Label lists in the original tool's ``.list`` format: ``path|speaker|LANG|text`` (UTF-8).

Reading accepts the language spellings the original accepts (ZH/zh, JP/jp/JA/ja, EN/en/En,
KO/Ko/ko, yue/YUE/Yue); writing uses upper-case codes. Inside a project, paths are stored
relative to the project folder (``slices/<name>.wav``) so a renamed project stays valid; entries
are matched to slices by file basename.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gpt_sovits.errors import AudioFormatError, ProjectError
from gpt_sovits.fileio import atomic_write_json, atomic_write_text

if TYPE_CHECKING:
    from gpt_sovits.asr import LabelCheck
    from gpt_sovits.data.project import Project

LANG_ALIASES = {"zh": "zh", "ja": "ja", "jp": "ja", "en": "en", "ko": "ko", "yue": "yue"}
_SLICE_RE = re.compile(r"^(?P<source>.+)_(?P<start>\d{10})_(?P<end>\d{10})(?:_\d+)?\.wav$")


def normalize_lang(code: str) -> str | None:
    """Canonical lower-case language code for a .list LANG field, or None if unsupported."""
    return LANG_ALIASES.get(code.strip().lower())


@dataclass(frozen=True)
class LabelEntry:
    """One line of a label list. ``lang`` is the canonical lower-case code ("zh", "en", ...)."""

    path: str
    speaker: str
    lang: str
    text: str

    @property
    def name(self) -> str:
        """File basename (the key that ties a label to a slice)."""
        return re.split(r"[\\/]", self.path)[-1]


def parse_slice_name(name: str) -> tuple[str, int, int] | None:
    """``<source>_<start>_<end>.wav`` -> (source, start, end); None for other names."""
    match = _SLICE_RE.match(name)
    if not match:
        return None
    return match["source"], int(match["start"]), int(match["end"])


def _clean_field(text: str) -> str:
    return " ".join(text.replace("|", " ").split())


def format_line(entry: LabelEntry, path: str | None = None) -> str:
    """Render one entry as a .list line (no newline)."""
    return "|".join([path if path is not None else entry.path, _clean_field(entry.speaker),
                     entry.lang.upper(), _clean_field(entry.text)])


def parse_list(text: str) -> tuple[list[LabelEntry], list[str]]:
    """Parse .list text; returns (entries, warnings about skipped lines)."""
    entries: list[LabelEntry] = []
    warnings: list[str] = []
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("|", 3)
        if len(parts) < 4:
            warnings.append(f"line {number}: expected 'path|speaker|LANG|text', skipped")
            continue
        lang = normalize_lang(parts[2])
        if lang is None:
            warnings.append(f"line {number}: unsupported language {parts[2]!r}, skipped")
            continue
        entries.append(LabelEntry(parts[0].strip(), parts[1].strip(), lang, parts[3].strip()))
    return entries, warnings


def read_list(path: str | os.PathLike[str]) -> tuple[list[LabelEntry], list[str]]:
    """Read a .list file (UTF-8, optional BOM)."""
    return parse_list(Path(path).read_text(encoding="utf-8"))


def write_list(path: str | os.PathLike[str], entries: list[LabelEntry], paths: list[str] | None = None) -> None:
    """Atomically write entries (optionally with replacement path strings)."""
    lines = [format_line(e, paths[i] if paths else None) for i, e in enumerate(entries)]
    atomic_write_text(path, "".join(line + "\n" for line in lines))


def load_labels(project_root: Path) -> list[LabelEntry]:
    """The project's labels, each path re-pointed at ``slices/<basename>``."""
    path = project_root / "labels.list"
    if not path.is_file():
        return []
    entries, _ = read_list(path)
    return [replace(e, path=f"slices/{e.name}") for e in entries]


def save_labels(project_root: Path, entries: list[LabelEntry]) -> None:
    write_list(project_root / "labels.list", [replace(e, path=f"slices/{e.name}") for e in entries])


def export_list(project_root: Path, dest: str | os.PathLike[str], absolute: bool = True) -> Path:
    """Write the project's labels for the original tool: absolute slice paths, or paths
    relative to the folder of ``dest``."""
    dest = Path(dest)
    entries = load_labels(project_root)
    slices = (project_root / "slices").resolve()
    if absolute:
        paths = [str(slices / e.name) for e in entries]
    else:
        paths = [os.path.relpath(slices / e.name, dest.resolve().parent) for e in entries]
    write_list(dest, entries, paths)
    return dest


def import_list(project_root: Path, list_path: str | os.PathLike[str],
                audio_dir: str | os.PathLike[str] | None = None, sr: int = 32000) -> tuple[int, list[str]]:
    """Import an original-tool .list and its wavs into slices/ (re-encoded to mono 16-bit ``sr``).

    Each wav is looked up as ``audio_dir/<basename>`` when ``audio_dir`` is given, else at the
    listed path (relative paths are taken relative to the .list folder). Existing labels with
    the same basename are replaced. Returns (number imported, warnings).
    """
    from gpt_sovits.audio.io import load_audio, write_wav

    list_path = Path(list_path)
    entries, warnings = read_list(list_path)
    by_name = {e.name: e for e in load_labels(project_root)}
    count = 0
    for entry in entries:
        source = Path(audio_dir) / entry.name if audio_dir else Path(entry.path)
        if not source.is_absolute() and not audio_dir:
            source = list_path.parent / source
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(entry.name).stem).strip("-.") or "clip"
        try:
            audio = load_audio(source, sr=sr)
        except AudioFormatError as exc:
            warnings.append(f"{entry.name}: {exc}; skipped")
            continue
        write_wav(project_root / "slices" / f"{name}.wav", audio, sr)
        by_name[f"{name}.wav"] = replace(entry, path=f"slices/{name}.wav")
        count += 1
    save_labels(project_root, list(by_name.values()))
    return count, warnings


def find_entry(entries: list[LabelEntry], name: str) -> int:
    """Index of the entry for slice ``name`` (basename) or ProjectError."""
    for index, entry in enumerate(entries):
        if entry.name == name:
            return index
    raise ProjectError(f"no label for slice {name!r}; refresh the list")


# --- proofreading operations with a persisted undo history --------------------------------------
#
# Each operation runs under the project lock: new wavs are written first (atomically), then the
# history entry (a snapshot of the previous labels.list plus the files created and trashed), then
# labels.list (atomic switch), and finally replaced wavs are moved to trash/ (never deleted).
# Undo restores the snapshot, moves created files to trash and trashed files back.

_HISTORY_INDEX = "index.json"


def _history(project_root: Path) -> list[dict[str, Any]]:
    path = project_root / "history" / _HISTORY_INDEX
    return json.loads(path.read_text("utf-8")) if path.is_file() else []


def _save_history(project_root: Path, items: list[dict[str, Any]]) -> None:
    atomic_write_json(project_root / "history" / _HISTORY_INDEX, items)


def history(project: Project) -> list[str]:
    """Descriptions of the undoable operations, oldest first."""
    return [item["description"] for item in _history(project.root)]


def clear_history(project: Project) -> None:
    """Forget the undo history (used when slices are regenerated)."""
    root = project.root
    for item in _history(root):
        (root / "history" / item["snapshot"]).unlink(missing_ok=True)
    _save_history(root, [])


def _commit(project: Project, op: str, description: str, entries: list[LabelEntry],
            created: list[str], retired: list[str]) -> None:
    """Record history, switch labels.list, move ``retired`` slice names to trash."""
    root = project.root
    op_id = uuid.uuid4().hex[:12]
    old = root / "labels.list"
    snapshot = f"{op_id}.list"
    atomic_write_text(root / "history" / snapshot, old.read_text("utf-8") if old.is_file() else "")
    trashed = [[f"slices/{name}", f"trash/{op_id}_{name}"] for name in retired]
    items = _history(root) + [{"id": op_id, "op": op, "description": description, "snapshot": snapshot,
                               "created": [f"slices/{n}" for n in created], "trashed": trashed}]
    _save_history(root, items)
    save_labels(root, entries)
    for src, dst in trashed:
        if (root / src).exists():
            os.replace(root / src, root / dst)


def edit_text(project: Project, name: str, text: str) -> None:
    """Replace the transcript of slice ``name``."""
    with project.lock("editing labels"):
        entries = load_labels(project.root)
        index = find_entry(entries, name)
        entries[index] = replace(entries[index], text=_clean_field(text))
        _commit(project, "edit", f"edit text of {name}", entries, [], [])


def delete_slice(project: Project, name: str) -> None:
    """Remove slice ``name`` from the labels and move its wav to trash/."""
    with project.lock("deleting a slice"):
        entries = load_labels(project.root)
        del entries[find_entry(entries, name)]
        _commit(project, "delete", f"delete {name}", entries, [], [name])


def _unique_slice_name(slices_dir: Path, name: str) -> str:
    stem, n = name[:-4], 2
    while (slices_dir / name).exists():
        name, n = f"{stem}_{n}.wav", n + 1
    return name


def merge_slices(project: Project, names: list[str], gap_s: float = 0.2) -> str:
    """Join consecutive slices (in label order) into one with ``gap_s`` of silence between;
    texts are joined (no space for zh/ja/yue). Returns the new slice name."""
    import numpy as np

    from gpt_sovits.audio.io import read_wav, write_wav

    if len(names) < 2 or not 0.0 <= gap_s <= 2.0:
        raise ProjectError("merge needs at least two slices and a gap of 0-2 s")
    with project.lock("merging slices"):
        entries = load_labels(project.root)
        indices = [find_entry(entries, n) for n in names]
        if sorted(indices) != list(range(min(indices), min(indices) + len(indices))):
            raise ProjectError("only neighbouring slices can be merged; select adjacent rows")
        indices.sort()
        parts = [entries[i] for i in indices]
        audio, sr = zip(*(read_wav(project.slices_dir / e.name) for e in parts), strict=True)
        gap = np.zeros(int(gap_s * sr[0]), dtype=np.float32)
        joined = np.concatenate([x for a in audio for x in (a, gap)][:-1])
        first, last = parse_slice_name(parts[0].name), parse_slice_name(parts[-1].name)
        if first and last and first[0] == last[0]:
            new = f"{first[0]}_{first[1]:010d}_{last[2]:010d}.wav"
        else:
            new = f"{parts[0].name[:-4]}_merged.wav"
        new = _unique_slice_name(project.slices_dir, new)
        write_wav(project.slices_dir / new, joined, sr[0])
        sep = "" if parts[0].lang in ("zh", "ja", "yue") else " "
        merged = replace(parts[0], path=f"slices/{new}", text=sep.join(p.text for p in parts if p.text))
        entries[indices[0] : indices[-1] + 1] = [merged]
        _commit(project, "merge", f"merge {', '.join(names)}", entries, [new], [p.name for p in parts])
        return new


def split_slice(project: Project, name: str, at_s: float, texts: tuple[str, str] | None = None) -> tuple[str, str]:
    """Cut slice ``name`` at ``at_s`` seconds into two slices. ``texts`` gives their transcripts;
    without it the first keeps the old text and the second is left empty for editing."""
    from gpt_sovits.audio.io import read_wav, write_wav

    with project.lock("splitting a slice"):
        entries = load_labels(project.root)
        index = find_entry(entries, name)
        audio, sr = read_wav(project.slices_dir / name)
        cut = int(round(at_s * sr))
        if not 0.1 * sr <= cut <= audio.shape[0] - 0.1 * sr:
            raise ProjectError(f"split point {at_s:.2f} s must be at least 0.1 s inside the "
                               f"{audio.shape[0] / sr:.2f} s slice")
        parsed = parse_slice_name(name)
        if parsed:
            src, start, end = parsed
            names = (f"{src}_{start:010d}_{start + cut:010d}.wav", f"{src}_{start + cut:010d}_{end:010d}.wav")
        else:
            names = (f"{name[:-4]}_01.wav", f"{name[:-4]}_02.wav")
        left = _unique_slice_name(project.slices_dir, names[0])
        write_wav(project.slices_dir / left, audio[:cut], sr)
        right = _unique_slice_name(project.slices_dir, names[1])
        write_wav(project.slices_dir / right, audio[cut:], sr)
        old = entries[index]
        left_text, right_text = texts if texts is not None else (old.text, "")
        entries[index : index + 1] = [replace(old, path=f"slices/{left}", text=_clean_field(left_text)),
                                      replace(old, path=f"slices/{right}", text=_clean_field(right_text))]
        _commit(project, "split", f"split {name} at {at_s:.2f} s", entries, [left, right], [name])
        return left, right


def undo(project: Project) -> str | None:
    """Undo the last proofreading operation; returns its description (None if nothing to undo)."""
    root = project.root
    with project.lock("undoing"):
        items = _history(root)
        if not items:
            return None
        item = items[-1]
        for rel in item["created"]:
            if (root / rel).exists():
                os.replace(root / rel, root / "trash" / f"undo-{item['id']}_{Path(rel).name}")
        for src, dst in item["trashed"]:
            if (root / dst).exists():
                os.replace(root / dst, root / src)
        snapshot = root / "history" / item["snapshot"]
        atomic_write_text(root / "labels.list", snapshot.read_text("utf-8"))
        _save_history(root, items[:-1])
        snapshot.unlink(missing_ok=True)
        return item["description"]


def label_check(entry: LabelEntry, info: dict[str, Any]) -> LabelCheck | None:
    """Why a label needs a look: the ASR check of its transcript while nobody has edited the text
    (``info``: the label state the labelling stage saved), or no text at all; else None. Checks
    saved before they had a code keep their English text (code "")."""
    from gpt_sovits.asr import LabelCheck

    if info.get("flag") and info.get("text") == entry.text:
        return LabelCheck(str(info.get("flag_code") or ""), str(info["flag"]), dict(info.get("flag_values") or {}))
    if not entry.text:
        return LabelCheck("no_text", "no transcript yet: type the text", {})
    return None
