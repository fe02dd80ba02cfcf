"""Parity of the zh front-end with the original clean_text(text, "zh", "v2") (pypinyin branch).

The fixture holds 140 records produced by the original; we require >= 97 % exact matches of
(norm_text, phones, word2ph) and list every mismatch in the failure message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gpt_sovits.text.zh.g2p import g2p_zh

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "frontend_zh.jsonl"
SYMBOLS = Path(__file__).resolve().parents[2] / "gpt_sovits" / "text" / "data" / "symbols_v2.json"


def _records() -> list[dict]:
    return [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]


def _mismatches() -> tuple[int, list[str]]:
    records = _records()
    lines = []
    for rec in records:
        res = g2p_zh(rec["text"])
        if (res.norm_text, res.phones, res.word2ph) != (rec["norm_text"], rec["phones"], rec["word2ph"]):
            lines.append(
                f"{rec['id']} {rec['text']!r}\n  ours: {res.norm_text!r} {' '.join(res.phones)} {res.word2ph}"
                f"\n  ref:  {rec['norm_text']!r} {' '.join(rec['phones'])} {rec['word2ph']}"
            )
    return len(records), lines


def test_fixture_parity_rate() -> None:
    total, lines = _mismatches()
    rate = 1 - len(lines) / total
    print(f"zh parity: {total - len(lines)}/{total} = {rate:.1%}")
    assert total == 140
    assert rate >= 0.97, "mismatches:\n" + "\n".join(lines)


def test_ids_match_fixture() -> None:
    symbols = json.loads(SYMBOLS.read_text(encoding="utf-8"))["symbols"]
    index = {s: i for i, s in enumerate(symbols)}
    for rec in _records()[:30]:
        assert [index[p] for p in g2p_zh(rec["text"]).phones] == rec["ids"], rec["id"]


@pytest.mark.parametrize(
    ("text", "phones"),
    [
        (
            "这个东西卖￥99。",
            [
                "zh",
                "e4",
                "g",
                "e5",
                "d",
                "ong1",
                "x",
                "i5",
                "m",
                "ai4",
                "SP2",
                "j",
                "iu3",
                "sh",
                "ir2",
                "j",
                "iu3",
                ".",
            ],
        ),
        (
            "我们^休息一下。",
            ["w", "o3", "m", "en5", "SP3", "x", "iu1", "x", "i5", "y", "i2", "x", "ia4", "."],
        ),
    ],
)
def test_special_symbols(text: str, phones: list[str]) -> None:
    assert g2p_zh(text).phones == phones
