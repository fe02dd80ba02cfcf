"""Voice projects on disk: ``workspace/<project>/`` with project.json, raw/, clean/, slices/,
labels.list, features/<key>/, runs/, voices/ (see DESIGN §3).

Names: a project has a free display name (spaces, emoji, CJK are fine) and a safe ASCII folder
name derived from it. Uploads never choose their own path: file names are sanitised, keep their
extension and are de-duplicated. Raw files are copied byte for byte and never modified.
A per-project file lock keeps two tabs or processes from running steps on one project at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpt_sovits.config import StrictConfig
from gpt_sovits.errors import ProjectError
from gpt_sovits.fileio import atomic_open, atomic_write_json
from gpt_sovits.naming import ascii_slug

PROJECT_FILE = "project.json"
SUBDIRS = ("raw", "clean", "slices", "features", "runs", "voices", "trash", "history")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_FOLDER_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def validate_display_name(name: str) -> str:
    """Return the stripped display name or raise ProjectError saying what is wrong."""
    name = unicodedata.normalize("NFC", str(name)).strip()
    if not name:
        raise ProjectError("project name is empty; type a name such as 'My voice'")
    if len(name) > 80:
        raise ProjectError("project name is longer than 80 characters; choose a shorter name")
    if "/" in name or "\\" in name or set(name) <= {"."}:
        raise ProjectError(f"project name {name!r} contains a path separator or is only dots; remove them")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise ProjectError("project name contains control characters; use letters, digits and spaces")
    return name


def folder_name_for(display_name: str) -> str:
    """A safe ASCII folder name for a display name ('Alice Voice 🎤' -> 'alice-voice')."""
    slug = ascii_slug(display_name).lower()[:48].strip("-_")
    if not slug or slug in _RESERVED:
        digest = hashlib.sha1(display_name.encode("utf-8")).hexdigest()[:8]
        slug = f"project-{digest}" if not slug else f"{slug}-{digest}"
    return slug


def safe_upload_name(original: str, taken_stems: set[str]) -> str:
    """Sanitise an uploaded file name: basename only, ASCII stem, lower-case extension kept,
    stem made unique (case-insensitively) against ``taken_stems``."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", original))[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot or not re.fullmatch(r"[A-Za-z0-9]{1,8}", ext):
        stem, ext = base, ""
    slug = ascii_slug(stem)[:60].strip("-_") or "upload"
    taken = {s.lower() for s in taken_stems}
    candidate, n = slug, 2
    while candidate.lower() in taken:
        candidate, n = f"{slug}_{n}", n + 1
    return f"{candidate}.{ext.lower()}" if ext else candidate


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class ProjectMeta(StrictConfig):
    """Contents of project.json.

    Args:
        name: display name (free text).
        folder: folder name inside the workspace.
        languages: training languages, e.g. ["zh"] or ["zh", "en"].
        base_profile: base model profile name (see the registry).
        created / updated: ISO timestamps (UTC).
        raw: stored raw file name -> {sha256, original_name, bytes, imported}.
        pipeline: stage name -> that stage's bookkeeping (what is done, with which options).
    """

    name: str
    folder: str
    languages: list[str] = field(default_factory=lambda: ["zh"])
    base_profile: str = "starter"
    created: str = ""
    updated: str = ""
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)
    pipeline: dict[str, dict[str, Any]] = field(default_factory=dict)
    format: int = 1


@dataclass
class ImportResult:
    """Outcome of :meth:`Project.import_file`: the stored raw name and whether it was a duplicate."""

    name: str
    duplicate: bool


