"""Bounded, thread-safe caches of loaded models and reference features.

Loading a model costs seconds and hundreds of MB; computing a reference's prompt tokens costs a
content-encoder pass. Both are kept in small least-recently-used caches keyed by what they were
computed from (a file's resolved path, size and modification time; an audio digest), so voices
built again from the same files reuse them and an edited file is loaded afresh.

Only one thread computes a given key at a time; others wait for its result. The S1 model keeps
a KV cache inside while it decodes, so :class:`LoadedS1` carries a lock that synthesis holds
around each decoding run. S2 decoding is stateless and needs no lock.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class LRUCache(Generic[V]):
    """A least-recently-used cache holding at most ``capacity`` values.

    Args:
        capacity: most values kept (>= 1).
        name: used in ``repr`` only.
    """

    def __init__(self, capacity: int, name: str = "cache") -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self.name = name
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[Hashable, threading.Lock] = {}

    def get_or_create(self, key: Hashable, factory: Callable[[], V]) -> V:
        """The cached value of ``key``, or ``factory()`` stored under it (computed once)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            key_lock = self._loading.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._items:  # another thread finished it while we waited
                    self._items.move_to_end(key)
                    return self._items[key]
            try:
                value = factory()
            finally:
                with self._lock:
                    self._loading.pop(key, None)
            with self._lock:
                self._items[key] = value
                self._items.move_to_end(key)
                while len(self._items) > self.capacity:
                    self._items.popitem(last=False)
            return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def __repr__(self) -> str:
        return f"LRUCache({self.name!r}, {len(self)}/{self.capacity})"


def file_key(path: str | os.PathLike[str]) -> tuple[str, int, int]:
    """(resolved path, size, mtime in ns): changes whenever the file is replaced or edited."""
    resolved = Path(path).resolve()
    stat = resolved.stat()
    return str(resolved), stat.st_size, stat.st_mtime_ns


@dataclass
class LoadedS1:
    """An eval-mode S1 model plus the lock to hold while decoding with it."""

    model: Any  # Text2Semantic
    path: str
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class InferenceCaches:
    """The caches synthesis uses (sizes: models, encoders, BERT, reference prompt tokens)."""

    s1: LRUCache[LoadedS1] = field(default_factory=lambda: LRUCache(2, "s1"))
    s2: LRUCache[Any] = field(default_factory=lambda: LRUCache(2, "s2"))
    encoders: LRUCache[Any] = field(default_factory=lambda: LRUCache(2, "content encoders"))
    bert: LRUCache[Any] = field(default_factory=lambda: LRUCache(1, "bert"))
    prompts: LRUCache[Any] = field(default_factory=lambda: LRUCache(32, "reference prompts"))
    readouts: LRUCache[Any] = field(default_factory=lambda: LRUCache(4, "token readouts"))
    melodies: LRUCache[Any] = field(default_factory=lambda: LRUCache(4, "text melody models"))

    def clear(self) -> None:
        for cache in (self.s1, self.s2, self.encoders, self.bert, self.prompts, self.readouts, self.melodies):
            cache.clear()


_DEFAULT: InferenceCaches | None = None
_DEFAULT_LOCK = threading.Lock()


def default_caches() -> InferenceCaches:
    """The process-wide caches (created on first use)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = InferenceCaches()
        return _DEFAULT


def load_s1_cached(path: str | os.PathLike[str], caches: InferenceCaches) -> LoadedS1:
    """S1 weights (official .ckpt or ours) as an eval model in the fastest CPU dtype, cached."""

    def load() -> LoadedS1:
        from gpt_sovits.checkpoint.s1 import load_s1_model
        from gpt_sovits.models.s1.generate import preferred_dtype

        model = load_s1_model(path).to(preferred_dtype()).eval().prepare_for_inference()
        return LoadedS1(model=model, path=str(path))

    return caches.s1.get_or_create(file_key(path), load)


def load_s2_cached(path: str | os.PathLike[str], caches: InferenceCaches) -> Any:
    """S2 generator weights (official .pth or ours) as an eval model, weight norm folded, cached."""

    def load() -> Any:
        from gpt_sovits.errors import CheckpointError
        from gpt_sovits.features.semantic import load_latent_model

        model = load_latent_model(path)
        if model.cfg.sampling_rate != 32000:
            raise CheckpointError(f"{Path(path).name}: {model.cfg.sampling_rate} Hz S2 models are not supported")
        model.fold_weight_norm()
        return model

    return caches.s2.get_or_create(file_key(path), load)


def load_readout_cached(s2_path: str | os.PathLike[str], codebook_size: int, caches: InferenceCaches,
                        notes: list[str]) -> Any | None:
    """The token readout shipped beside ``s2_path`` (cached), None without one; an unusable file
    adds a note for the user and the voice synthesizes without the reading check."""
    from gpt_sovits.errors import CheckpointError
    from gpt_sovits.infer.reading_check import load_voice_readout, readout_beside

    path = readout_beside(s2_path)
    if not path.is_file():
        return None
    try:
        return caches.readouts.get_or_create((file_key(path), codebook_size),
                                             lambda: load_voice_readout(path, codebook_size))
    except CheckpointError as exc:
        notes.append(f"reading check off: {exc}")
        return None


def load_melody_cached(s2_path: str | os.PathLike[str], caches: InferenceCaches, notes: list[str]) -> Any | None:
    """The text melody model shipped beside ``s2_path`` (cached), None without one; an unusable
    file adds a note for the user and the voice keeps its decoder's melody."""
    from gpt_sovits.errors import CheckpointError
    from gpt_sovits.models.s2.melody import load_melody
    from gpt_sovits.voice_format import MELODY_FILE

    path = Path(s2_path).parent / MELODY_FILE
    if not path.is_file():
        return None
    try:
        return caches.melodies.get_or_create(file_key(path), lambda: load_melody(path))
    except CheckpointError as exc:
        notes.append(f"tones from the text off: {exc}")
        return None


def content_encoder_cached(kind: str, pretrained_root: Path | None, caches: InferenceCaches) -> Any:
    """The content encoder ``kind`` ("hubert" or "whisper-base"), cached."""
    from gpt_sovits.features.content import build_content_encoder

    root = str(pretrained_root.resolve()) if pretrained_root is not None else None
    return caches.encoders.get_or_create(
        (kind, root), lambda: build_content_encoder(kind, pretrained_root)
    )


def bert_cached(pretrained_root: Path | None, caches: InferenceCaches) -> Any:
    """The Chinese BERT featurizer from ``pretrained/chinese-roberta-wwm-ext-large``, cached."""
    from gpt_sovits.errors import ModelMissingError
    from gpt_sovits.features.bert import BertFeaturizer
    from gpt_sovits.registry import DOWNLOAD_FIX, ROBERTA_DIR, default_pretrained_root

    folder = (pretrained_root or default_pretrained_root()) / ROBERTA_DIR
    if not folder.is_dir():
        raise ModelMissingError(f"Chinese BERT is not installed ({folder}); get it with: {DOWNLOAD_FIX}")
    return caches.bert.get_or_create(str(folder.resolve()), lambda: BertFeaturizer.from_dir(folder))
