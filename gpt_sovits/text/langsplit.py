"""Split text into runs of one language by script: Han -> "zh", Latin -> "en".

Rules (deliberately simple and predictable, no statistical language detection):

- Han ideographs start or continue a "zh" run, Latin letters an "en" run.
- Digits, punctuation, symbols and spaces are *neutral*: they join the neighbouring run. Between
  runs of different languages they join the run before them, except that a group of digits written
  directly against a following Han character joins that Chinese run ("I have 3个" -> "3个"), so that
  quantities before measure words are read in Chinese.
- Letters of other scripts (Cyrillic, Arabic, Hangul, kana, Greek, ...), emoji and other pictographic
  symbols are dropped, replaced by a space, and reported as :class:`Skipped` spans.
- In mode "en" the whole text is one English run (Han characters are dropped and reported).
- Text with no letters at all (only digits/punctuation) becomes one run in the mode's default
  language: "zh" for mode "zh"; for "auto", "zh" if it contains full-width or CJK punctuation,
  else "en".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

MODES: tuple[str, ...] = ("auto", "zh", "en")

# Character classes.
HAN, LATIN, DIGIT, NEUTRAL, MARK, DROP = "han", "latin", "digit", "neutral", "mark", "drop"
EMOJI_OR_SYMBOL = "emoji or pictographic symbol"
UNASSIGNED = "unassigned or private-use character"


@dataclass(frozen=True)
class Skipped:
    """A span of input that was not pronounced.

    Args:
        position: offset of the span's first character in the input text (0-based).
        text: the characters that were dropped.
        script: why, e.g. "CYRILLIC", "HANGUL", "HAN" (in English mode), "emoji or pictographic symbol".
    """

    position: int
    text: str
    script: str


@lru_cache(maxsize=8192)
def char_class(ch: str) -> str:
    """Classify one character: HAN, LATIN, DIGIT, NEUTRAL, MARK, DROP, or an unsupported script name."""
    if ch.isascii():
        if ch.isalpha():
            return LATIN
        if ch.isdigit():
            return DIGIT
        return NEUTRAL if ch.isprintable() or ch in "\n\t\r" else DROP
    if ch == "〇":  # IDEOGRAPHIC NUMBER ZERO is a letter-number (Nl), read as a Han character
        return HAN
    cat = unicodedata.category(ch)
    name = unicodedata.name(ch, "")
    if cat[0] == "L":
        return _letter_class(name)
    if cat == "Nd":
        return DIGIT if name.startswith("FULLWIDTH DIGIT") else (name.split(" ")[0] or UNASSIGNED)
    if cat[0] == "M":
        return MARK
    if cat == "Cf":
        return DROP
    if cat in ("Co", "Cn", "Cs"):
        return UNASSIGNED
    if cat == "Cc":
        return DROP
    if (cat == "So" and not _pronounceable_symbol(ch)) or name.startswith("EMOJI"):
        return EMOJI_OR_SYMBOL
    return NEUTRAL  # punctuation, spaces, other numbers, math/currency/letterlike symbols


def _letter_class(name: str) -> str:
    if name.startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")):
        return HAN
    if name.startswith(("LATIN", "FULLWIDTH LATIN")):
        return LATIN
    if name.startswith("MODIFIER LETTER"):
        return NEUTRAL
    return name.split(" ")[0] or UNASSIGNED


def _pronounceable_symbol(ch: str) -> bool:
    """Other-symbols the normalisers may read (degree, ℃, №, ™ ...); everything else is pictographic."""
    code = ord(ch)
    return code < 0x100 or 0x2100 <= code <= 0x214F


def is_han(ch: str) -> bool:
    """True for a Han ideograph (any CJK unified or compatibility block, and 〇)."""
    return char_class(ch) == HAN


def is_latin_letter(ch: str) -> bool:
    """True for a Latin letter (ASCII, accented, full-width)."""
    return char_class(ch) == LATIN


def _ends_at(span: Skipped, pos: int) -> bool:
    return span.position + len(span.text) == pos


def _classify(
    text: str, offsets: Sequence[int], drop_han: bool
) -> tuple[list[tuple[str, str]], list[Skipped]]:
    """Per-character classes with marks resolved and unsupported spans replaced by a space."""
    items: list[tuple[str, str]] = []  # (class in HAN/LATIN/DIGIT/NEUTRAL, char)
    skipped: list[Skipped] = []
    prev = NEUTRAL
    for ch, pos in zip(text, offsets, strict=True):
        cls = char_class(ch)
        if cls == HAN and drop_han:
            cls = "HAN"
        if cls == MARK:
            # A combining mark belongs to its base letter; without one it is dropped.
            cls = DROP if prev in (DIGIT, NEUTRAL, DROP) else prev
        if cls == DROP:
            if skipped and prev == skipped[-1].script and _ends_at(skipped[-1], pos):
                last = skipped[-1]  # e.g. a zero-width joiner inside an emoji sequence
                skipped[-1] = Skipped(last.position, last.text + ch, last.script)
            continue
        if cls in (HAN, LATIN, DIGIT, NEUTRAL):
            items.append((cls, ch))
        elif skipped and skipped[-1].script == cls and prev == cls and _ends_at(skipped[-1], pos):
            last = skipped[-1]
            skipped[-1] = Skipped(last.position, last.text + ch, cls)
        else:
            skipped.append(Skipped(pos, ch, cls))
            items.append((NEUTRAL, " "))
        prev = cls
    return items, skipped


def _groups(items: list[tuple[str, str]]) -> list[list[str]]:
    """Group classified characters into [kind, text] with kind in "zh", "en", "neutral"."""
    groups: list[list[str]] = []
    for cls, ch in items:
        kind = {HAN: "zh", LATIN: "en"}.get(cls, "neutral")
        if groups and groups[-1][0] == kind:
            groups[-1][1] += ch
        else:
            groups.append([kind, ch])
    return groups


def _default_language(text: str, mode: str) -> str:
    if mode != "auto":
        return mode
    wide = any(0x3000 <= ord(ch) <= 0x303F or 0xFF00 <= ord(ch) <= 0xFFEF for ch in text)
    return "zh" if wide else "en"


def _attach_neutral(before: str, neutral: str, after: str) -> list[tuple[str, str]]:
    """Distribute a neutral chunk between a run in ``before`` and one in ``after``."""
    if before == after:
        return [(before, neutral)]
    tail_start = max(neutral.rfind(" "), neutral.rfind("\t"), neutral.rfind("\n")) + 1
    tail = neutral[tail_start:]
    if after == "zh" and tail and any(ch.isdigit() for ch in tail):
        return [(before, neutral[:tail_start]), (after, tail)]
    return [(before, neutral)]


def _runs_from_groups(groups: list[list[str]], mode: str, text: str) -> list[tuple[str, str]]:
    letters = [i for i, (kind, _) in enumerate(groups) if kind != "neutral"]
    if not letters:
        whole = "".join(chunk for _, chunk in groups)
        return [(_default_language(text, mode), whole)] if whole.strip() else []
    pieces: list[tuple[str, str]] = []
    for i, (kind, chunk) in enumerate(groups):
        if kind != "neutral":
            pieces.append((kind, chunk))
            continue
        before = next((groups[j][0] for j in reversed(letters) if j < i), None)
        after = next((groups[j][0] for j in letters if j > i), None)
        if before is None or after is None:
            pieces.append((before or after or "en", chunk))
        else:
            pieces.extend(_attach_neutral(before, chunk, after))
    runs: list[tuple[str, str]] = []
    for lang, chunk in pieces:
        if not chunk:
            continue
        if runs and runs[-1][0] == lang:
            runs[-1] = (lang, runs[-1][1] + chunk)
        else:
            runs.append((lang, chunk))
    return runs


def split_languages(
    text: str, mode: str = "auto", offsets: Sequence[int] | None = None
) -> tuple[list[tuple[str, str]], list[Skipped]]:
    """Split ``text`` into ``[(language, text), ...]`` runs and report what was dropped.

    Args:
        text: plain text (inline overrides already removed).
        mode: "auto" or "zh" (Han -> zh, Latin -> en), or "en" (everything English).
        offsets: position in the caller's original string of each character of ``text``
            (defaults to 0..len-1); used only for :attr:`Skipped.position`.

    Returns:
        (runs, skipped). Runs are non-empty and contain at least one non-space character;
        consecutive runs have different languages.
    """
    if mode not in MODES:
        raise ValueError(f"unknown language mode {mode!r}; use one of {', '.join(MODES)}")
    if offsets is None:
        offsets = range(len(text))
    items, skipped = _classify(text, offsets, drop_han=mode == "en")
    if mode == "en":
        joined = "".join(ch for _, ch in items)
        return ([("en", joined)] if joined.strip() else []), skipped
    return _runs_from_groups(_groups(items), mode, text), skipped