class Project:
    """One voice project folder. Cheap to construct; project.json is re-read on demand.

    Args:
        root: the project folder (must contain project.json).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        if not (self.root / PROJECT_FILE).is_file():
            raise ProjectError(f"{self.root} is not a project folder (no {PROJECT_FILE}); create the project first")
        self._lock_depth = 0

    raw_dir = property(lambda self: self.root / "raw")
    clean_dir = property(lambda self: self.root / "clean")
    slices_dir = property(lambda self: self.root / "slices")
    trash_dir = property(lambda self: self.root / "trash")
    history_dir = property(lambda self: self.root / "history")
    runs_dir = property(lambda self: self.root / "runs")
    voices_dir = property(lambda self: self.root / "voices")
    labels_path = property(lambda self: self.root / "labels.list")

    def features_dir(self, key: str) -> Path:
        """Feature cache folder for one encoder/profile key (e.g. 'gsv-v2')."""
        if not re.fullmatch(r"[A-Za-z0-9._-]+", key) or set(key) <= {"."}:
            raise ProjectError(f"feature key {key!r} is not a safe folder name")
        return self.root / "features" / key

    @property
    def meta(self) -> ProjectMeta:
        try:
            return ProjectMeta.from_dict(json.loads((self.root / PROJECT_FILE).read_text("utf-8")))
        except (OSError, ValueError) as exc:
            raise ProjectError(f"{self.root / PROJECT_FILE} is unreadable ({exc}); restore it from a backup") from exc

    @property
    def name(self) -> str:
        return self.meta.name

    def save_meta(self, meta: ProjectMeta) -> None:
        meta.updated = _now()
        atomic_write_json(self.root / PROJECT_FILE, meta.to_dict())

    def state(self, stage: str) -> dict[str, Any]:
        """The bookkeeping dict of one pipeline stage (empty if the stage never ran)."""
        return dict(self.meta.pipeline.get(stage, {}))

    def set_state(self, stage: str, data: dict[str, Any]) -> None:
        meta = self.meta
        meta.pipeline[stage] = data
        self.save_meta(meta)

    @contextlib.contextmanager
    def lock(self, what: str = "a step") -> Iterator[None]:
        """Hold the project's exclusive lock (re-entrant within this object).

        Raises:
            ProjectError: another process/tab holds the lock.
        """
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another task"
            os.close(fd)
            raise ProjectError(
                f"project '{self.root.name}' is busy ({holder}); another tab or command is using it - "
                "wait for it to finish, then try again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{what}, pid {os.getpid()}".encode(), 0)
        self._lock_depth = 1
        try:
            yield
        finally:
            self._lock_depth = 0
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def raw_files(self) -> list[Path]:
        """Stored raw files, in import order."""
        return [self.raw_dir / name for name in self.meta.raw if (self.raw_dir / name).is_file()]

    def import_file(self, source: str | os.PathLike[str], original_name: str | None = None) -> ImportResult:
        """Copy an upload into raw/ byte for byte under a sanitised, unique name.

        A file whose sha256 is already in the project is recognised and not copied again.
        """
        source = Path(source)
        digest = sha256_file(source)
        with self.lock("importing"):
            meta = self.meta
            for name, info in meta.raw.items():
                if info.get("sha256") == digest and (self.raw_dir / name).is_file():
                    return ImportResult(name=name, duplicate=True)
            taken = {Path(n).stem for n in meta.raw} | {p.stem for p in self.raw_dir.iterdir()}
            name = safe_upload_name(original_name or source.name, taken)
            with open(source, "rb") as src, atomic_open(self.raw_dir / name, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            meta.raw[name] = {"sha256": digest, "original_name": original_name or source.name,
                              "bytes": source.stat().st_size, "imported": _now()}
            self.save_meta(meta)
        return ImportResult(name=name, duplicate=False)


class Workspace:
    """The folder holding all projects.

    Args:
        root: workspace folder (created if missing).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _folder(self, folder: str) -> Path:
        if not _FOLDER_RE.fullmatch(folder or ""):
            raise ProjectError(f"{folder!r} is not a valid project folder name")
        return self.root / folder

    def create_project(self, name: str, languages: list[str] | tuple[str, ...] = ("zh",),
                       base_profile: str = "starter") -> Project:
        """Create a project folder with its subfolders and project.json."""
        display = validate_display_name(name)
        base = folder_name_for(display)
        folder, n = base, 2
        while (self.root / folder).exists():
            folder, n = f"{base}-{n}", n + 1
        path = self._folder(folder)
        path.mkdir()
        for sub in SUBDIRS:
            (path / sub).mkdir()
        now = _now()
        meta = ProjectMeta(name=display, folder=folder, languages=list(languages),
                           base_profile=base_profile, created=now, updated=now)
        atomic_write_json(path / PROJECT_FILE, meta.to_dict())
        return Project(path)

    def list_projects(self) -> list[ProjectMeta]:
        """All readable projects, most recently updated first."""
        metas = []
        for path in sorted(self.root.iterdir()):
            if (path / PROJECT_FILE).is_file():
                with contextlib.suppress(ProjectError):
                    metas.append(Project(path).meta)
        return sorted(metas, key=lambda m: m.updated, reverse=True)

    def open_project(self, key: str) -> Project:
        """Open a project by folder name or by exact display name."""
        if _FOLDER_RE.fullmatch(key or "") and (self.root / key / PROJECT_FILE).is_file():
            return Project(self.root / key)
        for meta in self.list_projects():
            if meta.name == key:
                return Project(self.root / meta.folder)
        raise ProjectError(f"no project named {key!r} in {self.root}; create it first")

    def rename_project(self, key: str, new_name: str) -> Project:
        """Change the display name and move the folder to the matching safe name."""
        project = self.open_project(key)
        display = validate_display_name(new_name)
        with project.lock("renaming"):
            base = folder_name_for(display)
            folder, n = base, 2
            while (self.root / folder).exists() and folder != project.root.name:
                folder, n = f"{base}-{n}", n + 1
            meta = project.meta
            meta.name, meta.folder = display, folder
            project.save_meta(meta)
            target = self._folder(folder)
            if target != project.root:
                os.rename(project.root, target)
        return Project(target)

    def delete_project(self, key: str, *, confirm: bool = False) -> None:
        """Delete a project folder and everything in it; requires ``confirm=True``."""
        project = self.open_project(key)
        if not confirm:
            raise ProjectError(f"deleting project '{project.root.name}' removes all its recordings; "
                               "pass confirm=True to really delete it")
        with project.lock("deleting"):
            shutil.rmtree(project.root)
