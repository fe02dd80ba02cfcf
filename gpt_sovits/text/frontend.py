"""Text -> phones for S1: language split, inline overrides, per-language g2p, symbol ids.

Two entry points:

- :func:`clean_text` is the original's single-language cleaner (``text.cleaner.clean_text``), used
  for training labels and parity checks: "zh" or "en" for the whole text, "￥"/"^" in Chinese become
  the pauses SP2/SP3 (done by the zh front-end), English with fewer than 4 phones gets a leading ","
  (done by the en front-end), phones missing from the symbol table become "UNK".
- :func:`to_phones` is what synthesis and the UI call: it accepts mixed text and inline overrides
  (see :mod:`gpt_sovits.text.overrides`), splits it into language runs (see
  :mod:`gpt_sovits.text.langsplit`), runs each through its own front-end and concatenates.

As in the original, each run is cleaned on its own, so a short English run inside Chinese text
(fewer than 4 phones) also gets the leading "," pause. Unlike the original, English words inside Chinese text (language "zh") are read as English runs
instead of being silently dropped, and text in unsupported scripts is reported in
``Phonemized.skipped`` instead of vanishing.

``word2ph`` convention (``Phonemized.word2ph``): one entry per character of ``norm_text``, and
``sum(word2ph) == len(phones)`` always. A Chinese character gets its number of phones (2 per
syllable, 1 per punctuation mark). An English run gets *all* its phones (a leading "," pause included)
on its first character and 0 on the others; English has no BERT features in GPT-SoVITS v2 (zeros), so this is only bookkeeping.
To build BERT features, walk ``Phonemized.segments``: for a "zh" segment, encode ``norm_text``
and repeat character i ``word2ph[i]`` times; for an "en" segment use zeros for ``len(phones)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from gpt_sovits.errors import UnsupportedText
from gpt_sovits.text.langsplit import MODES, Skipped, split_languages
from gpt_sovits.text.overrides import Override, parse_overrides
from gpt_sovits.text.symbols import DEFAULT_VERSION, SILENT_SYMBOLS, map_unknown, phones_to_ids

Tagger = Callable[[Sequence[str]], list[str]]  # tokens -> Penn POS tags (see text/en/pos.py)

LANGUAGES: tuple[str, ...] = ("zh", "en")
MIN_SYNTHESIS_PHONES = 6  # the original re-runs shorter segments with a "." prefix


@dataclass(frozen=True)
class CleanResult:
    """Output of :func:`clean_text`, as the original's cleaner returns it.

    Args:
        phones: phone symbols (all in the version's table).
        word2ph: phones per ``norm_text`` character for zh, None for en.
        norm_text: the normalised text the phones were made from.
    """

    phones: list[str]
    word2ph: list[int] | None
    norm_text: str


@dataclass(frozen=True)
class Segment:
    """One language run after g2p.

    Args:
        language: "zh" or "en".
        text: the run's input text (for an override: its surface text).
        norm_text: normalised text.
        phones: phones of this run (table symbols).
        word2ph: per ``norm_text`` character (see the module docstring).
        forced: True if it came from an inline override.
    """

    language: str
    text: str
    norm_text: str
    phones: list[str]
    word2ph: list[int]
    forced: bool = False


@dataclass
class Phonemized:
    """Result of :func:`to_phones`.

    Args:
        phones: phone symbols, all in the ``version`` table.
        word2ph: per character of ``norm_text``; sums to ``len(phones)``.
        norm_text: concatenated normalised text of all segments.
        ids: ``phones`` mapped to symbol ids.
        runs: ``(language, text)`` of each segment, in order.
        segments: per-run details (for BERT features and debugging).
        skipped: input spans that were not pronounced (unsupported scripts, emoji).
        version: symbol-table version.
    """

    phones: list[str]
    word2ph: list[int]
    norm_text: str
    ids: list[int]
    runs: list[tuple[str, str]]
    segments: list[Segment] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    version: str = DEFAULT_VERSION


def _g2p_zh(text: str, improve_polyphones: bool = True) -> tuple[str, list[str], list[int]]:
    """Chinese g2p (also turns "￥"/"^" into the pauses SP2/SP3, as the original cleaner does).

    ``improve_polyphones`` adds the studio's polyphone corrections on top of pypinyin (the original
    used the g2pW model for the same purpose); the parity fixtures need it off.
    """
    from gpt_sovits.text.zh.g2p import g2p_zh

    result = g2p_zh(text, improve_polyphones=improve_polyphones)
    return result.norm_text, list(result.phones), list(result.word2ph)


def _g2p_en(text: str, faithful: bool = False, tagger: Tagger | None = None) -> tuple[str, list[str]]:
    """English g2p (fewer than 4 phones get a leading ",", as the original cleaner does)."""
    from gpt_sovits.text.en.g2p import g2p_en

    result = g2p_en(text, faithful=faithful, tagger=tagger)
    return result.norm_text, list(result.phones)


def clean_text(
    text: str,
    language: str,
    version: str = DEFAULT_VERSION,
    *,
    faithful: bool = False,
    tagger: Tagger | None = None,
) -> CleanResult:
    """The original's single-language cleaner (training labels, parity fixtures).

    Args:
        text: text of one language.
        language: "zh" or "en".
        version: symbol-table version ("v1" or "v2").
        faithful: reproduce the original's pypinyin readings and English quirks exactly instead of
            the studio's fixes (polyphone corrections, see :func:`gpt_sovits.text.en.g2p.g2p_en`).
        tagger: English only: part-of-speech tagger for homographs (default: rule-based).
    """
    if language == "zh":
        norm_text, phones, word2ph = _g2p_zh(text, improve_polyphones=not faithful)
        return CleanResult(map_unknown(phones, version), word2ph, norm_text)
    if language == "en":
        norm_text, phones = _g2p_en(text, faithful, tagger)
        return CleanResult(map_unknown(phones, version), None, norm_text)
    raise ValueError(f"unsupported language {language!r}; use one of {', '.join(LANGUAGES)}")


def _segment(language: str, text: str, version: str) -> Segment | None:
    """g2p of one run; None if it produced nothing."""
    if language == "zh":
        norm_text, phones, word2ph = _g2p_zh(text)
    else:
        norm_text, phones = _g2p_en(text)
        if not norm_text and phones and all(p in SILENT_SYMBOLS for p in phones):
            phones = []
        norm_text = norm_text or text.strip()
        word2ph = [len(phones)] + [0] * (len(norm_text) - 1) if phones else [0] * len(norm_text)
    if not phones:
        return None
    if len(word2ph) != len(norm_text) or sum(word2ph) != len(phones):
        raise RuntimeError(
            f"{language} front-end broke its contract on {text!r}: {len(norm_text)} chars, "
            f"{len(word2ph)} word2ph entries summing to {sum(word2ph)}, {len(phones)} phones"
        )
    return Segment(language, text, norm_text, map_unknown(phones, version), list(word2ph))


def _forced_segment(override: Override) -> Segment:
    return Segment(
        override.language,
        override.surface,
        override.surface,
        list(override.phones),
        list(override.word2ph),
        forced=True,
    )


def _segments(text: str, language: str, version: str) -> tuple[list[Segment], list[Skipped]]:
    segments: list[Segment] = []
    skipped: list[Skipped] = []
    for part in parse_overrides(text):
        if isinstance(part, Override):
            segments.append(_forced_segment(part))
            continue
        runs, part_skipped = split_languages(part.text, language, part.offsets)
        skipped.extend(part_skipped)
        for run_language, run_text in runs:
            segment = _segment(run_language, run_text, version)
            if segment is not None:
                segments.append(segment)
    return segments, skipped


def _describe_skipped(skipped: list[Skipped]) -> str:
    if not skipped:
        return ""
    shown = ", ".join(f"{s.text!r} ({s.script})" for s in skipped[:3])
    return f"; dropped {shown}{' ...' if len(skipped) > 3 else ''}"


def to_phones(
    text: str,
    language: str = "auto",
    version: str = DEFAULT_VERSION,
    *,
    min_phones: int = 0,
) -> Phonemized:
    """Phonemize text for S1.

    Args:
        text: any text; may contain inline overrides ``{重|chong2}`` / ``{live|L IH1 V}``.
        language: "auto" or "zh" (Han -> Chinese, Latin -> English runs; they differ only for text
            without letters, which "zh" reads as Chinese), or "en" (all English; Han dropped).
        version: symbol-table version.
        min_phones: if the result has fewer phones, phonemize "." + text instead (the original
            does this with 6 for each synthesis segment: :data:`MIN_SYNTHESIS_PHONES`).

    Raises:
        UnsupportedText: nothing pronounceable remains (empty, only punctuation/emoji, or only
            unsupported scripts).
        TextOverrideError: malformed inline override (only possible if ``text`` contains braces).
    """
    if language not in MODES:
        raise ValueError(f"unknown language {language!r}; use one of {', '.join(MODES)}")
    segments, skipped = _segments(text, language, version)
    phones = [p for s in segments for p in s.phones]
    if not any(p not in SILENT_SYMBOLS for p in phones):
        raise UnsupportedText(
            f"nothing to pronounce in {text[:40]!r}{'...' if len(text) > 40 else ''}"
            f"{_describe_skipped(skipped)}. Supported are Chinese (Han characters) and English "
            "(Latin letters); write numbers and symbols next to words."
        )
    if len(phones) < min_phones and not text.startswith("."):
        return to_phones("." + text, language, version)
    return Phonemized(
        phones=phones,
        word2ph=[n for s in segments for n in s.word2ph],
        norm_text="".join(s.norm_text for s in segments),
        ids=phones_to_ids(phones, version),
        runs=[(s.language, s.text) for s in segments],
        segments=segments,
        skipped=skipped,
        version=version,
    )
