"""Inline pronunciation overrides: ``{重|chong2}``, ``{银行|yin2 hang2}``, ``{live|L IH1 V}``.

Syntax:

- ``{text|reading}`` forces the pronunciation of ``text``.
- If ``text`` is Chinese (Han characters only), ``reading`` is toned pinyin, one syllable per
  character, separated by spaces: ``{银行|yin2 hang2}``. Tones are digits 1-5 (5 = neutral);
  ``ü`` may be written ``v``, ``u:`` or ``ü`` (``{绿|lv4}``); tone marks work too (``{好|hǎo}``).
- Otherwise ``reading`` is ARPAbet (CMUdict symbols, a stress digit 0/1/2 on every vowel), space
  separated: ``{live|L IH1 V}``, ``{GPT|JH IY1 P IY1 T IY1}``.
- ``{{`` and ``}}`` stand for literal braces.

Anything else with braces (an unclosed ``{``, a lone ``}``, a missing ``|``, an empty text or
reading, the wrong number of syllables, invalid pinyin or ARPAbet) raises
:class:`TextOverrideError`, whose message names the 0-based character position in the input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gpt_sovits.errors import StudioError
from gpt_sovits.text.langsplit import is_han


class TextOverrideError(ValueError, StudioError):
    """A malformed inline override such as ``{重|chong}``; ``position`` is the 0-based offset."""

    def __init__(self, position: int, problem: str) -> None:
        super().__init__(f"inline pronunciation at position {position}: {problem}")
        self.position = position


@dataclass(frozen=True)
class Plain:
    """Literal text between overrides (escaped braces already resolved).

    Args:
        text: the characters.
        offsets: position of each character in the original input.
    """

    text: str
    offsets: tuple[int, ...]


@dataclass(frozen=True)
class Override:
    """A forced pronunciation.

    Args:
        position: offset of the opening brace in the input.
        surface: the text being pronounced (shown in ``norm_text``).
        language: "zh" (pinyin reading) or "en" (ARPAbet reading).
        phones: the forced phones.
        word2ph: phones per character of ``surface`` (zh: per syllable; en: all on the first
            character, 0 on the others).
    """

    position: int
    surface: str
    language: str
    phones: tuple[str, ...]
    word2ph: tuple[int, ...]


def _pinyin_to_phones(syllable: str) -> list[str]:
    from gpt_sovits.text.zh.pinyin import pinyin_to_phones

    return list(pinyin_to_phones(syllable))


def _validate_arpabet(phones: list[str]) -> None:
    from gpt_sovits.text.en.lexicon import validate_arpabet

    validate_arpabet(phones)


def parse_overrides(text: str) -> list[Plain | Override]:
    """Split ``text`` into plain pieces and resolved overrides, in order.

    Raises:
        TextOverrideError: malformed braces or readings (see the module docstring).
    """
    parts: list[Plain | Override] = []
    chars: list[str] = []
    offsets: list[int] = []

    def flush() -> None:
        if chars:
            parts.append(Plain("".join(chars), tuple(offsets)))
            chars.clear()
            offsets.clear()

    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "{}" and text[i + 1 : i + 2] == ch:  # escaped literal brace
            chars.append(ch)
            offsets.append(i)
            i += 2
        elif ch == "}":
            raise TextOverrideError(i, "unmatched '}'; write '}}' for a literal brace")
        elif ch == "{":
            end = _closing_brace(text, i)
            flush()
            parts.append(_resolve(text, i, end))
            i = end + 1
        else:
            chars.append(ch)
            offsets.append(i)
            i += 1
    flush()
    return parts


def _closing_brace(text: str, start: int) -> int:
    for j in range(start + 1, len(text)):
        if text[j] == "}":
            return j
        if text[j] == "{":
            raise TextOverrideError(
                j, f"'{{' inside the override opened at position {start}; write '{{{{' for a literal brace"
            )
    raise TextOverrideError(
        start, "unclosed '{'; close it as in {重|chong2} or write '{{' for a literal brace"
    )


def _resolve(text: str, start: int, end: int) -> Override:
    body = text[start + 1 : end]
    if body.count("|") != 1:
        what = "no '|'" if "|" not in body else "more than one '|'"
        raise TextOverrideError(
            start, f"{what} in {{{body}}}; write {{text|reading}}, e.g. {{重|chong2}} or {{live|L IH1 V}}"
        )
    surface_raw, reading = body.split("|")
    surface = surface_raw.strip()
    reading_start = start + 2 + len(surface_raw)
    if not surface:
        raise TextOverrideError(start, "empty text before '|'; write {text|reading}")
    if not reading.strip():
        raise TextOverrideError(reading_start, f"empty reading for {surface!r} after '|'")
    tokens = [(m.group(), reading_start + m.start()) for m in re.finditer(r"\S+", reading)]
    han = [is_han(ch) for ch in surface]
    if all(han):
        return _pinyin_override(start, surface, tokens)
    if any(han):
        raise TextOverrideError(
            start, f"{surface!r} mixes Chinese characters with other text; use one override per script"
        )
    return _arpabet_override(start, surface, tokens)


def _pinyin_override(start: int, surface: str, tokens: list[tuple[str, int]]) -> Override:
    if len(tokens) != len(surface):
        raise TextOverrideError(
            start,
            f"{surface!r} has {len(surface)} character(s) but the reading has {len(tokens)} "
            "syllable(s); give one toned syllable per character, e.g. {银行|yin2 hang2}",
        )
    phones: list[str] = []
    word2ph: list[int] = []
    for token, pos in tokens:
        try:
            syllable_phones = _pinyin_to_phones(token)
        except (ValueError, KeyError) as exc:
            raise TextOverrideError(pos, f"invalid pinyin for {surface!r}: {exc}") from None
        phones.extend(syllable_phones)
        word2ph.append(len(syllable_phones))
    return Override(start, surface, "zh", tuple(phones), tuple(word2ph))


def _arpabet_override(start: int, surface: str, tokens: list[tuple[str, int]]) -> Override:
    phones = [token.upper() for token, _ in tokens]
    for phone, (token, pos) in zip(phones, tokens, strict=True):
        try:
            _validate_arpabet([phone])
        except ValueError as exc:
            raise TextOverrideError(pos, f"{token!r} in the reading of {surface!r}: {exc}") from None
    word2ph = (len(phones),) + (0,) * (len(surface) - 1)
    return Override(start, surface, "en", tuple(phones), word2ph)
