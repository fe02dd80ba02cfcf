"""Synthesis options: one validated dataclass shared by the UI, the CLI and the REST API."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from gpt_sovits.config import recommendation

LANGUAGES = ("auto", "zh", "en")
# the settings a base (profile.json "synthesis") or a voice (voice.json "synthesis") may recommend
TUNABLE = ("noise_scale", "intonation", "top_k", "top_p", "temperature", "repetition_penalty")


@dataclass(frozen=True)
class SynthesisOptions:
    """How to read a text aloud.

    Args:
        noise_scale: variation of the voice decoder (0 = flat and stable, 1 = lively). Default 0.5.
        length_scale: duration multiplier, 1 / speed (1.25 = slower, 0.8 = faster). Default 1.0.
        pitch: semitones up (+) or down (-), -12..12. Default 0 (the voice's own pitch).
        intonation: how much the melody rises and falls, 0 (monotone) .. 2; 1 = as the model
            predicts. Pitch and intonation need a decoder that predicts its own melody (the starter
            base's); other voices accept only the defaults.
        keep_reference_pitch: each segment's median pitch is the reference clip's (the melody's
            shape is the model's; ``pitch`` shifts from there). Default on; like ``pitch``, it needs
            a decoder that predicts its own melody, and other voices ignore it.
        text_melody: the melody's shape comes from the text's tones when the voice's base ships a
            text melody model (the starter's, for Mandarin; :mod:`gpt_sovits.models.s2.melody`).
            Default on; other voices and languages keep the decoder's own melody.
        top_k: sample among the k most likely speech tokens. Default 15.
        top_p: nucleus sampling threshold (1.0 = off). Default 1.0.
        temperature: sharpness of sampling (lower = more predictable). Default 1.0.
        repetition_penalty: discourages repeating recent speech tokens. Default 1.35.
        seed: same seed + same text + same voice = same audio. None picks a random seed.
        segmentation: how long text is split (see ``gpt_sovits.text.segment``). Default "punctuation".
        pause: seconds of silence between segments. Default 0.3.
        language: "auto" (mixed Chinese/English), "zh" or "en".
        max_retries: extra attempts per segment when the stability guard rejects a take.
        asr_check: also transcribe each segment with Whisper-base and retry when it drifts from the text.
    """

    noise_scale: float = 0.5
    length_scale: float = 1.0
    pitch: float = 0.0
    intonation: float = 1.0
    keep_reference_pitch: bool = True
    text_melody: bool = True
    top_k: int = 15
    top_p: float = 1.0
    temperature: float = 1.0
    repetition_penalty: float = 1.35
    seed: int | None = None
    segmentation: str = "punctuation"
    pause: float = 0.3
    language: str = "auto"
    max_retries: int = 2
    asr_check: bool = False

    def __post_init__(self) -> None:
        _check_range("noise_scale", self.noise_scale, 0.0, 2.0)
        _check_range("length_scale", self.length_scale, 0.5, 2.0, hint="speed 0.5x-2x")
        _check_range("pitch", self.pitch, -12.0, 12.0, hint="semitones")
        _check_range("intonation", self.intonation, 0.0, 2.0, hint="1 = as predicted")
        _check_int("top_k", self.top_k, 1, 1024)
        _check_range("top_p", self.top_p, 0.01, 1.0)
        _check_range("temperature", self.temperature, 0.01, 2.0)
        _check_range("repetition_penalty", self.repetition_penalty, 1.0, 3.0)
        _check_range("pause", self.pause, 0.0, 5.0)
        _check_int("max_retries", self.max_retries, 0, 10)
        for name in ("keep_reference_pitch", "text_melody"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name}: expected true or false, got {getattr(self, name)!r}")
        if self.seed is not None:
            _check_int("seed", self.seed, 0, 2**63 - 1)
        if self.language not in LANGUAGES:
            raise ValueError(f"language: {self.language!r} is not supported; choose one of {LANGUAGES}")
        if not isinstance(self.segmentation, str) or not self.segmentation:
            raise ValueError("segmentation: give a method name such as 'punctuation'")
        from gpt_sovits.text.segment import resolve_method

        try:
            resolve_method(self.segmentation)
        except ValueError as exc:
            raise ValueError(f"segmentation: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SynthesisOptions:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown option(s) {unknown}; valid options are {sorted(names)}")
        return cls(**data)


def recommended_settings(data: Any, where: str) -> dict[str, Any]:
    """Validated decoding settings recommended by a base or a voice (``{}`` when ``data`` is None).

    Raises:
        ValueError: not a mapping of :data:`TUNABLE` names to valid values; the message names ``where``.
    """
    data = recommendation(data, where, "synthesis", TUNABLE, '{"top_k": 3}')
    try:
        SynthesisOptions(**data)
    except ValueError as exc:
        raise ValueError(f'{where}: "synthesis" {exc}') from None
    return dict(data)


def options_for(recommended: dict[str, Any] | None = None, **given: Any) -> SynthesisOptions:
    """Options from the defaults, overridden by a voice's recommended settings, overridden by
    what the caller gives explicitly (arguments that are None are not given)."""
    chosen = {**(recommended or {}), **{k: v for k, v in given.items() if v is not None}}
    return SynthesisOptions.from_dict(chosen)


def _check_range(name: str, value: Any, low: float, high: float, hint: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name}: expected a number between {low} and {high}, got {value!r}")
    if not low <= value <= high:
        extra = f" ({hint})" if hint else ""
        raise ValueError(f"{name}: {value} is out of range; use {low}..{high}{extra}")


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name}: expected a whole number between {low} and {high}, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name}: {value} is out of range; use {low}..{high}")
