"""Intelligibility metrics: text normalisation for scoring, edit distance, WER and CER.

Both sides of a comparison (the text that was synthesized and what ASR heard) go through the
same :func:`normalize_for_scoring`, so spelling conventions cancel out:

- Unicode NFKC, then numbers, dates, currencies and symbols are spelled out with the studio's
  own text front-end (English: ``normalize_en`` turns "5" and "five" into the same word; Chinese:
  the zh ``verbalize`` turns "2024年" into "二零二四年"), Chinese is converted to Simplified
  (OpenCC t2s, as the ASR does);
- lower case; apostrophes are dropped ("it's" -> "its"), every other punctuation or symbol
  character (Unicode categories P* and S*) becomes a space; whitespace is collapsed.

English is scored in words (WER), Chinese in characters with spaces removed (CER; Latin words
inside Chinese text count one unit per letter). The corpus-level rate of several texts is the
total number of edits over the total number of reference units, not a mean of per-text rates.

Chinese is also scored in pinyin syllables (:func:`pinyin_error_count`), one per character, with
and without the tone: a character heard as its homophone, or as the same syllable in another tone,
is a CER error but not a toneless-pinyin one, so the two rates split a CER into what was said with
the wrong tone (or written as a homophone) and what was said wrong.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

METRIC_BY_LANG = {"en": "wer", "zh": "cer"}
_APOSTROPHES = "'\u2019\u2018`\u00b4"


@dataclass(frozen=True)
class ErrorCount:
    """Edits needed to turn the hypothesis into the reference, and the reference length in units."""

    edits: int
    units: int

    @property
    def rate(self) -> float:
        """edits / units (an empty reference counts as one unit, so the rate stays finite)."""
        return self.edits / max(self.units, 1)


def edit_distance(reference: Sequence[Any], hypothesis: Sequence[Any]) -> int:
    """Levenshtein distance (substitutions, deletions and insertions each cost 1)."""
    if len(reference) < len(hypothesis):
        reference, hypothesis = hypothesis, reference
    previous = list(range(len(hypothesis) + 1))  # distances from reference[:0]
    for i, ref_unit in enumerate(reference, start=1):
        current = [i]
        for j, hyp_unit in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_unit != hyp_unit)))
        previous = current
    return previous[-1]


@functools.lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def _spell_out(text: str, lang: str) -> str:
    """Numbers and symbols as words, with the same front-end code the synthesizer reads them with."""
    if lang == "en":
        from gpt_sovits.text.en.normalize import normalize_en

        return normalize_en(text)
    from gpt_sovits.text.zh.normalize import verbalize

    return verbalize(_t2s().convert(text))


def strip_punctuation(text: str) -> str:
    """Lower case, apostrophes dropped, other P*/S* characters as spaces, whitespace collapsed."""
    chars = []
    for char in text.lower():
        if char in _APOSTROPHES:
            continue
        chars.append(" " if unicodedata.category(char)[0] in "PS" else char)
    return re.sub(r"\s+", " ", "".join(chars)).strip()


def normalize_for_scoring(text: str, lang: str) -> str:
    """The comparable form of ``text`` (see the module docstring); ``lang`` is "en" or "zh"."""
    if lang not in METRIC_BY_LANG:
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    text = unicodedata.normalize("NFKC", text)
    return strip_punctuation(_spell_out(text, lang))


def scoring_units(text: str, lang: str) -> list[str]:
    """Words (en) or non-space characters (zh) of the normalised text."""
    normalized = normalize_for_scoring(text, lang)
    return normalized.split() if lang == "en" else [c for c in normalized if not c.isspace()]


def error_count(reference: str, hypothesis: str, lang: str) -> ErrorCount:
    """Word (en) or character (zh) edits between a reference text and an ASR transcript."""
    ref_units = scoring_units(reference, lang)
    return ErrorCount(edit_distance(ref_units, scoring_units(hypothesis, lang)), len(ref_units))


def pinyin_units(text: str, tones: bool = True) -> list[str]:
    """The Chinese scoring units of ``text`` as pinyin syllables, one per character (pypinyin reads
    each character in the context of its phrase), ending in the tone number when ``tones``; a Latin
    letter stays itself."""
    from pypinyin import Style, lazy_pinyin

    chars = "".join(scoring_units(text, "zh"))
    return lazy_pinyin(chars, style=Style.TONE3 if tones else Style.NORMAL, errors=lambda run: list(run))


def pinyin_error_count(reference: str, hypothesis: str, tones: bool = True) -> ErrorCount:
    """Syllable edits between a Chinese text and an ASR transcript (units as in the CER)."""
    ref_units = pinyin_units(reference, tones)
    return ErrorCount(edit_distance(ref_units, pinyin_units(hypothesis, tones)), len(ref_units))


def corpus_rate(counts: Iterable[ErrorCount]) -> float:
    """Total edits / total reference units over several texts (0.0 for no texts)."""
    counts = list(counts)
    return sum(c.edits for c in counts) / max(sum(c.units for c in counts), 1)


def pooled_rates(pairs: Sequence[tuple[str, str]], lang: str) -> dict[str, float]:
    """The language's pooled rate ("wer" / "cer") of (text, heard) pairs; Chinese also its pooled
    ``pinyin_error`` and ``pinyin_error_toneless``."""
    rates = {METRIC_BY_LANG[lang]: corpus_rate(error_count(t, h, lang) for t, h in pairs)}
    if lang == "zh":
        rates["pinyin_error"] = corpus_rate(pinyin_error_count(t, h) for t, h in pairs)
        rates["pinyin_error_toneless"] = corpus_rate(pinyin_error_count(t, h, tones=False) for t, h in pairs)
    return rates


def capped_rate(counts: Iterable[ErrorCount]) -> float:
    """Mean of the per-text rates, each capped at 1 (0.0 for no texts): one ASR repetition loop
    (a transcript many times longer than its reference) then counts as one wrong text, not ten."""
    rates = [min(c.rate, 1.0) for c in counts]
    return sum(rates) / len(rates) if rates else 0.0
