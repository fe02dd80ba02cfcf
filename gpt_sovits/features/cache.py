"""Per-slice feature cache under ``workspace/<project>/features/<key>/``.

``<key>`` (:func:`feature_key`) names the base profile and its content encoder, e.g.
``gsv-v2.hubert`` or ``starter.whisper-base``, so switching profile never mixes caches.

One slice = one safetensors file ``<slice file stem>.safetensors``, written atomically, holding:

| tensor      | shape / dtype        | what                                                |
|-------------|----------------------|-----------------------------------------------------|
| content     | [c, t] float32       | 50 Hz content features (768 HuBERT / 512 Whisper)   |
| semantic    | [t // 2] int64       | 25 Hz semantic token ids                            |
| wav32k      | [n] int16            | prepared 32 kHz audio (the mix), scaled by 32767    |
| phone_ids   | [p] int64            | symbol ids of the phones                            |
| bert        | [1024, p] float32    | only for profiles with BERT (else absent => zeros)  |

and JSON metadata (text, language, norm_text, phones, word2ph, hashes, format). Invalidation uses
two content hashes: ``audio_hash`` (bytes of the slice wav) guards content/semantic/wav32k,
``text_hash`` (label text + language) guards phones/BERT. Editing one label therefore redoes only
that slice's text features; replacing a wav redoes everything for that slice only.

Shapes: c = content channels, t = 50 Hz frames, n = samples at 32 kHz, p = phones.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as save_safetensors

from gpt_sovits.fileio import atomic_write_bytes

CACHE_FORMAT = 1
SUFFIX = ".safetensors"
INT16_SCALE = 32767.0
_SAFE_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}")


def feature_key(profile: str, content_encoder: str) -> str:
    """Cache folder name for a base profile and its content encoder ("gsv-v2.hubert")."""
    key = f"{profile}.{content_encoder}"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", key):
        digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]
        key = re.sub(r"[^A-Za-z0-9._-]+", "-", key).strip("-.") + f"-{digest}"
    return key


def audio_hash(wav_path: str | os.PathLike[str]) -> str:
    """SHA-256 of the wav file's bytes (and the cache format)."""
    digest = hashlib.sha256(f"features-format-{CACHE_FORMAT}\0".encode())
    with open(wav_path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def text_hash(text: str, language: str) -> str:
    """SHA-256 of a label's language and text (and the cache format)."""
    data = f"features-format-{CACHE_FORMAT}\0{language}\0{text}".encode()
    return hashlib.sha256(data).hexdigest()


def slice_file_stem(slice_id: str) -> str:
    """A safe, unique file stem for a slice id (the id itself when it is already safe)."""
    if _SAFE_STEM.fullmatch(slice_id):
        return slice_id
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", slice_id).strip("-.")[:80] or "slice"
    return f"{slug}-{hashlib.sha1(slice_id.encode('utf-8')).hexdigest()[:10]}"


@dataclass
class SliceFeatures:
    """Everything training needs for one slice (see the module docstring for shapes)."""

    slice_id: str
    text: str
    language: str
    norm_text: str
    phones: list[str]
    phone_ids: list[int]
    word2ph: list[int]
    content: torch.Tensor  # [c, t] float32, 50 Hz
    semantic: torch.Tensor  # [t // 2] int64, 25 Hz
    wav32k: torch.Tensor  # [n] float32 in [-1, 1]
    bert: torch.Tensor | None  # [1024, p] or None (profile without BERT)
    audio_hash: str
    text_hash: str

    def bert_or_zeros(self, dim: int = 1024) -> torch.Tensor:
        """BERT features ``[dim, p]``; zeros for profiles without BERT."""
        return self.bert if self.bert is not None else torch.zeros(dim, len(self.phones))

    def tensors(self) -> dict[str, torch.Tensor]:
        wav = (self.wav32k.float().clamp(-1.0, 1.0) * INT16_SCALE).round().to(torch.int16)
        out = {
            "content": self.content.float().contiguous(),
            "semantic": self.semantic.long().contiguous(),
            "wav32k": wav.contiguous(),
            "phone_ids": torch.tensor(self.phone_ids, dtype=torch.long),
        }
        if self.bert is not None:
            out["bert"] = self.bert.float().contiguous()
        return out

    def metadata(self) -> dict[str, str]:
        fields = {
            "format": CACHE_FORMAT, "slice_id": self.slice_id, "text": self.text, "language": self.language,
            "norm_text": self.norm_text, "phones": self.phones, "word2ph": self.word2ph,
            "audio_hash": self.audio_hash, "text_hash": self.text_hash,
        }
        return {"features": json.dumps(fields, ensure_ascii=False)}


class FeatureCache:
    """The cache folder of one project and feature key.

    Args:
        folder: ``workspace/<project>/features/<key>`` (created on first save).
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def path(self, slice_id: str) -> Path:
        return self.folder / f"{slice_file_stem(slice_id)}{SUFFIX}"

    def read_meta(self, slice_id: str) -> dict[str, Any] | None:
        """The entry's metadata, or None if it is missing, unreadable or of another format."""
        path = self.path(slice_id)
        if not path.is_file():
            return None
        try:
            with safe_open(str(path), framework="pt") as handle:
                meta = json.loads((handle.metadata() or {}).get("features", "null"))
        except (OSError, SafetensorError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("format") != CACHE_FORMAT or meta.get("slice_id") != slice_id:
            return None
        return meta

    def freshness(self, slice_id: str, wav_hash: str, label_hash: str) -> tuple[bool, bool]:
        """``(audio features up to date, text features up to date)`` for one slice."""
        meta = self.read_meta(slice_id)
        if meta is None:
            return False, False
        return meta.get("audio_hash") == wav_hash, meta.get("text_hash") == label_hash

    def load(self, slice_id: str) -> SliceFeatures:
        """Read one entry.

        Raises:
            KeyError: no valid entry for this slice (run feature extraction).
        """
        meta = self.read_meta(slice_id)
        if meta is None:
            raise KeyError(f"no cached features for slice {slice_id!r}; run feature extraction")
        with safe_open(str(self.path(slice_id)), framework="pt") as handle:
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
        return SliceFeatures(
            slice_id=slice_id, text=meta["text"], language=meta["language"], norm_text=meta["norm_text"],
            phones=list(meta["phones"]), phone_ids=tensors["phone_ids"].tolist(), word2ph=list(meta["word2ph"]),
            content=tensors["content"], semantic=tensors["semantic"],
            wav32k=tensors["wav32k"].float() / INT16_SCALE, bert=tensors.get("bert"),
            audio_hash=meta["audio_hash"], text_hash=meta["text_hash"],
        )

    def save(self, features: SliceFeatures) -> Path:
        """Write one entry atomically (a crash leaves the previous entry or none)."""
        path = self.path(features.slice_id)
        atomic_write_bytes(path, save_safetensors(features.tensors(), metadata=features.metadata()))
        return path

    def prune(self, keep_ids: set[str]) -> int:
        """Delete entries of slices not in ``keep_ids`` (and stray temporary files); returns the count."""
        if not self.folder.is_dir():
            return 0
        keep = {self.path(i).name for i in keep_ids}
        removed = 0
        for entry in self.folder.iterdir():
            stray_tmp = entry.name.startswith(".") and entry.name.endswith(".tmp")
            if entry.is_file() and (stray_tmp or (entry.suffix == SUFFIX and entry.name not in keep)):
                entry.unlink(missing_ok=True)
                removed += 0 if stray_tmp else 1
        return removed
