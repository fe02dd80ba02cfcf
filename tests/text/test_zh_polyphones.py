"""Opt-in polyphone corrections: better than raw pypinyin on our sentence list, default unchanged.

``zh_polyphones.tsv``: sentence, index of the polyphone character, expected pinyin as spoken
(after tone sandhi). The raw rate is the default (fixture-faithful) path, for comparison.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gpt_sovits.text.zh.g2p import g2p_zh
from gpt_sovits.text.zh.pinyin import pinyin_to_phones
from gpt_sovits.text.zh.polyphones import PHRASES, _phrases_by_length

TSV = Path(__file__).with_name("zh_polyphones.tsv")


def _cases() -> list[tuple[str, int, str]]:
    rows = []
    for line in TSV.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            sentence, index, pinyin = line.split("\t")
            rows.append((sentence, int(index), pinyin))
    return rows


def _rate(improve: bool) -> tuple[float, list[str]]:
    misses = []
    cases = _cases()
    for sentence, index, pinyin in cases:
        res = g2p_zh(sentence, improve_polyphones=improve)
        assert res.norm_text[index] == sentence[index]
        start = sum(res.word2ph[:index])
        got = res.phones[start : start + 2]
        if got != pinyin_to_phones(pinyin):
            misses.append(f"{sentence} [{sentence[index]}] expected {pinyin}, got {got}")
    return 1 - len(misses) / len(cases), misses


def test_list_is_large_enough() -> None:
    assert len(_cases()) >= 60


def test_improved_rate_beats_raw() -> None:
    raw, _ = _rate(improve=False)
    improved, misses = _rate(improve=True)
    print(f"polyphones: raw pypinyin {raw:.1%}, improved {improved:.1%}")
    assert improved >= 0.90, "\n".join(misses)
    assert improved > raw


@pytest.mark.parametrize(
    ("text", "char", "raw", "improved"),
    [
        ("她的头发很长。", "长", "zh ang3", "ch ang2"),
        ("她高兴地笑了。", "地", "d i5", "d e5"),
        ("我们获得了胜利。", "得", "d e5", "d e2"),
        ("他借钱不还。", "还", "h ai2", "h uan2"),
    ],
)
def test_default_path_is_untouched(text: str, char: str, raw: str, improved: str) -> None:
    index = text.index(char)
    for flag, expected in ((False, raw), (True, improved)):
        res = g2p_zh(text, improve_polyphones=flag)
        start = sum(res.word2ph[:index])
        assert " ".join(res.phones[start : start + 2]) == expected


def test_phrase_table_is_well_formed() -> None:
    assert len(_phrases_by_length()) == len(PHRASES)
    for spelled in PHRASES.values():
        for syllable in spelled.split():
            if syllable != "-":
                pinyin_to_phones(syllable.rstrip("!"))
