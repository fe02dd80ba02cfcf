"""Chinese G2P: text -> GPT-SoVITS v2 phones, the equivalent of ``clean_text(text, "zh", "v2")``.

Pipeline: ``normalize_zh`` -> split after punctuation -> jieba POS segmentation -> regroup for
sandhi -> pypinyin (initials / finals with tone, neutral tone = 5) per word -> optional polyphone
corrections -> tone sandhi -> erhua -> opencpop phones. ``word2ph`` holds 2 for every
character (initial + final) and 1 for every punctuation mark, so ``len(word2ph) ==
len(norm_text)`` and ``sum(word2ph) == len(phones)``.

Special symbols (as in the reference ``clean_special``): if the text contains "￥" (else "^"),
that symbol becomes "," and then *every* "," phone is replaced by "SP2" (resp. "SP3").
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field

from gpt_sovits.errors import UnsupportedText
from gpt_sovits.text.zh.erhua import apply_erhua
from gpt_sovits.text.zh.normalize import PUNCTUATION, normalize_zh
from gpt_sovits.text.zh.pinyin import split_to_phones
from gpt_sovits.text.zh.sandhi import apply_sandhi, merge_for_sandhi

_SPECIAL_SYMBOLS: tuple[tuple[str, str], ...] = (("￥", "SP2"), ("^", "SP3"))
_AFTER_PUNCT = re.compile(r"(?<=[" + re.escape(PUNCTUATION) + r"])\s*")


@dataclass
class ZhResult:
    """Output of the zh front-end.

    Args:
        norm_text: normalised text (CJK characters and ``! ? … , . -`` only).
        phones: v2 phone symbols (all in ``symbols_v2.json``).
        word2ph: phones per character of ``norm_text`` (2 per hanzi, 1 per punctuation).
    """

    norm_text: str
    phones: list[str] = field(default_factory=list)
    word2ph: list[int] = field(default_factory=list)


@functools.lru_cache(maxsize=1)
def _posseg():  # -> jieba.posseg module, initialised once on first use
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba.posseg


@functools.lru_cache(maxsize=65536)
def _word_pinyin(word: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """pypinyin strict initials and FINALS_TONE3 (neutral = 5) of a word, one per character
    (consecutive non-hanzi characters form a single item, as pypinyin groups them)."""
    from pypinyin import Style, lazy_pinyin

    initials = lazy_pinyin(word, style=Style.INITIALS, neutral_tone_with_five=True)
    finals = lazy_pinyin(word, style=Style.FINALS_TONE3, neutral_tone_with_five=True)
    return tuple(initials), tuple(finals)


def _finals_of(word: str) -> list[str]:
    return list(_word_pinyin(word)[1])


def _aligned_pinyin(word: str) -> tuple[list[str], list[str]]:
    """Initials and finals with exactly one item per character of ``word``."""
    initials, finals = _word_pinyin(word)
    if len(initials) == len(finals) == len(word):
        return list(initials), list(finals)
    per_char = [_word_pinyin(char) for char in word]
    return [i[0][0] for i in per_char], [f[1][0] for f in per_char]


def _syllable_phones(char: str, initial: str, final: str) -> list[str]:
    """Phones of one character; falls back to the character's own reading if the in-context
    reading is not in the phone set."""
    if initial == final:
        if char in PUNCTUATION:
            return [char]
        raise UnsupportedText(f"character {char!r} has no Mandarin reading; remove it from the text")
    try:
        return split_to_phones(initial, final)
    except ValueError:
        (alone_initial,), (alone_final,) = _word_pinyin(char)
        try:
            return split_to_phones(alone_initial, alone_final[:-1] + final[-1:])
        except ValueError:
            try:
                return split_to_phones(alone_initial, alone_final)
            except ValueError as err:
                raise UnsupportedText(f"character {char!r} has no usable reading ({err})") from err


def _sentence_phones(sentence: str, improve_polyphones: bool) -> tuple[list[str], list[int]]:
    seg = [(pair.word, pair.flag) for pair in _posseg().lcut(sentence)]
    words = merge_for_sandhi(seg, _finals_of)
    corrections = _corrections(words) if improve_polyphones else None
    phones: list[str] = []
    word2ph: list[int] = []
    start = 0
    for word, pos in words:
        span = range(start, start + len(word))
        start += len(word)
        if pos == "eng":
            continue
        initials, finals = _aligned_pinyin(word)
        locked: dict[int, str] = {}
        if corrections is not None:
            for offset, char_index in enumerate(span):
                if corrections[char_index] is not None:
                    initials[offset], finals[offset], is_locked = corrections[char_index]
                    if is_locked:
                        locked[offset] = finals[offset]
        finals = apply_erhua(word, pos, apply_sandhi(word, pos, finals))
        finals = [locked.get(offset, final) for offset, final in enumerate(finals)]
        for char, initial, final in zip(word, initials, finals, strict=True):
            syllable = _syllable_phones(char, initial, final)
            phones += syllable
            word2ph.append(len(syllable))
    return phones, word2ph


def _corrections(words: list[list[str]]) -> list[tuple[str, str, bool] | None]:
    """Per character of the sentence: corrected (initial, final, locked) or None."""
    from gpt_sovits.text.zh.polyphones import sentence_readings, split_reading

    out: list[tuple[str, str, bool] | None] = []
    for reading in sentence_readings(words):
        out.append(None if reading is None else (*split_reading(reading[0]), reading[1]))
    return out


def g2p_normalized(norm_text: str, *, improve_polyphones: bool = False) -> tuple[list[str], list[int]]:
    """Phones and word2ph for text that already went through ``normalize_zh``."""
    phones: list[str] = []
    word2ph: list[int] = []
    for sentence in _AFTER_PUNCT.split(norm_text):
        if sentence.strip():
            p, w = _sentence_phones(sentence, improve_polyphones)
            phones += p
            word2ph += w
    return phones, word2ph


def g2p_zh(text: str, *, improve_polyphones: bool = False) -> ZhResult:
    """Convert Chinese text to GPT-SoVITS v2 phones (the original ``clean_text(text, "zh", "v2")``).

    Args:
        text: any string. Latin letters, emoji, symbols and other scripts are dropped (use the
            language splitter to route them to another front-end first).
        improve_polyphones: opt-in context corrections for common polyphones (行, 长, 重, 还, ...)
            on top of raw pypinyin; off by default because official checkpoints were trained
            on the raw pypinyin conventions.

    Returns:
        ``ZhResult``; empty when nothing speakable remains (e.g. "", "Hello", "😀").

    Raises:
        UnsupportedText: only if a character survives normalisation without any usable
            reading (not expected: normalisation keeps only characters pypinyin can read).
    """
    target = None
    for symbol, replacement in _SPECIAL_SYMBOLS:
        if symbol in text:
            text, target = text.replace(symbol, ","), replacement
            break
    norm_text = normalize_zh(text)
    phones, word2ph = g2p_normalized(norm_text, improve_polyphones=improve_polyphones)
    if target is not None:
        phones = [target if p == "," else p for p in phones]
    return ZhResult(norm_text=norm_text, phones=phones, word2ph=word2ph)
