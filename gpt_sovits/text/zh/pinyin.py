"""Pinyin -> GPT-SoVITS v2 phones (opencpop-strict table: initial + final with tone digit).

Two entry points:
- ``pinyin_to_phones("chong2")`` for a written toned syllable (also "lü4", "lv4", "hǎo");
- ``split_to_phones(initial, final)`` for pypinyin's strict ``INITIALS`` / ``FINALS_TONE3``
  output, which is what the G2P produces ("" + "uei4" -> ["w", "ei4"]).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

_TONED = re.compile(r"^([a-zü:]+)([1-5])$")
# After an initial, pypinyin's strict finals spell the full vowel; the table uses the short form.
_SHORT_FINALS = {"uei": "ui", "iou": "iu", "uen": "un"}
# Zero-initial syllables written in full (strict final -> spelling).
_WHOLE_SYLLABLES = {"ing": "ying", "i": "yi", "in": "yin", "u": "wu"}
# Otherwise the first letter of a zero-initial final is respelled.
_LEADING_LETTER = {"v": "yu", "e": "e", "i": "y", "u": "w"}


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, tuple[str, str]]:
    """Toneless pinyin -> (initial phone, final phone). Loaded once, on first use."""
    path = Path(__file__).resolve().parent.parent / "data" / "opencpop_strict.json"
    raw = json.loads(path.read_text(encoding="utf-8"))["table"]
    return {key: (pair[0], pair[1]) for key, pair in raw.items()}


def _lookup(toneless: str, tone: str, original: str) -> list[str]:
    pair = _table().get(toneless)
    if pair is None:
        raise ValueError(
            f"'{original}' is not a Mandarin pinyin syllable known to the v2 phone set "
            f"(no entry for '{toneless}'); write it like 'chong2', 'lv4' or 'er2'."
        )
    return [pair[0], pair[1] + tone]


def pinyin_to_phones(syllable: str) -> list[str]:
    """Convert one toned pinyin syllable to its two v2 phones.

    Args:
        syllable: e.g. "chong2", "lv4", "lü4", "er2", "hao3", or with a tone mark ("hǎo").
            The tone is a digit 1-5 (5 = neutral); ü may be written "v", "ü" or "u:".

    Returns:
        ``[initial, final+tone]``, e.g. "chong2" -> ["ch", "ong2"], "er2" -> ["EE", "er2"].

    Raises:
        ValueError: the syllable is not valid pinyin or has no tone.
    """
    text = syllable.strip().lower()
    if text and not text[-1].isdigit():
        from pypinyin.contrib.tone_convert import to_tone3

        text = to_tone3(text)  # tone marks -> trailing digit (unchanged when there is none)
    match = _TONED.match(text)
    if match is None:
        raise ValueError(
            f"'{syllable}' is not a toned pinyin syllable; expected letters followed by a tone "
            "digit 1-5, e.g. 'chong2' or 'lv4'."
        )
    toneless = match.group(1).replace("ü", "v").replace("u:", "v")
    return _lookup(toneless, match.group(2), syllable)


def split_to_phones(initial: str, final: str) -> list[str]:
    """Convert pypinyin strict (initial, final+tone) to v2 phones, like the reference G2P.

    Example: ("", "uei4") -> ["w", "ei4"]; ("d", "uei4") -> ["d", "ui4"]; ("zh", "i1") -> ["zh", "ir1"].

    Raises:
        ValueError: the pair does not form a known syllable or lacks a tone 1-5.
    """
    if not final or final[-1] not in "12345":
        raise ValueError(f"pinyin final '{final}' (initial '{initial}') has no tone digit 1-5")
    body, tone = final[:-1], final[-1]
    if initial:
        toneless = initial + _SHORT_FINALS.get(body, body)
    elif body in _WHOLE_SYLLABLES:
        toneless = _WHOLE_SYLLABLES[body]
    elif body and body[0] in _LEADING_LETTER:
        toneless = _LEADING_LETTER[body[0]] + body[1:]
    else:
        toneless = body
    return _lookup(toneless, tone, initial + final)
