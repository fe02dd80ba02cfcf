"""``/tts`` parameters with the original api_v2's names and defaults, validated into our options.

Accepted and ignored (they tune features of the original we do not have, or do not need):
batch_size, batch_threshold, split_bucket, parallel_infer, sample_steps, super_sampling,
overlap_length, min_chunk_length. ``streaming_mode`` false/0 returns one file; true or 1-3
stream one piece per text segment (a wav header first, then PCM, for wav).

top_k, top_p, temperature and repetition_penalty left out of a request take the settings the
voice's base recommends (profile.json / voice.json "synthesis"), else api_v2's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gpt_sovits.infer.options import SynthesisOptions, options_for

# api_v2 language codes -> our front-end modes (zh = Chinese-English mixed, all_zh = Chinese only).
LANGUAGES = {"zh": "auto", "all_zh": "zh", "en": "en", "auto": "auto"}
MEDIA_TYPES = ("wav", "raw", "ogg", "aac", "mp3")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


class ParamError(ValueError):
    """A bad ``/tts`` parameter; the message names it."""


@dataclass
class TTSParams:
    """One ``/tts`` request (names and defaults as in api_v2; None = not given, see the module doc)."""

    text: str
    text_lang: str
    ref_audio_path: str | None
    prompt_lang: str
    aux_ref_audio_paths: list[str] = field(default_factory=list)
    prompt_text: str = ""
    top_k: int | None = None
    top_p: float | None = None
    temperature: float | None = None
    text_split_method: str = "cut5"
    speed_factor: float = 1.0
    fragment_interval: float = 0.3
    seed: int = -1
    media_type: str = "wav"
    streaming_mode: int = 0
    repetition_penalty: float | None = None

    def options(self, recommended: dict[str, Any] | None = None) -> SynthesisOptions:
        """Our validated options, the voice's ``recommended`` settings filling what the request left
        out (ParamError names a bad field in api_v2 terms)."""
        try:
            return options_for(
                recommended, top_k=self.top_k, top_p=self.top_p, temperature=self.temperature,
                repetition_penalty=self.repetition_penalty, seed=None if self.seed < 0 else self.seed,
                segmentation=self.text_split_method, pause=self.fragment_interval,
                language=LANGUAGES[self.text_lang], length_scale=1.0 / self.speed_factor,
            )
        except ValueError as exc:
            message = str(exc).replace("length_scale", "speed_factor (as 1/speed)").replace(
                "pause", "fragment_interval")
            raise ParamError(message) from exc


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ParamError(f"{name}: expected true or false, got {value!r}")


def _number(name: str, value: Any, kind: type) -> Any:
    if isinstance(value, bool):
        raise ParamError(f"{name}: expected a number, got {value!r}")
    try:
        number = kind(value) if kind is float else int(str(value).strip())
    except (TypeError, ValueError):
        raise ParamError(f"{name}: expected {'a whole number' if kind is int else 'a number'}, got {value!r}") from None
    return number


def _given(name: str, data: Mapping[str, Any], kind: type) -> Any:
    """The number ``data[name]``, or None when the request leaves it out (or sends it empty)."""
    value = data.get(name)
    return None if value is None or value == "" else _number(name, value, kind)


def _streaming(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE and not text.isdigit():
        return int(text in _TRUE)
    if text in ("0", "1", "2", "3"):
        return int(text)
    raise ParamError(f"streaming_mode: use false/true or 0-3, got {value!r}")


def _language(name: str, value: Any) -> str:
    code = str(value or "").strip().lower()
    if code not in LANGUAGES:
        raise ParamError(f"{name}: {value!r} is not supported; use one of {', '.join(LANGUAGES)}")
    return code


def parse_tts(data: Mapping[str, Any], aux_paths: list[str] | None = None) -> TTSParams:
    """Validate raw request values (query strings or JSON) into :class:`TTSParams`.

    Raises:
        ParamError: a missing required parameter or a malformed value.
    """
    text = data.get("text")
    if not text or not str(text).strip():
        raise ParamError("text is required")
    if not data.get("text_lang"):
        raise ParamError("text_lang is required")
    media = str(data.get("media_type", "wav")).lower()
    if media not in MEDIA_TYPES:
        raise ParamError(f"media_type: {media!r} is not supported; use one of {', '.join(MEDIA_TYPES)}")
    aux = aux_paths if aux_paths is not None else data.get("aux_ref_audio_paths") or []
    if isinstance(aux, str):
        aux = [aux]
    params = TTSParams(
        text=str(text), text_lang=_language("text_lang", data["text_lang"]),
        ref_audio_path=str(data["ref_audio_path"]) if data.get("ref_audio_path") else None,
        prompt_lang=_language("prompt_lang", data.get("prompt_lang") or data["text_lang"]),
        aux_ref_audio_paths=[str(p) for p in aux], prompt_text=str(data.get("prompt_text") or ""),
        top_k=_given("top_k", data, int),
        top_p=_given("top_p", data, float),
        temperature=_given("temperature", data, float),
        text_split_method=str(data.get("text_split_method", "cut5")),
        speed_factor=_number("speed_factor", data.get("speed_factor", 1.0), float),
        fragment_interval=_number("fragment_interval", data.get("fragment_interval", 0.3), float),
        seed=_number("seed", data.get("seed", -1), int), media_type=media,
        streaming_mode=_streaming(data.get("streaming_mode", False)),
        repetition_penalty=_given("repetition_penalty", data, float),
    )
    from gpt_sovits.text.segment import resolve_method

    try:
        resolve_method(params.text_split_method)
    except ValueError as exc:
        raise ParamError(f"text_split_method: {exc}") from None
    if params.speed_factor <= 0:
        raise ParamError(f"speed_factor: must be above 0, got {params.speed_factor}")
    for name in ("split_bucket", "parallel_infer", "super_sampling"):
        if name in data:
            _bool(name, data[name])
    return params
