"""Cut long text into segments that are synthesized one at a time.

Methods (the original's ``cut0``..``cut5`` under descriptive names; :data:`API_METHOD_NAMES` maps
the api_v2 names):

=================== ====== =========================================================
name                api_v2 behaviour
=================== ====== =========================================================
none                cut0   no cut (only line breaks and the length cap split)
every_4_sentences   cut1   cut after every 4th sentence (，。？！,.?!~:：—… end one)
every_50_chars      cut2   gather sentences until more than 50 characters
zh_period           cut3   cut after each "。"
en_period           cut4   cut after each "." that is not inside a number
punctuation         cut5   cut after each , . ; ? ! 、 ， 。 ？ ！ ： … (not inside numbers)
=================== ====== =========================================================

Post-processing, as in the original: "……" -> "。" and "——" -> "，"; line breaks always end a
segment; a first clause shorter than 4 characters gets a leading "。" (".") so it is not swallowed;
segments shorter than 5 characters are merged into the next; segments without letters or digits
are dropped; each segment ends with punctuation (a missing one becomes "。", or "." for text
without Han characters); runs of punctuation are collapsed to their first mark.

On top of that, no segment is longer than ``max_chars`` (default 150): a longer one is cut at the
last sentence end before the limit, else the last clause mark, else whitespace, else between two
Chinese characters, never inside an English word or a number (a single word longer than the
limit is the only thing ever cut mid-word).

Default method: "punctuation" (the original api's default). Swallowed words, repetition and
gibberish on long inputs are the most reported failures of the original, and they grow with
segment length, while the short-segment merge keeps fragments from getting too short to carry
prosody. Short segments also give the first audio soonest.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from gpt_sovits.text.langsplit import is_han

DEFAULT_METHOD = "punctuation"
DEFAULT_MAX_CHARS = 150
MAX_CHARS_RANGE = (10, 510)  # 510: BERT's limit (512 tokens minus CLS/SEP)
MIN_SEGMENT_CHARS = 5
FIRST_CLAUSE_MIN_CHARS = 4

SENTENCE_MARKS = "，。？！,.?!~:：—…"  # the original's `splits`
CLAUSE_MARKS = ",.;?!、，。？！：…"  # the original's cut5 set
_STRONG_MARKS = "。.!?！？…"
_WEAK_MARKS = "，,、;；:：—~～"
_NUMBER_MARKS = ".,:："  # not a cut point between two digits
_TRAILING = "，。？！,.?!~:：—…;；、”’」』）)\"'"  # marks that stay attached to a cut
_REPEATED_PUNCT = re.compile(r"([!?…,.\-，。！？、；;:：])[!?…,.\-，。！？、；;:：]+")

API_METHOD_NAMES: dict[str, str] = {
    "cut0": "none",
    "cut1": "every_4_sentences",
    "cut2": "every_50_chars",
    "cut3": "zh_period",
    "cut4": "en_period",
    "cut5": "punctuation",
}


def _in_number(text: str, i: int) -> bool:
    """True if text[i] is a decimal point / thousands separator / clock colon between digits."""
    return (
        text[i] in _NUMBER_MARKS and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()
    )


def split_after(text: str, marks: str) -> list[str]:
    """Cut after each mark in ``marks`` (with any punctuation right after it), not inside numbers."""
    pieces: list[str] = []
    start = i = 0
    while i < len(text):
        if text[i] in marks and not _in_number(text, i):
            i += 1
            while i < len(text) and text[i] in _TRAILING:
                i += 1
            pieces.append(text[start:i])
            start = i
        else:
            i += 1
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _every_4_sentences(line: str) -> list[str]:
    sentences = split_after(line, SENTENCE_MARKS)
    return ["".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)]


def _every_50_chars(line: str, limit: int = 50) -> list[str]:
    pieces: list[str] = []
    current = ""
    for sentence in split_after(line, SENTENCE_MARKS):
        current += sentence
        if len(current) > limit:
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    if len(pieces) > 1 and len(pieces[-1]) < limit:  # the original folds a short tail back
        tail = pieces.pop()
        pieces[-1] += tail
    return pieces


METHODS: dict[str, Callable[[str], list[str]]] = {
    "none": lambda line: [line],
    "every_4_sentences": _every_4_sentences,
    "every_50_chars": _every_50_chars,
    "zh_period": lambda line: split_after(line, "。"),
    "en_period": lambda line: split_after(line, "."),
    "punctuation": lambda line: split_after(line, CLAUSE_MARKS),
}


def resolve_method(name: str) -> str:
    """Accept a method name or its api_v2 alias ("cut0".."cut5"); return the method name."""
    method = API_METHOD_NAMES.get(name, name)
    if method not in METHODS:
        known = ", ".join([*METHODS, *API_METHOD_NAMES])
        raise ValueError(f"unknown text split method {name!r}; use one of {known}")
    return method


def _is_word_char(ch: str) -> bool:
    return (ch.isalnum() and not is_han(ch)) or ch in "'’"


def _cut_allowed(text: str, k: int) -> bool:
    """May ``text`` be cut between positions k-1 and k (not inside a word or a number)?"""
    a, b = text[k - 1], text[k]
    if _is_word_char(a) and _is_word_char(b):
        return False
    return not (_in_number(text, k - 1) or _in_number(text, k))


def _best_cut(text: str, limit: int) -> int:
    """Where to cut ``text`` (longer than ``limit``) so that the head has at most ``limit`` chars."""
    tiers: list[Callable[[str, str], bool]] = [
        lambda a, b: a in _STRONG_MARKS,
        lambda a, b: a in _WEAK_MARKS,
        lambda a, b: a.isspace() or b.isspace(),
        lambda a, b: True,
    ]
    for low, high in ((limit // 2, limit), (1, limit // 2 - 1)):
        for tier in tiers:
            for k in range(high, max(low, 1) - 1, -1):
                if tier(text[k - 1], text[k]) and _cut_allowed(text, k):
                    return k
    return limit  # a single word longer than the limit


def _cap(segment: str, limit: int) -> list[str]:
    pieces: list[str] = []
    while len(segment) > limit:
        k = _best_cut(segment, limit)
        pieces.append(segment[:k].strip())
        segment = segment[k:].strip()
    pieces.append(segment)
    return pieces


def _merge_short(pieces: list[str], threshold: int) -> list[str]:
    merged: list[str] = []
    current = ""
    for piece in pieces:
        current += piece
        if len(current) >= threshold:
            merged.append(current)
            current = ""
    if current:
        if merged:
            merged[-1] += current
        else:
            merged.append(current)
    return merged


def _has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _final_mark(text: str, language: str) -> str:
    return "。" if language != "en" and any(is_han(ch) for ch in text) else "."


def split_text(
    text: str,
    method: str = DEFAULT_METHOD,
    max_chars: int = DEFAULT_MAX_CHARS,
    language: str = "auto",
) -> list[str]:
    """Cut ``text`` into synthesis segments (see the module docstring for the rules).

    Args:
        text: any text.
        method: a name from :data:`METHODS` or an api_v2 alias "cut0".."cut5".
        max_chars: hard cap on segment length, in characters (10..510).
        language: "en" makes added marks ASCII ("."); otherwise they follow the text's script.

    Returns:
        Non-empty segments, each with a letter or digit, each at most ``max_chars`` long.
        Empty text (or text without letters/digits) gives ``[]``.
    """
    method = resolve_method(method)
    if not MAX_CHARS_RANGE[0] <= max_chars <= MAX_CHARS_RANGE[1]:
        raise ValueError(f"max_chars must be in {MAX_CHARS_RANGE[0]}..{MAX_CHARS_RANGE[1]}, got {max_chars}")
    text = _REPEATED_PUNCT.sub(r"\1", text.replace("……", "。").replace("——", "，")).strip()
    if not text:
        return []
    first_clause = split_after(text, SENTENCE_MARKS)[0]
    if text[0] not in SENTENCE_MARKS and len(first_clause.strip()) < FIRST_CLAUSE_MIN_CHARS:
        text = _final_mark(text, language) + text
    pieces = [p for line in text.split("\n") if line.strip() for p in METHODS[method](line.strip())]
    pieces = _merge_short([p for p in pieces if p.strip()], MIN_SEGMENT_CHARS)
    segments: list[str] = []
    for piece in pieces:
        for part in _cap(piece.strip(), max_chars - 1):
            if not _has_words(part):
                continue
            if part[-1] not in SENTENCE_MARKS:
                part += _final_mark(part, language)
            segments.append(_REPEATED_PUNCT.sub(r"\1", part))
    return segments
