"""Segmentation for synthesis: each method, post-processing, the length cap."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpt_sovits.text.segment import (
    API_METHOD_NAMES,
    DEFAULT_METHOD,
    METHODS,
    resolve_method,
    split_after,
    split_text,
)

ZH = "今天天气很好，我们去公园散步吧。圆周率是3.14159，价格是1,000元。"
EN = "Hello there, how are you doing today? I am fine! The price is 3.50 dollars. Bye."


def test_split_after_keeps_marks_and_numbers():
    assert split_after("a,b.c", ",.") == ["a,", "b.", "c"]
    assert split_after("pi is 3.14. ok", ".") == ["pi is 3.14.", " ok"]
    assert split_after("1,000 and 10:30, done", ",:") == ["1,000 and 10:30,", " done"]
    assert split_after("Wait... what?!", ".?") == ["Wait...", " what?!"]
    assert split_after("他说：“好。”然后", "。") == ["他说：“好。”", "然后"]


def test_none_keeps_the_text_whole():
    assert split_text(ZH, "none") == [ZH]


def test_punctuation_cuts_every_clause_but_not_decimals():
    segments = split_text(ZH + EN, "punctuation")
    assert segments[:4] == ["今天天气很好，", "我们去公园散步吧。", "圆周率是3.14159，", "价格是1,000元。"]
    assert "The price is 3.50 dollars." in segments
    assert all(not s.endswith("3.") for s in segments)


def test_zh_period_and_en_period():
    assert split_text(ZH, "zh_period") == [
        "今天天气很好，我们去公园散步吧。",
        "圆周率是3.14159，价格是1,000元。",
    ]
    assert split_text(EN, "en_period") == [
        "Hello there, how are you doing today? I am fine! The price is 3.50 dollars.",
        "Bye.",
    ]


def test_every_4_sentences_groups_four():
    text = "一二三四，二二三四。三二三四！四二三四？五二三四，六二三四。"
    assert split_text(text, "every_4_sentences") == [
        "一二三四，二二三四。三二三四！四二三四？",
        "五二三四，六二三四。",
    ]


def test_every_50_chars_gathers_and_folds_a_short_tail():
    sentence = "这是一个十个字的句子。"  # 11 characters
    segments = split_text(sentence * 10, "every_50_chars")
    assert [len(s) for s in segments] == [55, 55]
    assert split_text(sentence * 6, "every_50_chars") == [sentence * 6]


def test_api_names_map_to_methods():
    assert resolve_method("cut5") == "punctuation" == DEFAULT_METHOD
    assert set(API_METHOD_NAMES.values()) == set(METHODS)
    for api, name in API_METHOD_NAMES.items():
        assert split_text(ZH + EN, api) == split_text(ZH + EN, name)
    with pytest.raises(ValueError, match="unknown text split method"):
        split_text("x", "cut9")


def test_post_processing_rules():
    assert split_text("好的……走吧——快点！！！", "none") == ["。好的。走吧，快点！"]
    assert split_text("Hi, how are you", "none") == [".Hi, how are you."]  # short first clause
    assert split_text("你好，今天怎么样", "none") == ["。你好，今天怎么样。"]
    assert split_text("第一行很长很长\n第二行也很长", "none") == ["第一行很长很长。", "第二行也很长。"]
    assert split_text("你们好吗，好。再见了吧。", "punctuation") == [
        "你们好吗，",
        "好。再见了吧。",
    ]  # merge < 5 forward


@pytest.mark.parametrize("text", ["", "   ", "！！！", "……", "😀", "\n\n"])
def test_nothing_to_say_gives_no_segments(text):
    assert split_text(text) == []


def test_cap_cuts_at_punctuation_then_space_never_mid_word():
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu"
    segments = split_text(words, "none", max_chars=20)
    assert all(len(s) <= 20 for s in segments)
    rebuilt = " ".join(s.rstrip(".") for s in segments).split()
    assert rebuilt == words.split()
    text = "我们今天去公园，然后去超市买东西，最后回家做饭吃"
    segments = split_text(text, "none", max_chars=12)
    assert segments[0] == "我们今天去公园，"
    assert all(len(s) <= 12 for s in segments)


def test_cap_does_not_split_numbers():
    text = "the value is 3.14159265358979 and more words follow here"
    for s in split_text(text, "none", max_chars=24):
        assert len(s) <= 24
        assert not re.search(r"\d\.$", s.rstrip(".")) and not re.match(r"^\d", s) or "3.14159265358979" in s


def test_single_long_word_is_the_only_mid_word_cut():
    segments = split_text("a" * 45, "none", max_chars=20)
    assert all(len(s) <= 20 for s in segments)
    assert "".join(s.rstrip(".") for s in segments) == "a" * 45


def test_max_chars_range_is_checked():
    with pytest.raises(ValueError, match="max_chars"):
        split_text("hello", max_chars=5)
    with pytest.raises(ValueError, match="max_chars"):
        split_text("hello", max_chars=600)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    st.lists(st.sampled_from(list("ab 你好。，,.!?3\n…—") + ["12.5", "hello ", "世界"]), max_size=200).map(
        "".join
    ),
    st.sampled_from(sorted(METHODS)),
    st.integers(min_value=10, max_value=60),
)
def test_properties_every_method(text, method, max_chars):
    segments = split_text(text, method, max_chars)
    for s in segments:
        assert s and s == s.strip()
        assert len(s) <= max_chars
        assert any(ch.isalnum() for ch in s)
