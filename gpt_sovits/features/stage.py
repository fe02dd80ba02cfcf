"""Feature-extraction stage: labelled slices -> per-slice feature cache (DESIGN §3).

For every slice: phones (text front-end), BERT features (gsv-v2, zeros otherwise), content
features (HuBERT or Whisper-base), semantic tokens (base S2) and the prepared 32 kHz audio, saved
atomically one slice at a time under ``features/<key>/`` (see :mod:`gpt_sovits.features.cache`).

The stage is idempotent and restartable: an up-to-date slice is skipped, a slice whose label
changed gets only its text features redone, a slice whose wav changed is redone completely, and a
run killed half-way resumes where it stopped. Entries of slices no longer listed are removed.
A slice that cannot be used (silence, unpronounceable text, unreadable wav) is reported in
``FeatureReport.failed`` and does not stop the others.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import soundfile as sf
import soxr
import torch

from gpt_sovits.errors import AudioFormatError, UnsupportedText
from gpt_sovits.features.bert import BertFeaturizer, bert_features
from gpt_sovits.features.cache import FeatureCache, SliceFeatures, audio_hash, feature_key, text_hash
from gpt_sovits.features.content import (
    AUDIO_SR,
    ContentEncoder,
    build_content_encoder,
    content_input,
    prepare_wav32k,
)
from gpt_sovits.features.semantic import LatentExtractor, extract_semantic, load_latent_model

Progress = Callable[[float, str], None] | None
TEXT_LANGUAGES = ("zh", "en", "auto")


@dataclass(frozen=True)
class SliceItem:
    """One labelled slice to extract features for.

    Args:
        slice_id: unique name of the slice (e.g. the wav's stem).
        wav_path: the slice's audio file (mono 32 kHz wav in a project; other rates are resampled).
        text: its label text.
        language: "zh", "en" or "auto" (upper case and an "all_" prefix are accepted).
    """

    slice_id: str
    wav_path: Path
    text: str
    language: str


@dataclass
class Extractors:
    """The models one profile's features need.

    Args:
        key: cache key (:func:`gpt_sovits.features.cache.feature_key`).
        content: the profile's content encoder.
        s2: the profile's base S2 generator (for semantic tokens).
        bert: BERT featurizer, or None for profiles without BERT (zeros).
        symbols: symbol-table version for phone ids.
    """

    key: str
    content: ContentEncoder
    s2: LatentExtractor
    bert: BertFeaturizer | None = None
    symbols: str = "v2"


@dataclass
class FeatureReport:
    """Outcome of :func:`extract_features`."""

    key: str
    folder: str
    total: int = 0
    extracted: int = 0  # all features (re)computed
    text_only: int = 0  # only phones/BERT recomputed (label edited)
    up_to_date: int = 0
    pruned: int = 0
    audio_seconds: float = 0.0  # audio newly encoded
    elapsed: float = 0.0
    failed: dict[str, str] = field(default_factory=dict)  # slice id -> reason

    @property
    def ready(self) -> int:
        return self.total - len(self.failed)


class FeatureProject(Protocol):
    """What the stage needs from :class:`gpt_sovits.data.project.Project`."""

    def features_dir(self, key: str) -> Path: ...

    def lock(self, what: str = ...) -> contextlib.AbstractContextManager[None]: ...


class ProfileLike(Protocol):
    """What the stage needs from :class:`gpt_sovits.registry.BaseProfile`."""

    name: str
    content_encoder: str
    bert: str | None
    s2g: Path


def build_extractors(profile: ProfileLike, pretrained_root: Path | None = None, device: str = "cpu") -> Extractors:
    """Load the encoders and base S2 a profile needs (raises ModelMissingError naming the fix)."""
    from gpt_sovits.registry import ROBERTA_DIR, default_pretrained_root

    root = pretrained_root or default_pretrained_root()
    bert = BertFeaturizer.from_dir(root / ROBERTA_DIR, device) if profile.bert == "roberta" else None
    return Extractors(
        key=feature_key(profile.name, profile.content_encoder),
        content=build_content_encoder(profile.content_encoder, root, device),
        s2=load_latent_model(profile.s2g, device),
        bert=bert,
    )


def text_language(language: str) -> str:
    """Label language -> front-end mode ("ZH" -> "zh", "all_zh" -> "zh")."""
    lang = language.strip().lower().removeprefix("all_")
    if lang not in TEXT_LANGUAGES:
        raise UnsupportedText(f"label language {language!r} is not supported; use zh or en")
    return lang


def load_wav32k(path: Path) -> np.ndarray:
    """A slice's audio as mono float32 ``[n]`` at 32 kHz."""
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)  # [n, ch]
    except (sf.LibsndfileError, OSError) as exc:
        raise AudioFormatError(f"cannot read {path.name} ({exc}); re-slice the recording") from exc
    mono = data.mean(axis=1)  # [n]
    if rate != AUDIO_SR and mono.size:
        mono = soxr.resample(mono, rate, AUDIO_SR, quality="HQ")
    return np.ascontiguousarray(mono, dtype=np.float32)


