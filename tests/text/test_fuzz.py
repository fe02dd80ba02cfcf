"""Property-based fuzzing of to_phones: any Unicode string returns valid phones or a typed error."""

from __future__ import annotations

import importlib.util
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpt_sovits.errors import UnsupportedText
from gpt_sovits.text import TextOverrideError, frontend, overrides, to_phones
from gpt_sovits.text import symbols as sym

HAVE_REAL = all(importlib.util.find_spec(m) for m in ("gpt_sovits.text.zh.g2p", "gpt_sovits.text.en.g2p"))

# Mostly relevant characters, plus anything Unicode has.
_pieces = st.one_of(
    st.text(max_size=8),
    st.sampled_from(
        [
            "你好",
            "重新",
            "银行",
            "Hello",
            "world",
            " ",
            "，",
            "。",
            "!",
            "?",
            "3.14",
            "2024年",
            "😀",
            "Привет",
            "안녕",
            "{重|chong2}",
            "{live|L IH1 V}",
            "{",
            "}",
            "{{",
            "}}",
            "|",
            "￥",
            "^",
            "%",
            "\n",
            "ChatGPT",
            "…",
            "——",
            "１２３",
            "Ⅲ",
            "\u0301",
            "\u200d",
        ]
    ),
)
TEXTS = st.lists(_pieces, max_size=12).map("".join)


def fake_zh(text):
    norm = "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff" or ch in ",.")
    phones = [p for ch in norm for p in (["n", "i3"] if ch not in ",." else [ch])]
    return norm, phones, [1 if ch in ",." else 2 for ch in norm]


def fake_en(text, faithful=False):
    words = re.findall(r"[A-Za-z]+", text)
    phones = ["W", "ER1", "D"] * len(words)
    return " ".join(words), ([","] + phones if len(phones) < 4 else phones)


def _fake_pinyin(syllable):
    if not re.fullmatch(r"[a-z]+[1-5]", syllable):
        raise ValueError(f"'{syllable}' is not toned pinyin")
    return ["ch", "ong" + syllable[-1]]


def _fake_arpabet(phones):
    if not all(p in {"L", "IH1", "V"} for p in phones):
        raise ValueError("not ARPAbet")


def check(text: str, language: str, version: str) -> None:
    try:
        result = to_phones(text, language, version)
    except UnsupportedText:
        return
    except TextOverrideError:
        assert "{" in text or "}" in text
        return
    table = set(sym.symbols(version))
    assert result.phones and all(p in table for p in result.phones)
    assert sum(result.word2ph) == len(result.phones)
    assert len(result.word2ph) == len(result.norm_text)
    assert result.ids == sym.phones_to_ids(result.phones, version)
    assert all(0 <= i < len(table) for i in result.ids)
    for skipped in result.skipped:
        assert text[skipped.position : skipped.position + len(skipped.text)] == skipped.text


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS, st.sampled_from(["auto", "zh", "en"]), st.sampled_from(["v1", "v2"]))
def test_fuzz_with_fake_backends(text, language, version):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(frontend, "_g2p_zh", fake_zh)
        mp.setattr(frontend, "_g2p_en", fake_en)
        mp.setattr(overrides, "_pinyin_to_phones", _fake_pinyin)
        mp.setattr(overrides, "_validate_arpabet", _fake_arpabet)
        check(text, language, version)


@pytest.mark.skipif(not HAVE_REAL, reason="zh/en front-ends not present yet")
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS, st.sampled_from(["auto", "zh", "en"]))
def test_fuzz_with_real_backends(text, language):
    check(text, language, "v2")
