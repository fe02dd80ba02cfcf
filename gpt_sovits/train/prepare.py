"""Training data preparation: base profile, up-to-date feature cache, train/validation split,
reference clip and preview sentence."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from gpt_sovits.data.labels import label_check, load_labels
from gpt_sovits.data.project import Project
from gpt_sovits.errors import ProjectError, UnsupportedText
from gpt_sovits.features.cache import FeatureCache, audio_hash, feature_key, text_hash
from gpt_sovits.features.stage import SliceItem, build_extractors, extract_features, text_language
from gpt_sovits.registry import BaseProfile, Registry, default_pretrained_root
from gpt_sovits.train.config import TrainConfig
from gpt_sovits.train.dataset import TrainItem, auto_val_count, load_items, split_items
from gpt_sovits.train.events import EventCallback, InfoEvent
from gpt_sovits.train.export import choose_reference
from gpt_sovits.train.samples import Previewer


@dataclass
class TrainData:
    """Everything the stages need about the data.

    Args:
        profile: the base profile.
        train / val: training and held-out items.
        reference: the reference slice (export and previews); reference_reason: why it was chosen;
            reference_doubt: what is doubtful about it ("" / "unsure" / "no_clean", ``ReferenceChoice``).
        sample_phone_ids: phone ids of the preview sentence (None if it cannot be phonemized).
        emit: the run's event sink.
        pretrained_root: the ``pretrained/`` folder the base came from (None = the checkout's).
    """

    profile: BaseProfile
    train: list[TrainItem]
    val: list[TrainItem]
    reference: TrainItem
    reference_reason: str
    sample_phone_ids: list[int] | None
    emit: EventCallback
    pretrained_root: Path | None = None
    reference_doubt: str = ""

    def emit_info(self, message: str, stage: str = "prepare", code: str = "", **values: Any) -> None:
        self.emit(InfoEvent(stage=stage, message=message, code=code, values=values))

    def previewer(self, config: TrainConfig) -> Previewer | None:
        if not config.samples or not self.sample_phone_ids:
            return None
        return Previewer(self.reference, self.sample_phone_ids, config.sample_max_tokens, config.seed)


def resolve_profile(name: str, pretrained_root: Path | None = None) -> BaseProfile:
    """The base profile to fine-tune (it must be trainable, else :class:`ModelMissingError` with
    the fix); the built-in ``tiny`` / ``tiny-nodisc`` profiles are created on demand."""
    from gpt_sovits.tiny_base import NO_DISC_PROFILE_NAME, TINY_PROFILES, ensure_tiny_profile

    root = pretrained_root or default_pretrained_root()
    if name in TINY_PROFILES:
        ensure_tiny_profile(root, discriminator=name != NO_DISC_PROFILE_NAME)
    return Registry(root).profile(name, train=True)


def label_items(project: Project) -> list[SliceItem]:
    """Labelled slices (non-empty text, wav present) as feature-stage items, id = wav stem."""
    items = []
    for entry in load_labels(project.root):
        wav = project.root / entry.path
        if entry.text.strip() and wav.is_file():
            items.append(SliceItem(Path(entry.name).stem, wav, entry.text, entry.lang))
    return items


def flagged_slices(project: Project) -> set[str]:
    """Slice ids whose label needs a look (:func:`~gpt_sovits.data.labels.label_check`)."""
    state = project.state("label")
    return {Path(e.name).stem for e in load_labels(project.root) if label_check(e, state.get(e.name) or {})}


def label_confidence(project: Project) -> dict[str, float]:
    """Slice id -> how sure we are of its text: the recogniser's average log-probability while
    the text is still what it heard, 0.0 once the user typed or corrected it."""
    state = project.state("label")
    confidence = {}
    for entry in load_labels(project.root):
        info = state.get(entry.name) or {}
        heard = info.get("avg_logprob") is not None and info.get("text") == entry.text
        confidence[Path(entry.name).stem] = float(info["avg_logprob"]) if heard else 0.0
    return confidence


def _sample_phones(config: TrainConfig, language: str, emit: EventCallback) -> list[int] | None:
    from gpt_sovits.text import to_phones

    sentence = config.sample_sentence(language)
    try:
        return list(to_phones(sentence, text_language(language if language in ("zh", "en") else "auto")).ids)
    except (UnsupportedText, ValueError) as exc:
        emit(InfoEvent(stage="prepare", message=f"previews disabled: cannot phonemize {sentence!r} ({exc})",
                       code="no_previews"))
        return None


def _update_features(project: Project, profile: BaseProfile, items: list[SliceItem], root: Path | None,
                     emit: EventCallback) -> tuple[FeatureCache, set[str]]:
    cache = FeatureCache(project.features_dir(feature_key(profile.name, profile.content_encoder)))
    stale = [i for i in items
             if cache.freshness(i.slice_id, audio_hash(i.wav_path), text_hash(i.text, i.language)) != (True, True)]
    extractors = build_extractors(profile, root) if stale else None
    if stale:
        emit(InfoEvent(stage="prepare", message=f"extracting features for {len(stale)} slices", code="features",
                       values={"count": len(stale)}))
    report = extract_features(project, profile, items=items, extractors=extractors)
    for slice_id, reason in report.failed.items():
        emit(InfoEvent(stage="prepare", message=f"slice {slice_id} left out: {reason}", code="left_out",
                       values={"slice": slice_id, "reason": reason}))
    return cache, set(report.failed)


def prepare_data(project: Project, config: TrainConfig, emit: EventCallback, pretrained_root: Path | None,
                 device: torch.device) -> TrainData:
    """Resolve the profile, update the feature cache and build the train/validation split.

    Raises:
        ProjectError: no labelled slice with usable features.
    """
    profile = resolve_profile(config.base, pretrained_root)
    items = label_items(project)
    if not items:
        raise ProjectError(f"project '{project.root.name}' has no labelled slices; slice and label "
                           "your recordings first")
    cache, failed = _update_features(project, profile, items, pretrained_root, emit)
    all_items = load_items(cache, [i.slice_id for i in items if i.slice_id not in failed])
    if not all_items:
        raise ProjectError("none of the labelled slices could be used (see the messages above); check the "
                           "recordings and labels")
    n_val = config.val_slices or auto_val_count(len(all_items))
    train, val = split_items(all_items, n_val, config.seed)
    choice = choose_reference(all_items, flagged_slices(project), label_confidence(project))
    languages = project.meta.languages or ["zh"]
    seconds = sum(i.seconds for i in all_items)
    emit(InfoEvent(stage="prepare", message=f"{len(train)} training and {len(val)} validation slices "
                                            f"({seconds:.1f} s); reference {choice.reason}; device {device}",
                   code="split", values={"train": len(train), "val": len(val), "seconds": f"{seconds:.1f}",
                                         "reference": choice.item.slice_id, "device": str(device)}))
    if choice.doubt:  # the studio asks for a better reference clip in the user's language
        emit(InfoEvent(stage="prepare", message=f"reference {choice.reason}", code=f"reference_{choice.doubt}",
                       values={"reference": choice.item.slice_id, "seconds": f"{choice.item.seconds:.1f}"}))
    return TrainData(profile, train, val, choice.item, choice.reason, _sample_phones(config, languages[0], emit),
                     emit, pretrained_root, reference_doubt=choice.doubt)
