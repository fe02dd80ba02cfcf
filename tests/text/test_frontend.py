"""to_phones / clean_text / symbol tables: with fake g2p back-ends, then with the real ones."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from gpt_sovits.errors import UnsupportedText
from gpt_sovits.text import TextOverrideError, clean_text, frontend, overrides, to_phones
from gpt_sovits.text import symbols as sym

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HAVE_REAL = all(importlib.util.find_spec(m) for m in ("gpt_sovits.text.zh.g2p", "gpt_sovits.text.en.g2p"))
real = pytest.mark.skipif(not HAVE_REAL, reason="zh/en front-ends not present yet")


def fake_zh(text: str) -> tuple[str, list[str], list[int]]:
    """Every Han char -> "n i3", ，/, -> ",", 。/. -> "."; everything else dropped."""
    norm, phones, word2ph = "", [], []
    special = "SP2" if "￥" in text else None
    for ch in text.replace("￥", ","):
        if "\u4e00" <= ch <= "\u9fff":
            norm, phones, word2ph = norm + ch, phones + ["n", "i3"], word2ph + [2]
        elif ch in "，,。.":
            mark = "," if ch in "，," else "."
            norm, phones, word2ph = (
                norm + mark,
                phones + [special if mark == "," and special else mark],
                word2ph + [1],
            )
    return norm, phones, word2ph


def fake_en(text: str, faithful: bool = False) -> tuple[str, list[str]]:
    """Every ASCII word -> "W ER1 D", ,.!? kept; fewer than 4 phones get a leading ","."""
    tokens = re.findall(r"[A-Za-z]+|[,.!?]", text)
    phones = [p for t in tokens for p in (["W", "ER1", "D"] if t.isalpha() else [t])]
    if len(phones) < 4:
        phones = [","] + phones
    return " ".join(tokens), phones


@pytest.fixture
def fakes(monkeypatch):
    monkeypatch.setattr(frontend, "_g2p_zh", fake_zh)
    monkeypatch.setattr(frontend, "_g2p_en", fake_en)
    monkeypatch.setattr(overrides, "_pinyin_to_phones", lambda s: [s[:-1][:2], "ong" + s[-1]])
    monkeypatch.setattr(overrides, "_validate_arpabet", lambda phones: None)


def check_invariants(result, version="v2"):
    table = set(sym.symbols(version))
    assert all(p in table for p in result.phones)
    assert sum(result.word2ph) == len(result.phones)
    assert len(result.word2ph) == len(result.norm_text)
    assert result.ids == sym.phones_to_ids(result.phones, version)
    assert sym.ids_to_phones(result.ids, version) == result.phones
    assert [p for s in result.segments for p in s.phones] == result.phones


def test_symbol_tables():
    v1, v2 = sym.symbols("v1"), sym.symbols("v2")
    assert (len(v1), len(v2)) == (322, 732)
    assert v2[:322] == v1
    assert (v2.index(","), v2.index("UNK"), v2.index("_")) == (1, 86, 95)
    assert sym.phones_to_ids([",", "UNK"], "v1") == [1, 86]
    with pytest.raises(ValueError, match="not in the v2 symbol table"):
        sym.phones_to_ids(["nope"])
    with pytest.raises(ValueError, match="outside"):
        sym.ids_to_phones([732])
    with pytest.raises(ValueError, match="unknown symbol-table version"):
        sym.symbols("v3")
    assert sym.map_unknown(["a1", "zz"]) == ["a1", "UNK"]


def test_mixed_text_runs_and_word2ph_convention(fakes):
    result = to_phones("你好，Hello world！我好。")
    assert result.runs == [("zh", "你好，"), ("en", "Hello world！"), ("zh", "我好。")]
    assert result.phones == ["n", "i3", "n", "i3", ","] + ["W", "ER1", "D"] * 2 + ["n", "i3", "n", "i3", "."]
    assert result.norm_text == "你好,Hello world我好."
    assert result.word2ph == [2, 2, 1, 6] + [0] * 10 + [2, 2, 1]
    check_invariants(result)


def test_zh_mode_keeps_english_words_as_english_runs(fakes):
    result = to_phones("我用ChatGPT写", "zh")
    assert [lang for lang, _ in result.runs] == ["zh", "en", "zh"]
    assert result.segments[1].phones == [",", "W", "ER1", "D"]  # short English run: leading pause
    check_invariants(result)


def test_en_mode_drops_and_reports_han(fakes):
    result = to_phones("Hello 你好 world", "en")
    assert result.runs == [("en", "Hello   world")]
    assert [s.text for s in result.skipped] == ["你好"]
    check_invariants(result)


def test_overrides_become_forced_segments(fakes):
    result = to_phones("我{重|chong2}新，{live|L IH1 V} show")
    assert [(s.language, s.forced) for s in result.segments] == [
        ("zh", False),
        ("zh", True),
        ("zh", False),
        ("en", True),
        ("en", False),
    ]
    assert result.segments[1].phones == ["ch", "ong2"]
    assert result.segments[3].phones == ["L", "IH1", "V"]
    check_invariants(result)


def test_override_errors_surface(fakes):
    with pytest.raises(TextOverrideError, match="position 1"):
        to_phones("我{重|chong2")


@pytest.mark.parametrize("text", ["", "   ", "！！！", "😀😀", "Привет", "안녕", "。，"])
def test_nothing_pronounceable_raises(fakes, text):
    with pytest.raises(UnsupportedText, match="nothing to pronounce"):
        to_phones(text)


def test_unsupported_text_message_names_what_was_dropped(fakes):
    with pytest.raises(UnsupportedText, match="CYRILLIC"):
        to_phones("Привет!")


def test_min_phones_reruns_with_a_period(fakes):
    result = to_phones("好", min_phones=6)
    assert result.phones[0] == "." and result.norm_text == ".好"
    assert to_phones("好").phones == ["n", "i3"]


def test_unknown_phones_become_unk(fakes, monkeypatch):
    monkeypatch.setattr(frontend, "_g2p_zh", lambda t: ("好", ["n", "bogus"], [2]))
    assert to_phones("好", "zh").phones == ["n", "UNK"]


def test_broken_backend_contract_is_reported(fakes, monkeypatch):
    monkeypatch.setattr(frontend, "_g2p_zh", lambda t: ("好", ["n", "i3"], [1]))
    with pytest.raises(RuntimeError, match="broke its contract"):
        to_phones("好", "zh")


def test_bad_language_raises(fakes):
    with pytest.raises(ValueError, match="unknown language"):
        to_phones("x", "ja")
    with pytest.raises(ValueError, match="unsupported language"):
        clean_text("x", "ja")


def _records(lang: str) -> list[dict]:
    return [
        json.loads(line) for line in (FIXTURES / f"frontend_{lang}.jsonl").read_text("utf-8").splitlines()
    ]


@real
def test_real_clean_text_matches_zh_fixtures():
    records = _records("zh")
    exact = sum(
        (r := clean_text(rec["text"], "zh", faithful=True)).phones == rec["phones"]
        and r.word2ph == rec["word2ph"]
        and r.norm_text == rec["norm_text"]
        for rec in records
    )
    assert exact == len(records)


@real
def test_real_clean_text_matches_en_fixtures_in_faithful_mode():
    # The en front-end's own tests cover every record; here a sample, without POS-dependent words.
    records = [rec for rec in _records("en")[:20] if not rec["pos_sensitive"]]
    exact = sum(clean_text(rec["text"], "en", faithful=True).phones == rec["phones"] for rec in records)
    assert exact / len(records) >= 0.8


@real
@pytest.mark.parametrize(
    "text",
    [
        "今天{重|chong2}新开始，Hello world!",
        "我用ChatGPT写了3个程序。",
        "I have 3个苹果",
        "Привет 你好 😀 ok",
        "{银行|yin2 hang2}的{record|R EH1 K ER0 D}",
        "Hi.",
        "第一行\n第二行",
    ],
)
def test_real_to_phones_invariants(text):
    result = to_phones(text)
    check_invariants(result)
    check_invariants(to_phones(text, version="v1"), "v1")


@real
def test_real_override_changes_the_reading():
    plain = to_phones("重新", "zh")
    forced = to_phones("{重|zhong4}新", "zh")
    assert forced.phones[:2] == ["zh", "ong4"] and forced.phones[2:] == plain.phones[2:]
    with pytest.raises(TextOverrideError, match="position 3"):
        to_phones("{重|qqq9}")
