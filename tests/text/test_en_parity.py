"""Parity of the English front-end with the original GPT-SoVITS v2 ``clean_text(text, "en", "v2")``.

The fixtures were recorded with ``nltk.pos_tag`` replaced by a tagger labelling every token "NN"
(``frontend_meta.json``), so the faithful style is checked with ``pos.all_nouns``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gpt_sovits.text.en.g2p import g2p_en, symbols_v2
from gpt_sovits.text.en.pos import all_nouns, heuristic_tags

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "frontend_en.jsonl"
MIN_RATE = 0.97


def _records() -> list[dict]:
    return [json.loads(line) for line in FIXTURES.read_text(encoding="utf-8").splitlines() if line]


def _mismatches(tagger) -> list[str]:
    out = []
    for rec in _records():
        result = g2p_en(rec["text"], faithful=True, tagger=tagger)
        if result.phones != rec["phones"]:
            out.append(
                f"{rec['id']} {rec['text']!r}: got {' '.join(result.phones)} | want {' '.join(rec['phones'])}"
            )
    return out


def test_faithful_phone_parity_rate():
    records = _records()
    assert len(records) == 88
    bad = _mismatches(all_nouns)
    rate = 1 - len(bad) / len(records)
    print(f"en phone parity: {rate:.4f} ({len(records) - len(bad)}/{len(records)})", *bad, sep="\n")
    assert rate >= MIN_RATE, "\n".join(bad)


def test_faithful_norm_text_matches_every_record():
    bad = [r["id"] for r in _records() if g2p_en(r["text"], faithful=True).norm_text != r["norm_text"]]
    assert bad == []


def test_fixture_tags_are_all_nouns():
    for rec in _records():
        for call in rec["pos_tag_calls"]:
            assert all_nouns(call["tokens"]) == call["tags"]


def test_ids_follow_symbol_table():
    table = json.loads(
        (Path(__file__).resolve().parents[2] / "gpt_sovits" / "text" / "data" / "symbols_v2.json").read_text()
    )["symbols"]
    for rec in _records():
        assert [table[i] for i in rec["ids"]] == rec["phones"]
        assert set(rec["phones"]) <= symbols_v2()


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("I read the book yesterday.", ["R", "EH1", "D"]),  # past tense
        ("They live in a small house.", ["HH", "AW1", "S"]),  # noun
        ("Please close the window.", ["K", "L", "OW1", "Z"]),  # verb (the fixture's NN gives "S")
        ("Please record the meeting.", ["R", "IH0", "K", "AO1", "R", "D"]),  # verb
        ("I will read it.", ["R", "IY1", "D"]),
        ("The record was broken.", ["R", "EH1", "K", "ER0", "D"]),
    ],
)
def test_heuristic_tagger_homographs(text, want):
    phones = g2p_en(text, faithful=True, tagger=heuristic_tags).phones
    assert " ".join(want) in " ".join(phones)
