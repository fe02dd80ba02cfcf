"""Voices: everything synthesis needs, ready in memory.

A :class:`Voice` is S1 + S2 weights, the reference's timbre spectrograms, and (unless in
reference-free mode) the S1 prompt: the reference's semantic tokens with the phones and BERT
features of its transcript. Build one from an exported voice folder (:func:`load_voice`), from a
base profile plus any 3-10 s clip (:func:`zero_shot_voice`), or from explicit weight files
(:func:`build_voice`, used by the REST API). Models and prompt tokens come from bounded caches,
so building the same voice again is cheap.

Shapes: p = prompt phones, d = BERT dim, t25 = prompt tokens, f x t = spectrogram.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from gpt_sovits.infer.cache import (
    InferenceCaches,
    LoadedS1,
    bert_cached,
    content_encoder_cached,
    default_caches,
    file_key,
    load_melody_cached,
    load_readout_cached,
    load_s1_cached,
    load_s2_cached,
)
from gpt_sovits.infer.reference import AudioSource, ReferenceClip, check_reference, reference_spec

log = logging.getLogger(__name__)

_FINAL_MARKS = "，。？！,.?!~:：—…;；、"
ENCODER_BY_DIM = {768: "hubert", 512: "whisper-base"}


@dataclass
class Voice:
    """A ready-to-speak voice (see the module docstring).

    Args:
        name: display name.
        s1: the S1 model with its decoding lock.
        s2: the S2 generator (eval, weight norm folded).
        ref_specs: one ``[1, f, t]`` spectrogram per reference (main first); timbres are averaged.
        prompt: ``[t25]`` semantic tokens of the main reference, or None (reference-free mode).
        prompt_text: transcript of the main reference ("" in reference-free mode).
        prompt_ids: phone ids of the transcript (empty in reference-free mode).
        prompt_bert: ``[d, p]`` BERT features of the transcript.
        bert: Chinese BERT featurizer for target text, or None (zeros).
        content_encoder: "hubert" or "whisper-base".
        profile: base profile name ("gsv-v2", "starter", ... or "custom").
        notes: things worth telling the user (e.g. the reference was trimmed).
        readout: the base's token readout when it ships one (synthesis then keeps the S1 take
            that spells the text best, :mod:`gpt_sovits.infer.reading_check`), else None.
        prompt_alignment: for an S1 with a phone pointer, the phone (index into ``prompt_ids``)
            of each prompt token (:mod:`gpt_sovits.features.token_align`); None otherwise.
        recommended: decoding settings this voice reads best with (from its base; see
            :func:`gpt_sovits.infer.options.options_for`), ``{}`` for the defaults.
        pitch_hz: the main reference's median pitch, where synthesis puts each segment's median
            (``SynthesisOptions.keep_reference_pitch``); None when the decoder cannot move its melody
            or the reference has too little voicing.
        melody: the base's text melody model (``melody.safetensors`` beside the S2 weights,
            :mod:`gpt_sovits.models.s2.melody`) for a decoder that can move its melody, else None.
    """

    name: str
    s1: LoadedS1
    s2: Any
    ref_specs: list[torch.Tensor]
    prompt: torch.Tensor | None
    prompt_text: str
    prompt_ids: list[int]
    prompt_bert: torch.Tensor
    bert: Any
    content_encoder: str
    profile: str
    notes: list[str] = field(default_factory=list)
    sample_rate: int = 32000
    readout: Any = None
    prompt_alignment: list[int] | None = None
    recommended: dict[str, Any] = field(default_factory=dict)
    pitch_hz: float | None = None
    melody: Any = None

    @property
    def reference_free(self) -> bool:
        return self.prompt is None

    @property
    def symbols_version(self) -> str:
        return self.s1.model.config.symbols_version

    @property
    def bert_dim(self) -> int:
        return self.s1.model.config.bert_dim


def with_final_mark(text: str, language: str) -> str:
    """The original gives the prompt text a final "。" ("." for English) when it has none."""
    text = text.strip()
    if text and text[-1] not in _FINAL_MARKS:
        text += "." if language == "en" else "。"
    return text


def _target_bert(phonemized: Any, featurizer: Any, dim: int) -> torch.Tensor:
    from gpt_sovits.features.bert import bert_features

    return bert_features(phonemized, featurizer, dim=dim)  # [d, p]


def _prompt_tokens(clip: ReferenceClip, s2_path: Path, s2: Any, encoder_kind: str, encoder: Any,
                   pretrained_root: Path | None, caches: InferenceCaches) -> torch.Tensor:
    from gpt_sovits.features.semantic import reference_semantic

    def compute() -> torch.Tensor:
        enc = encoder or content_encoder_cached(encoder_kind, pretrained_root, caches)
        return reference_semantic(clip.audio, enc, s2)

    key = (clip.digest, file_key(s2_path), encoder_kind, id(encoder) if encoder is not None else None)
    return caches.prompts.get_or_create(key, compute)


def build_voice(
    s1_path: str | Path,
    s2_path: str | Path,
    reference: AudioSource,
    ref_text: str | None = None,
    *,
    ref_language: str = "auto",
    extra_refs: Sequence[AudioSource] = (),
    content_encoder: str | None = None,
    bert: str | None = None,
    name: str = "voice",
    profile: str = "custom",
    pretrained_root: Path | None = None,
    encoder: Any = None,
    caches: InferenceCaches | None = None,
    recommended: dict[str, Any] | None = None,
) -> Voice:
    """A voice from explicit S1/S2 weight files (official or ours) and a reference clip.

    Args:
        content_encoder: "hubert" / "whisper-base"; None picks it from the S2 feature width.
        bert: "roberta" to use Chinese BERT features (needs the model installed), None for zeros.
        encoder: a content encoder object to use instead of the registry's (tests, services).
        recommended: decoding settings the voice reads best with (validated already).
        Other arguments as in :func:`zero_shot_voice`.

    Raises:
        AudioFormatError: bad reference clip. CheckpointError: unreadable weights.
        ModelMissingError: an encoder the voice needs is not installed.
    """
    from gpt_sovits.text import to_phones

    caches = caches or default_caches()
    s1 = load_s1_cached(s1_path, caches)
    s2 = load_s2_cached(s2_path, caches)
    kind = content_encoder or ENCODER_BY_DIM.get(s2.cfg.ssl_dim, "whisper-base")
    has_text = bool(ref_text and ref_text.strip())
    clip = check_reference(reference, has_text=has_text)
    extras = [check_reference(r, has_text=False, extra=True) for r in extra_refs]
    notes = [c.note for c in (clip, *extras) if c.note]
    cfg = s2.cfg
    specs = [reference_spec(c.audio, cfg.filter_length, cfg.hop_length, cfg.win_length) for c in (clip, *extras)]
    featurizer = bert_cached(pretrained_root, caches) if bert == "roberta" else None
    dim = s1.model.config.bert_dim
    prompt, prompt_text, prompt_ids = None, "", []
    prompt_bert = torch.zeros(dim, 0)
    if has_text:
        prompt_text = with_final_mark(ref_text or "", ref_language)
        phonemized = to_phones(prompt_text, ref_language, s1.model.config.symbols_version)
        prompt_ids = list(phonemized.ids)
        prompt_bert = _target_bert(phonemized, featurizer, dim)
        prompt = _prompt_tokens(clip, Path(s2_path), s2, kind, encoder, pretrained_root, caches)
    readout = load_readout_cached(s2_path, cfg.codebook_size, caches, notes)
    alignment = _prompt_alignment(s1.model.config.phone_pointer, prompt, prompt_ids, readout, notes)
    melody = load_melody_cached(s2_path, caches, notes) if s2.controls_pitch else None
    recommended = dict(recommended or {})
    if not s2.controls_pitch and recommended.pop("intonation", 1.0) != 1.0:
        notes.append("the recommended intonation is ignored: this voice's decoder cannot change its melody")
    for note in notes:
        log.info(note)
    return Voice(name=name, s1=s1, s2=s2, ref_specs=specs, prompt=prompt, prompt_text=prompt_text,
                 prompt_ids=prompt_ids, prompt_bert=prompt_bert, bert=featurizer, content_encoder=kind,
                 profile=profile, notes=notes, readout=readout, prompt_alignment=alignment,
                 recommended=recommended, pitch_hz=_reference_pitch(s2, clip), melody=melody)


def _reference_pitch(s2: Any, clip: ReferenceClip) -> float | None:
    """The reference's median pitch for a decoder that can move its melody, else None."""
    from gpt_sovits.audio.pitch import melody_of
    from gpt_sovits.models.s2.envelope_decoder import F0_LIMITS

    found = melody_of(clip.audio, 32000) if s2.controls_pitch else None
    return found.median_hz if found is not None and F0_LIMITS[0] <= found.median_hz <= F0_LIMITS[1] else None


