"""Pretraining data: corpus features in two passes, semantic tokens after the codebook, lazy items.

1. Content features (Whisper-base) of every labelled corpus utterance go into the corpus
   project's feature cache (``features/pretrain.whisper-base/``) through the regular features
   stage. Until the codebook exists the semantic tokens are placeholders (:class:`NoCodebook`).
2. After :func:`gpt_sovits.pretrain.codebook.init_codebook`, :func:`refresh_semantic` rewrites the
   tokens of every entry whose tokens differ (cheap: a 1x1 projection and a nearest-entry search).
3. :func:`lazy_items` gives the trainers items that load from the cache on demand (a small LRU),
   so hours of audio never sit in memory at once.
4. :func:`run_split` fixes a run's validation utterances when it first splits, so a corpus that
   grows later (``corpus build --hours`` more) only adds training utterances; the exported profile
   carries the list, and a run continued from it (``--init-from``) keeps it (:func:`adopt_split`).
"""

from __future__ import annotations

import json
import shutil
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from safetensors import safe_open

from gpt_sovits.data.project import Project
from gpt_sovits.features.cache import FeatureCache, audio_hash, feature_key
from gpt_sovits.features.semantic import extract_semantic
from gpt_sovits.features.stage import Extractors, FeatureReport, SliceItem, extract_features
from gpt_sovits.fileio import atomic_write_json
from gpt_sovits.train.dataset import HOP, SAMPLE_RATE, TrainItem, load_items, split_items
from gpt_sovits.train.prepare import label_items

FEATURE_KEY = feature_key("pretrain", "whisper-base")
VAL_FILE = "val.json"  # in RUN/run/: the run's validation utterances


class NoCodebook:
    """Placeholder latent extractor: token 0 everywhere (replaced by :func:`refresh_semantic`)."""

    def extract_latent(self, ssl: torch.Tensor) -> torch.Tensor:  # [1, c, t] -> [1, 1, t // 2]
        return torch.zeros(ssl.shape[0], 1, ssl.shape[-1] // 2, dtype=torch.long)


@dataclass
class _Profile:
    name: str = "pretrain"
    content_encoder: str = "whisper-base"
    bert: str | None = None
    s2g: Path = Path("-")


def corpus_features(project: Project, latent, pretrained_root: Path | None) -> tuple[FeatureCache, FeatureReport]:
    """Bring the corpus feature cache up to date (content features; tokens from ``latent``).

    The Whisper-base encoder is loaded only when some utterance has no cache entry yet.
    """
    from gpt_sovits.features.content import build_content_encoder

    items = label_items(project)
    cache = FeatureCache(project.features_dir(FEATURE_KEY))
    stale = any(not cache.freshness(i.slice_id, audio_hash(i.wav_path), "")[0] for i in items)
    content = build_content_encoder("whisper-base", pretrained_root) if stale else None
    extractors = Extractors(key=FEATURE_KEY, content=content, s2=latent)  # type: ignore[arg-type]
    return cache, extract_features(project, _Profile(), items=items, extractors=extractors)


def cached_ids(cache: FeatureCache, items: list[SliceItem]) -> list[str]:
    return [i.slice_id for i in items if cache.read_meta(i.slice_id) is not None]


@torch.no_grad()
def refresh_semantic(cache: FeatureCache, slice_ids: list[str], model) -> int:
    """Recompute every entry's tokens with ``model`` (the S2 with its codebook); returns rewrites."""
    changed = 0
    for slice_id in slice_ids:
        feats = cache.load(slice_id)
        tokens = extract_semantic(model, feats.content)
        if not torch.equal(tokens, feats.semantic.long()):
            cache.save(replace(feats, semantic=tokens))
            changed += 1
    return changed


class _Loader:
    """Loads whole items from the cache with a small least-recently-used memory."""

    def __init__(self, cache: FeatureCache, capacity: int = 48) -> None:
        self.cache, self.capacity = cache, capacity
        self._items: OrderedDict[str, TrainItem] = OrderedDict()

    def get(self, slice_id: str) -> TrainItem:
        if slice_id in self._items:
            self._items.move_to_end(slice_id)
            return self._items[slice_id]
        item = load_items(self.cache, [slice_id])[0]
        self._items[slice_id] = item
        if len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return item


class LazyItem:
    """A :class:`TrainItem` stand-in: ``frames``/``seconds`` known up front, tensors loaded on use."""

    def __init__(self, loader: _Loader, slice_id: str, frames: int) -> None:
        self._loader, self.slice_id, self.frames = loader, slice_id, frames

    @property
    def seconds(self) -> float:
        return self.frames * HOP / SAMPLE_RATE

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._loader.get(self.slice_id), name)


def _frames(cache: FeatureCache, slice_id: str) -> int:
    """Usable 50 Hz frames of an entry from its header only (0 = unusable), like ``load_items``."""
    with safe_open(str(cache.path(slice_id)), framework="pt") as handle:
        t = handle.get_slice("content").get_shape()[-1]
        n = handle.get_slice("wav32k").get_shape()[0]
        phones = handle.get_slice("phone_ids").get_shape()[0]
        tokens = handle.get_slice("semantic").get_shape()[0]
    frames = min(t, n // HOP) // 2 * 2
    return frames if frames >= 2 and phones and tokens else 0


def lazy_items(cache: FeatureCache, slice_ids: list[str]) -> list[LazyItem]:
    """Items for every usable cached utterance (one shared loader)."""
    loader = _Loader(cache)
    found = []
    for slice_id in slice_ids:
        frames = _frames(cache, slice_id)
        if frames:
            found.append(LazyItem(loader, slice_id, frames))
    return found


def run_split(run_dir: Path, items: list, n_val: int, seed: int, keep: bool = True) -> tuple[list, list]:
    """A run's (training, validation) items: the validation utterances listed in ``run_dir/val.json``,
    else a seeded :func:`split_items`, which ``keep`` writes there for every later call.

    A seeded split of a grown corpus would move utterances the run has trained on into validation;
    the kept list makes new utterances training material only (listed ones that vanished are
    dropped).
    """
    path = run_dir / VAL_FILE
    if path.is_file():
        listed = set(json.loads(path.read_text(encoding="utf-8"))["val"])
        return [i for i in items if i.slice_id not in listed], [i for i in items if i.slice_id in listed]
    train, val = split_items(items, n_val, seed)
    if keep:
        atomic_write_json(path, {"val": [item.slice_id for item in val]})
    return train, val


def adopt_split(profile: Path, run_dir: Path, name: str = VAL_FILE) -> bool:
    """Give a new run started from an exported ``profile`` the validation list of the run that
    made it (the profile's ``val.json``), so those utterances stay unseen; False when the profile
    has none or the run already has its own. ``name``: another file the run keeps the same way
    (the phone loss's recogniser)."""
    source, target = profile / name, run_dir / name
    if not source.is_file() or target.exists():
        return False
    run_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return True
