"""Explicit, user-requested downloads of official weights (never called implicitly).

``python -m gpt_sovits download gsv-v2`` fetches the official GPT-SoVITS v2 files from the
Hugging Face hub into the layout :mod:`gpt_sovits.registry` expects. Each file is downloaded to
``<name>.part`` with HTTP range requests (so an interrupted download resumes), its size is checked,
and it is renamed into place only when complete. Without network access it fails within seconds
with a clear message.
"""

from __future__ import annotations

import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from gpt_sovits.errors import ModelMissingError
from gpt_sovits.registry import GSV_V2_FILES, HUBERT_DIR, ROBERTA_DIR

HUB = "https://huggingface.co"
REPO = "lj1995/GPT-SoVITS"
CHUNK = 1 << 20
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class RemoteFile:
    """One file of a download set: hub path -> path under ``pretrained/``."""

    remote: str
    local: str


def gsv_v2_files() -> list[RemoteFile]:
    files = [RemoteFile(f"gsv-v2final-pretrained/{name}", f"gsv-v2/{name}") for name in GSV_V2_FILES.values()]
    for name in ("config.json", "preprocessor_config.json", "pytorch_model.bin"):
        files.append(RemoteFile(f"{HUBERT_DIR}/{name}", f"{HUBERT_DIR}/{name}"))
    for name in ("config.json", "tokenizer.json", "pytorch_model.bin"):
        files.append(RemoteFile(f"{ROBERTA_DIR}/{name}", f"{ROBERTA_DIR}/{name}"))
    return files


DOWNLOAD_SETS: dict[str, Callable[[], list[RemoteFile]]] = {"gsv-v2": gsv_v2_files}


Opener = Callable[[str, int], "tuple[int, int | None, BinaryIO]"]


def http_open(url: str, start: int, timeout: float = 15.0) -> tuple[int, int | None, BinaryIO]:
    """Open ``url`` from byte ``start``. Returns (offset actually served, total size or None, stream)."""
    request = urllib.request.Request(url, headers={"User-Agent": "gpt-sovits-studio"})
    if start:
        request.add_header("Range", f"bytes={start}-")
    response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (https URL built above)
    length = response.headers.get("Content-Length")
    if response.status == 206:
        total = int(response.headers["Content-Range"].rsplit("/", 1)[1])
        return start, total, response
    return 0, int(length) if length else None, response


def check_online(host: str = "huggingface.co", timeout: float = 5.0) -> None:
    """Fail fast (seconds, not minutes) when the hub cannot be reached."""
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError as exc:
        raise ModelMissingError(
            f"cannot reach {host} ({exc.__class__.__name__}: {exc}). Downloading official weights "
            "needs internet access. Alternatively copy the official files by hand into pretrained/ "
            "(see pretrained/README.md)."
        ) from exc


def fetch_file(url: str, dest: Path, opener: Opener = http_open, progress: Progress | None = None) -> Path:
    """Download ``url`` to ``dest`` with resume from ``dest.part``; atomic rename at the end."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    try:
        offset, total, stream = opener(url, have)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # range not satisfiable: the part is already complete
            os.replace(part, dest)
            return dest
        raise ModelMissingError(f"download of {url} failed: HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise ModelMissingError(f"download of {url} failed: {exc}. Check your connection and retry; "
                                "finished parts are kept and the download resumes.") from exc
    done = offset
    with open(part, "r+b" if offset and part.exists() else "wb") as out:
        out.seek(offset)
        out.truncate()
        while chunk := stream.read(CHUNK):
            out.write(chunk)
            done += len(chunk)
            if progress and total:
                progress(done / total, f"{dest.name}: {done / 1e6:.1f} / {total / 1e6:.1f} MB")
        out.flush()
        os.fsync(out.fileno())
    if total is not None and done != total:
        raise ModelMissingError(f"{dest.name}: incomplete download ({done} of {total} bytes); run again to resume")
    os.replace(part, dest)
    return dest


def download(
    name: str,
    pretrained_root: Path,
    opener: Opener = http_open,
    progress: Progress | None = None,
    hub: str = HUB,
    repo: str = REPO,
    online_check: Callable[[], None] | None = check_online,
) -> list[Path]:
    """Download the named set (e.g. ``gsv-v2``) into ``pretrained_root``; skip files already present."""
    if name not in DOWNLOAD_SETS:
        raise ModelMissingError(f"unknown download {name!r}; choose one of {sorted(DOWNLOAD_SETS)}")
    files = DOWNLOAD_SETS[name]()
    todo = [f for f in files if not (pretrained_root / f.local).is_file()]
    if todo and online_check is not None:
        online_check()
    written = []
    for index, item in enumerate(files):
        dest = pretrained_root / item.local
        if dest.is_file():
            continue
        url = f"{hub}/{repo}/resolve/main/{urllib.parse.quote(item.remote)}"

        def file_progress(frac: float, msg: str, i: int = index) -> None:
            if progress:
                progress((i + frac) / len(files), msg)

        written.append(fetch_file(url, dest, opener=opener, progress=file_progress))
    return written
