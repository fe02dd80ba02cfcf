"""Mandarin tone sandhi on pypinyin finals (不, 一, neutral tone, third-tone chains).

Works on jieba (word, POS) segments and per-word lists of finals with tone digits, e.g.
("你好", "l") with ["i3", "ao3"] -> ["i2", "ao3"]. Follows the rules of PaddleSpeech's
ToneSandhi as used by GPT-SoVITS v2 (our own implementation; word lists in ``sandhi_words``).
Finals of punctuation tokens are the punctuation itself and are never changed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from gpt_sovits.text.zh.sandhi_words import (
    NEUTRAL_PARTICLES,
    NEUTRAL_TONE_WORDS,
    NOT_NEUTRAL_TONE_WORDS,
    SANDHI_PUNCTUATION,
)

Segment = list[str]  # [word, pos]
FinalsOf = Callable[[str], list[str]]


def _tone(final: str) -> str:
    return final[-1] if final else ""


def _retone(final: str, tone: str) -> str:
    return final[:-1] + tone if final else final


def _all_third(finals: list[str]) -> bool:
    return all(_tone(f) == "3" for f in finals)


@functools.lru_cache(maxsize=4096)
def split_word(word: str) -> tuple[str, str]:
    """Split a word in two around its shortest jieba search-mode sub-word ("蒙古包" -> 蒙古/包)."""
    import jieba

    shortest = sorted(jieba.cut_for_search(word), key=len)[0]
    if word.find(shortest) == 0:
        return shortest, word[len(shortest) :]
    return word[: -len(shortest)], shortest


def _is_neutral_word(word: str) -> bool:
    return word in NEUTRAL_TONE_WORDS or word[-2:] in NEUTRAL_TONE_WORDS


def _neutral(word: str, pos: str, finals: list[str]) -> list[str]:
    """Neutral tone: reduplications, particles, 们/子, locatives, directional 来/去, 个, word list."""
    for j in range(1, len(word)):
        if word[j] == word[j - 1] and pos[:1] in {"n", "v", "a"} and word not in NOT_NEUTRAL_TONE_WORDS:
            finals[j] = _retone(finals[j], "5")
    ge = word.find("个")
    last = word[-1:]
    if last and (last in NEUTRAL_PARTICLES or last in "的地得"):
        finals[-1] = _retone(finals[-1], "5")
    elif len(word) == 1 and word in "了着过" and pos in {"ul", "uz", "ug"}:
        finals[-1] = _retone(finals[-1], "5")
    elif len(word) > 1 and last in "们子" and pos in {"r", "n"} and word not in NOT_NEUTRAL_TONE_WORDS:
        finals[-1] = _retone(finals[-1], "5")
    elif len(word) > 1 and last in "上下里" and pos in {"s", "l", "f"}:
        finals[-1] = _retone(finals[-1], "5")
    elif len(word) > 1 and last in "来去" and word[-2] in "上下进出回过起开":
        finals[-1] = _retone(finals[-1], "5")
    elif (ge >= 1 and (word[ge - 1].isnumeric() or word[ge - 1] in "几有两半多各整每做是")) or word == "个":
        finals[ge] = _retone(finals[ge], "5")
    elif _is_neutral_word(word):
        finals[-1] = _retone(finals[-1], "5")
    first, second = split_word(word)
    parts = [finals[: len(first)], finals[len(first) :]]
    for sub, sub_finals in zip((first, second), parts, strict=True):
        if sub_finals and _is_neutral_word(sub):
            sub_finals[-1] = _retone(sub_finals[-1], "5")
    return parts[0] + parts[1]


def _bu(word: str, finals: list[str]) -> list[str]:
    """不: neutral inside A不B ("看不懂"), tone 2 before a tone 4 ("不怕")."""
    if len(word) == 3 and word[1] == "不":
        finals[1] = _retone(finals[1], "5")
        return finals
    for i, char in enumerate(word[:-1]):
        if char == "不" and _tone(finals[i + 1]) == "4":
            finals[i] = _retone(finals[i], "2")
    return finals


def _yi(word: str, finals: list[str]) -> list[str]:
    """一: unchanged in numbers, neutral in 看一看, tone 1 as ordinal, else 2 before 4 / 4 before others."""
    if "一" in word and all(c.isnumeric() for c in word if c != "一"):
        return finals
    if len(word) == 3 and word[1] == "一" and word[0] == word[-1]:
        finals[1] = _retone(finals[1], "5")
    elif word.startswith("第一"):
        finals[1] = _retone(finals[1], "1")
    else:
        for i, char in enumerate(word[:-1]):
            if char != "一":
                continue
            if _tone(finals[i + 1]) == "4":
                finals[i] = _retone(finals[i], "2")
            elif word[i + 1] not in SANDHI_PUNCTUATION:
                finals[i] = _retone(finals[i], "4")
    return finals


def _third(word: str, finals: list[str]) -> list[str]:
    """Third tone before third tone becomes second (within the word and its two halves)."""
    if len(word) == 2 and _all_third(finals):
        finals[0] = _retone(finals[0], "2")
    elif len(word) == 3:
        first, _ = split_word(word)
        if _all_third(finals):
            if len(first) == 2:  # 蒙古/包
                finals[0], finals[1] = _retone(finals[0], "2"), _retone(finals[1], "2")
            elif len(first) == 1:  # 纸/老虎
                finals[1] = _retone(finals[1], "2")
        else:
            parts = [finals[: len(first)], finals[len(first) :]]
            for i, sub in enumerate(parts):
                if _all_third(sub) and len(sub) == 2:  # 所有/人
                    sub[0] = _retone(sub[0], "2")
                elif (
                    i == 1
                    and sub
                    and not _all_third(sub)
                    and _tone(sub[0]) == "3"
                    and parts[0]
                    and _tone(parts[0][-1]) == "3"
                ):  # 好/喜欢
                    parts[0][-1] = _retone(parts[0][-1], "2")
            finals = parts[0] + parts[1]
    elif len(word) == 4:  # idioms: two halves of two syllables
        halves = [finals[:2], finals[2:]]
        for half in halves:
            if _all_third(half):
                half[0] = _retone(half[0], "2")
        finals = halves[0] + halves[1]
    return finals


def apply_sandhi(word: str, pos: str, finals: list[str]) -> list[str]:
    """All tone changes for one segmented word (finals: one per character, tone digit last)."""
    finals = _bu(word, list(finals))
    finals = _yi(word, finals)
    finals = _neutral(word, pos, finals)
    return _third(word, finals)


# ---- merging segments before sandhi (jieba splits 不/一/reduplications/third-tone pairs) ----


def _merge_bu(seg: list[Segment]) -> list[Segment]:
    """Attach a lone 不 to the following word."""
    merged: list[Segment] = []
    last = ""
    for word, pos in seg:
        if last == "不":
            word = last + word
        if word != "不":
            merged.append([word, pos])
        last = word
    if last == "不":
        merged.append([last, "d"])
    return merged


def _merge_yi(seg: list[Segment]) -> list[Segment]:
    """Join verb + 一 + same verb ("听一听"), then attach a lone 一 to the next word.

    Raises IndexError in the same corner cases as the reference (its caller then keeps the
    input unchanged), e.g. two such patterns in a row.
    """
    merged: list[Segment] = []
    for i, (word, pos) in enumerate(seg):
        around = 0 < i < len(seg) - 1
        if (
            around
            and word == "一"
            and seg[i - 1][0] == seg[i + 1][0]
            and seg[i - 1][1] == "v"
            and seg[i + 1][1] == "v"
        ):
            merged[i - 1][0] = merged[i - 1][0] + "一" + merged[i - 1][0]
        elif (
            i >= 2 and seg[i - 1][0] == "一" and seg[i - 2][0] == word and pos == "v" and seg[i - 2][1] == "v"
        ):
            continue
        else:
            merged.append([word, pos])
    result: list[Segment] = []
    for word, pos in merged:
        if result and result[-1][0] == "一":
            result[-1][0] += word
        else:
            result.append([word, pos])
    return result


def _merge_reduplication(seg: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for word, pos in seg:
        if merged and word == merged[-1][0]:
            merged[-1][0] += word
        else:
            merged.append([word, pos])
    return merged


def _merge_third_tones(seg: list[Segment], finals_of: FinalsOf, *, whole_words: bool) -> list[Segment]:
    """Join neighbours (<= 3 characters together) that form a third-tone pair.

    ``whole_words``: both words entirely in tone 3; otherwise only the touching syllables.
    """
    finals = [finals_of(word) for word, _ in seg]
    merged: list[Segment] = []
    joined_prev = False
    for i, (word, pos) in enumerate(seg):
        joined = False
        if i >= 1 and not joined_prev:
            if whole_words:
                pair = _all_third(finals[i - 1]) and _all_third(finals[i])
            else:
                pair = _tone(finals[i - 1][-1]) == "3" and _tone(finals[i][0]) == "3"
            prev = seg[i - 1][0]
            is_redup = len(prev) == 2 and prev[0] == prev[1]
            if pair and not is_redup and len(prev) + len(word) <= 3:
                merged[-1][0] += word
                joined = True
        if not joined:
            merged.append([word, pos])
        joined_prev = joined
    return merged


def _merge_er(seg: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for i, (word, pos) in enumerate(seg):
        if i >= 1 and word == "儿" and seg[i - 1][0] != "#":
            merged[-1][0] += word
        else:
            merged.append([word, pos])
    return merged


def merge_for_sandhi(seg: list[tuple[str, str]], finals_of: FinalsOf) -> list[Segment]:
    """Re-group jieba (word, pos) pairs so that sandhi sees whole units.

    Args:
        seg: jieba posseg output for one sentence.
        finals_of: word -> pypinyin FINALS_TONE3 finals (neutral tone as 5).
    """
    out: list[Segment] = _merge_bu([[w, p] for w, p in seg])
    try:
        out = _merge_yi(out)
    except IndexError:
        pass  # the reference skips this step when its index bookkeeping fails
    out = _merge_reduplication(out)
    out = _merge_third_tones(out, finals_of, whole_words=True)
    out = _merge_third_tones(out, finals_of, whole_words=False)
    return _merge_er(out)
