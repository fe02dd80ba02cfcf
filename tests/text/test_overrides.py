"""Inline overrides {重|chong2} / {live|L IH1 V}: parsing, escapes, error positions."""

from __future__ import annotations

import re

import pytest

from gpt_sovits.text import overrides
from gpt_sovits.text.overrides import Override, Plain, TextOverrideError, parse_overrides

_FAKE_PINYIN = re.compile(r"([bcdfghjklmnpqrstwxyz]h?)([aeiouv]\w*?)([1-5])")
_FAKE_ARPABET = {"L", "IH1", "V", "K", "AE1", "T", "JH", "IY1", "P"}


def _fake_pinyin(syllable: str) -> list[str]:
    m = _FAKE_PINYIN.fullmatch(syllable)
    if m is None or syllable == "xx1":
        raise ValueError(f"'{syllable}' is not a toned pinyin syllable")
    return [m.group(1), m.group(2) + m.group(3)]


def _fake_arpabet(phones: list[str]) -> None:
    for p in phones:
        if p not in _FAKE_ARPABET:
            raise ValueError(f"{p!r} is not an ARPAbet phone")


@pytest.fixture(autouse=True)
def fake_backends(monkeypatch):
    monkeypatch.setattr(overrides, "_pinyin_to_phones", _fake_pinyin)
    monkeypatch.setattr(overrides, "_validate_arpabet", _fake_arpabet)


def test_plain_text_is_one_piece_with_offsets():
    assert parse_overrides("abc") == [Plain("abc", (0, 1, 2))]
    assert parse_overrides("") == []


def test_pinyin_override_splits_text():
    parts = parse_overrides("我{重|chong2}新")
    assert parts == [
        Plain("我", (0,)),
        Override(1, "重", "zh", ("ch", "ong2"), (2,)),
        Plain("新", (11,)),
    ]


def test_several_syllables_and_spaces():
    (part,) = parse_overrides("{银行| yin2  hang2 }")
    assert part.phones == ("y", "in2", "h", "ang2")
    assert part.word2ph == (2, 2)
    assert part.surface == "银行"


def test_arpabet_override_puts_all_phones_on_the_first_character():
    (part,) = parse_overrides("{live|l ih1 v}")
    assert part == Override(0, "live", "en", ("L", "IH1", "V"), (3, 0, 0, 0))


def test_escaped_braces_are_literal():
    parts = parse_overrides("a{{b}}c {{重|chong2}}")
    assert parts == [Plain("a{b}c {重|chong2}", tuple([0, 1, 3, 4, 6, 7, 8, *range(10, 19)]))]


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("你好{重|chong2", 2, "unclosed"),
        ("ab}c", 2, "unmatched '}'"),
        ("{重chong2}", 0, "no '|'"),
        ("{重|a|b}", 0, "more than one '|'"),
        ("x{|chong2}", 1, "empty text"),
        ("x{重|  }", 4, "empty reading"),
        ("{银行|yin2}", 0, "2 character(s) but the reading has 1"),
        ("{重|chong}", 3, "invalid pinyin"),
        ("{银行|yin2 xx1}", 9, "invalid pinyin"),
        ("{live|L IH V}", 8, "'IH'"),
        ("{a重|chong2}", 0, "mixes Chinese"),
        ("{重{|chong2}", 2, "inside the override opened at position 0"),
    ],
)
def test_errors_name_the_position(text, position, fragment):
    with pytest.raises(TextOverrideError) as info:
        parse_overrides(text)
    assert info.value.position == position
    assert f"position {position}" in str(info.value)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)
