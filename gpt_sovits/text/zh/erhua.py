"""Erhua (儿化): a word-final 儿 takes the tone of the syllable before it.

GPT-SoVITS v2 keeps 儿 as its own syllable (phones "EE" + "er<tone>"), so erhua here only
changes the tone of 儿 to that of the previous character ("小孩儿": hai2 + er2, "一点儿":
dian3 + er3). Words where 儿 means child/son ("女儿", "婴儿") and adjectives, abbreviations and
person names (jieba POS a / j / nr) keep 儿 as er2.
"""

from __future__ import annotations

from gpt_sovits.text.zh.sandhi_words import MUST_ERHUA, NOT_ERHUA


def apply_erhua(word: str, pos: str, finals: list[str]) -> list[str]:
    """Return the finals of ``word`` with erhua applied (one final per character)."""
    finals = list(finals)
    if word.endswith("儿") and finals and finals[-1] == "er1":
        finals[-1] = "er2"
    if word not in MUST_ERHUA and (word in NOT_ERHUA or pos in {"a", "j", "nr"}):
        return finals
    if len(finals) != len(word) or len(word) < 2:
        return finals
    if (
        word[-1] == "儿"
        and finals[-1] in {"er2", "er5"}
        and word[-2:] not in NOT_ERHUA
        and finals[-2][-1:] in {"1", "2", "3", "4", "5"}
    ):
        finals[-1] = "er" + finals[-2][-1]
    return finals
