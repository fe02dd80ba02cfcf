"""pinyin_to_phones / split_to_phones: pinyin syllables -> v2 phones."""

from __future__ import annotations

import pytest

from gpt_sovits.text.zh.pinyin import pinyin_to_phones, split_to_phones


@pytest.mark.parametrize(
    ("syllable", "phones"),
    [
        ("chong2", ["ch", "ong2"]),
        ("lv4", ["l", "v4"]),
        ("lü4", ["l", "v4"]),
        ("lu:4", ["l", "v4"]),
        ("er2", ["EE", "er2"]),
        ("hao3", ["h", "ao3"]),
        ("hǎo", ["h", "ao3"]),
        ("zhi1", ["zh", "ir1"]),
        ("ri4", ["r", "ir4"]),
        ("a1", ["AA", "a1"]),
        ("o5", ["OO", "o5"]),
        ("yu2", ["y", "v2"]),
        ("jue2", ["j", "ve2"]),
        ("Wei4", ["w", "ei4"]),
    ],
)
def test_pinyin_to_phones(syllable: str, phones: list[str]) -> None:
    assert pinyin_to_phones(syllable) == phones


@pytest.mark.parametrize("bad", ["hao", "hao6", "hao0", "xx3", "b1", "", "好3", "chong 2"])
def test_pinyin_to_phones_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match="pinyin|syllable"):
        pinyin_to_phones(bad)


@pytest.mark.parametrize(
    ("initial", "final", "phones"),
    [
        ("", "uei4", ["w", "ei4"]),
        ("d", "uei4", ["d", "ui4"]),
        ("l", "iou2", ["l", "iu2"]),
        ("", "i1", ["y", "i1"]),
        ("", "ing2", ["y", "ing2"]),
        ("", "v3", ["y", "v3"]),
        ("", "ve4", ["y", "ve4"]),
        ("", "er2", ["EE", "er2"]),
        ("zh", "i1", ["zh", "ir1"]),
    ],
)
def test_split_to_phones(initial: str, final: str, phones: list[str]) -> None:
    assert split_to_phones(initial, final) == phones


def test_split_to_phones_needs_tone() -> None:
    with pytest.raises(ValueError, match="tone"):
        split_to_phones("h", "ao")