def _prompt_alignment(pointed: bool, prompt: torch.Tensor | None, prompt_ids: list[int], readout: Any,
                      notes: list[str]) -> list[int] | None:
    """The phone of each prompt token, for an S1 with a phone pointer (None otherwise): read by
    the base's token readout, else spread evenly (with a note: the voice then reads less surely)."""
    from gpt_sovits.features.token_align import align_tokens

    if not pointed or prompt is None:
        return None
    if readout is None:
        notes.append("this voice's S1 follows the text phone by phone, but its token readout "
                     "(token-readout.safetensors beside the S2 weights) is missing: the reference is aligned "
                     "evenly, which may blur the first words; export the voice again from its base")
    return align_tokens(readout, prompt, prompt_ids)


def zero_shot_voice(
    profile: Any,
    ref_wav: AudioSource,
    ref_text: str | None = None,
    extra_refs: Sequence[AudioSource] = (),
    registry: Any = None,
    *,
    ref_language: str = "auto",
    encoder: Any = None,
    caches: InferenceCaches | None = None,
) -> Voice:
    """A voice from a base profile and any 3-10 s reference clip.

    Args:
        profile: a profile name ("gsv-v2", "starter", ...) or a ``registry.BaseProfile``.
        ref_wav: the reference: an audio file or mono float32 samples at 32 kHz.
        ref_text: its exact transcript; None or "" = reference-free mode (timbre only, no S1
            prompt; a clip longer than 10 s is then trimmed to its best 9.5 s).
        extra_refs: more clips of the same speaker; their timbre is averaged with the main one.
        registry: a ``gpt_sovits.registry.Registry`` (default: the checkout's pretrained/).
        ref_language: language of ``ref_text`` ("auto", "zh", "en").
    """
    from gpt_sovits.registry import Registry

    registry = registry or Registry()
    prof = registry.profile(profile) if isinstance(profile, str) else profile
    return build_voice(
        prof.s1, prof.s2g, ref_wav, ref_text, ref_language=ref_language, extra_refs=extra_refs,
        content_encoder=prof.content_encoder, bert=prof.bert, name=f"{prof.name} (zero-shot)",
        profile=prof.name, pretrained_root=registry.root, encoder=encoder, caches=caches,
        recommended=prof.synthesis,
    )


def load_voice(
    path: str | Path,
    registry: Any = None,
    *,
    extra_refs: Sequence[AudioSource] = (),
    encoder: Any = None,
    caches: InferenceCaches | None = None,
) -> Voice:
    """An exported voice folder (``voices/<name>/``: voice.json, s1/s2g weights, reference.wav).

    Raises:
        CheckpointError: not a (complete) voice folder.
    """
    from gpt_sovits.registry import Registry
    from gpt_sovits.voice_format import REFERENCE_WAV, S1_FILE, S2G_FILE, read_voice_dir

    folder = Path(path)
    manifest = read_voice_dir(folder)
    root = (registry or Registry()).root
    return build_voice(
        folder / S1_FILE, folder / S2G_FILE, folder / REFERENCE_WAV, manifest.reference_text,
        ref_language=manifest.reference_language, extra_refs=extra_refs,
        content_encoder=manifest.content_encoder, bert=manifest.bert, name=manifest.name,
        profile=manifest.profile, pretrained_root=root, encoder=encoder, caches=caches,
        recommended=manifest.synthesis,
    )
