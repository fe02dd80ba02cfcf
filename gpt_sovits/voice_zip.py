"""Voices as zip files, for moving them between computers.

An exported zip holds one folder ``<voice folder>/`` with ``voice.json``, both weight files, the
reference clip and its transcript, the token readout when the voice has one, and the
official-format copies under ``official/``.

Importing treats the zip as hostile: absolute paths, ``..``, backslashes, symlinks, too many
entries and too much (or suspiciously compressible) data are refused before anything is written;
only the known files are extracted, into a staging folder; the weights are then loaded with our
safe loaders (never unpickling code) and the voice is moved into ``voices/`` under a free name.
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path, PurePosixPath

from gpt_sovits.data.project import Project
from gpt_sovits.errors import CheckpointError
from gpt_sovits.fileio import atomic_open
from gpt_sovits.voice_format import (
    MANIFEST,
    MELODY_FILE,
    READOUT_FILE,
    REFERENCE_TXT,
    REFERENCE_WAV,
    S1_FILE,
    S2G_FILE,
    read_voice_dir,
)

MAX_IMPORT_BYTES = 3 << 30  # a v2 voice with official copies is about 0.8 GB uncompressed
MAX_ENTRIES = 64
MAX_RATIO = 200  # weights barely compress; a bomb compresses by thousands
# the readout and the melody model are optional
_TOP_FILES = (MANIFEST, S1_FILE, S2G_FILE, REFERENCE_WAV, REFERENCE_TXT, READOUT_FILE, MELODY_FILE)
_OFFICIAL_SUFFIXES = (".ckpt", ".pth")
_CHUNK = 1 << 20


def export_voice_zip(voice_dir: str | os.PathLike[str], dest: str | os.PathLike[str]) -> Path:
    """Write the voice folder ``voice_dir`` as a zip (atomically).

    Args:
        voice_dir: a complete voice folder (``voices/<name>``).
        dest: the zip file to write, or an existing folder to write ``<name>.zip`` into.

    Returns:
        The path of the zip.
    """
    folder = Path(voice_dir)
    manifest = read_voice_dir(folder)
    dest = Path(dest)
    target = dest / f"{folder.name}.zip" if dest.is_dir() else dest
    members = [*_TOP_FILES, *manifest.official.values()]
    with atomic_open(target, "wb") as handle, zipfile.ZipFile(handle, "w") as archive:
        for relative in members:
            path = folder / relative
            if not _is_member_path(relative) or path.is_symlink() or not path.is_file():
                continue
            stored = path.suffix in (".safetensors", *_OFFICIAL_SUFFIXES)  # weights do not compress
            archive.write(path, f"{folder.name}/{relative}",
                          compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    return target


def _is_member_path(relative: str) -> bool:
    """One of the files a voice zip may contain (relative to the voice folder)."""
    parts = PurePosixPath(relative).parts
    if len(parts) == 1:
        return parts[0] in _TOP_FILES
    return (len(parts) == 2 and parts[0] == "official" and parts[1].endswith(_OFFICIAL_SUFFIXES)
            and not parts[1].startswith("."))


def check_zip_members(archive: zipfile.ZipFile, max_bytes: int = MAX_IMPORT_BYTES) -> dict[str, zipfile.ZipInfo]:
    """Refuse unsafe archives; return the voice's files as ``{relative path: entry}``.

    Raises:
        CheckpointError: an unsafe entry, too much data, or no single ``voice.json``.
    """
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise CheckpointError(f"the zip has {len(entries)} entries; a voice zip has fewer than {MAX_ENTRIES}")
    total = 0
    for info in entries:
        _check_entry(info)
        total += info.file_size
    if total > max_bytes:
        raise CheckpointError(f"the zip unpacks to {total / 1e9:.1f} GB, more than the {max_bytes / 1e9:.1f} GB "
                              "a voice can be; it is not a voice exported by the studio")
    manifests = [i.filename for i in entries if PurePosixPath(i.filename).name == MANIFEST]
    if len(manifests) != 1 or len(PurePosixPath(manifests[0]).parts) > 2:
        raise CheckpointError(f"the zip must hold exactly one voice ({MANIFEST} at the top or in one folder); "
                              "export the voice again from the studio")
    prefix = manifests[0][: -len(MANIFEST)]
    members = [i for i in entries
               if i.filename.startswith(prefix) and not i.is_dir() and _is_member_path(i.filename[len(prefix):])]
    found = {i.filename[len(prefix):]: i for i in members}
    if len(found) != len(members):
        raise CheckpointError("the zip names the same file twice; export the voice again from the studio")
    return found


def _check_entry(info: zipfile.ZipInfo) -> None:
    name = info.filename
    path = PurePosixPath(name)
    if (not name or name.startswith("/") or "\\" in name or ":" in path.parts[0] or ".." in path.parts
            or "\x00" in name):
        raise CheckpointError(f"the zip contains an unsafe path {name!r}; refusing to import it")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise CheckpointError(f"the zip contains a symbolic link {name!r}; refusing to import it")
    if info.flag_bits & 0x1:
        raise CheckpointError(f"{name!r} in the zip is encrypted; export the voice again without a password")
    if info.file_size > (1 << 20) and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise CheckpointError(f"{name!r} in the zip is compressed {info.file_size // max(info.compress_size, 1)}:1, "
                              "which only a zip bomb does; refusing to import it")


def _extract(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], folder: Path) -> None:
    """Copy the members into ``folder``, never writing more than each entry declares."""
    for relative, info in members.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with archive.open(info) as source, open(target, "xb") as sink:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > info.file_size:
                    raise CheckpointError(f"{info.filename!r} holds more data than the zip declares; refusing it")
                sink.write(chunk)


def import_voice_zip(project: Project, zip_path: str | os.PathLike[str], *,
                     max_bytes: int = MAX_IMPORT_BYTES) -> str:
    """Add the voice in ``zip_path`` (made by :func:`export_voice_zip`) to ``project``.

    The zip is checked (see the module docstring), the weights are validated with our safe
    loaders, and an existing voice is never replaced: a taken name gets a number.

    Returns:
        The folder name of the imported voice.

    Raises:
        CheckpointError: not a zip, unsafe, or not a complete, loadable voice.
        ProjectError: the project is busy.
    """
    from gpt_sovits.voices import check_voice_files, place_voice, staging_dir

    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CheckpointError(f"{Path(zip_path).name} is not a readable zip file ({exc})") from exc
    with archive, staging_dir(project) as staged:
        members = check_zip_members(archive, max_bytes)
        try:
            _extract(archive, members, staged)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
            raise CheckpointError(f"{Path(zip_path).name} is damaged ({exc}); export the voice again") from exc
        manifest = check_voice_files(staged)
        manifest.official = {k: v for k, v in manifest.official.items() if (staged / v).is_file()}
        folder = PurePosixPath(members[MANIFEST].filename).parent.name or None
        return place_voice(project, staged, manifest, folder)
