"""Robustness of the zh front-end: any Unicode string gives a consistent result, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpt_sovits.errors import UnsupportedText
from gpt_sovits.text.zh.g2p import _word_pinyin, g2p_zh
from gpt_sovits.text.zh.normalize import PUNCTUATION, _readable_chars
from gpt_sovits.text.zh.pinyin import split_to_phones

SYMBOLS = Path(__file__).resolve().parents[2] / "gpt_sovits" / "text" / "data" / "symbols_v2.json"
_SYMBOL_SET = frozenset(json.loads(SYMBOLS.read_text(encoding="utf-8"))["symbols"])


def _check(text: str) -> None:
    try:
        res = g2p_zh(text)
    except UnsupportedText:
        return  # the one documented failure
    assert sum(res.word2ph) == len(res.phones)
    assert len(res.word2ph) == len(res.norm_text)
    assert set(res.phones) <= _SYMBOL_SET
    for char, count in zip(res.norm_text, res.word2ph, strict=True):
        assert count == (1 if char in PUNCTUATION else 2)


_CHINESE = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_MIXED = st.one_of(
    _CHINESE,
    st.sampled_from(list("，。！？、：；…—～·《》（）“”￥^%$/+-=×÷~0123456789 \n\t.:")),
    st.characters(),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(_MIXED, max_size=40))
def test_any_text_is_consistent(text: str) -> None:
    _check(text)


@settings(max_examples=80, deadline=None)
@given(
    st.text(_CHINESE, min_size=1, max_size=12), st.text(st.sampled_from(list("0123456789.-:/%~")), max_size=8)
)
def test_chinese_with_number_noise(chinese: str, noise: str) -> None:
    _check(chinese[: len(chinese) // 2] + noise + chinese[len(chinese) // 2 :])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "！！！",
        "Hello world",
        "😀你好",
        "𠮷野家的牛肉饭",
        "ㄅㄆㄇ注音",
        "第Ⅲ章",
        "１２３ＡＢＣ全角",
        "第一行\n第二行",
        "噷覅",
        "\u0000\u200b",
        "ÀÉÎ",
        "Привет мир",
        "안녕하세요",
        "こんにちは",
        "１.２.３.４.５",
        "9" * 60,
        "-" * 10,
        "１/０",
        "12:61",
        "2024年13月40日",
    ],
)
def test_edge_cases(text: str) -> None:
    _check(text)


def test_empty_and_unspeakable_give_empty_result() -> None:
    for text in ("", "Hello world", "😀", "ㄅㄆㄇ"):
        res = g2p_zh(text)
        assert (res.norm_text, res.phones, res.word2ph) == ("", [], [])


def test_every_readable_character_has_phones() -> None:
    """Each character normalisation keeps converts on its own (its default reading)."""
    for char in sorted(_readable_chars()):
        (initial,), (final,) = _word_pinyin(char)
        assert set(split_to_phones(initial, final)) <= _SYMBOL_SET, char