def _text_part(item: SliceItem, ex: Extractors) -> dict:
    from gpt_sovits.text import to_phones

    ph = to_phones(item.text, text_language(item.language), ex.symbols)
    bert = bert_features(ph, ex.bert) if ex.bert is not None else None  # [1024, p]
    return dict(norm_text=ph.norm_text, phones=list(ph.phones), phone_ids=list(ph.ids),
                word2ph=list(ph.word2ph), bert=bert)


def _audio_part(item: SliceItem, ex: Extractors) -> dict:
    wav32k = prepare_wav32k(load_wav32k(item.wav_path))  # [n]
    content = ex.content.encode(content_input(wav32k))[0]  # [c, t]
    semantic = extract_semantic(ex.s2, content)  # [t // 2]
    return dict(content=content, semantic=semantic, wav32k=torch.from_numpy(wav32k))


def _extract_one(
    item: SliceItem, get_extractors: Callable[[], Extractors], cache: FeatureCache, report: FeatureReport
) -> None:
    wav_hash = audio_hash(item.wav_path)
    label_hash = text_hash(item.text, item.language)
    audio_ok, text_ok = cache.freshness(item.slice_id, wav_hash, label_hash)
    if audio_ok and text_ok:
        report.up_to_date += 1
        return
    ex = get_extractors()
    text = _text_part(item, ex)
    if audio_ok:
        old = cache.load(item.slice_id)
        audio = dict(content=old.content, semantic=old.semantic, wav32k=old.wav32k)
    else:
        audio = _audio_part(item, ex)
        report.audio_seconds += audio["wav32k"].shape[0] / AUDIO_SR
    cache.save(SliceFeatures(slice_id=item.slice_id, text=item.text, language=item.language,
                             audio_hash=wav_hash, text_hash=label_hash, **text, **audio))
    if audio_ok:
        report.text_only += 1
    else:
        report.extracted += 1


def extract_features(
    project: FeatureProject,
    profile: ProfileLike,
    progress: Progress = None,
    *,
    items: Sequence[SliceItem],
    extractors: Extractors | None = None,
    prune: bool = True,
) -> FeatureReport:
    """Extract and cache the features of every labelled slice for one base profile.

    Args:
        project: the voice project (its lock is held while the stage runs).
        profile: the base profile (registry ``BaseProfile``) the features are for.
        progress: optional ``(fraction, message)`` callback.
        items: the labelled slices.
        extractors: preloaded models (default: loaded from ``pretrained/`` for ``profile``).
        prune: delete cache entries of slices that are not in ``items``.

    Raises:
        ModelMissingError: an encoder or the base S2 is not installed.
        ProjectError: the project is busy.
    """
    started = time.monotonic()
    ids = [item.slice_id for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError("slice ids must be unique; two labels point to the same slice name")
    key = extractors.key if extractors is not None else feature_key(profile.name, profile.content_encoder)
    with project.lock("extracting features"):
        cache = FeatureCache(project.features_dir(key))
        report = FeatureReport(key=key, folder=str(cache.folder), total=len(items))
        if progress:
            progress(0.0, f"extracting features for {len(items)} slices ({key})")
        loaded: list[Extractors] = [extractors] if extractors is not None else []

        def get_extractors() -> Extractors:  # models are loaded only if some slice needs work
            if not loaded:
                loaded.append(build_extractors(profile))
            return loaded[0]

        for index, item in enumerate(items):
            try:
                _extract_one(item, get_extractors, cache, report)
            except (AudioFormatError, UnsupportedText, ValueError, FileNotFoundError) as exc:
                report.failed[item.slice_id] = str(exc)
            if progress:
                progress((index + 1) / len(items), f"{index + 1}/{len(items)}: {item.slice_id}")
        if prune:
            report.pruned = cache.prune(set(ids))
    report.elapsed = time.monotonic() - started
    return report
