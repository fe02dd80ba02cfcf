"""English G2P building blocks: lexicon, ARPAbet validation, neural OOV model, tokeniser, rules."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gpt_sovits.text.en import lexicon
from gpt_sovits.text.en.g2p import EnResult, g2p_en, lookup_word
from gpt_sovits.text.en.oov import predict_oov
from gpt_sovits.text.en.tokenize import tokenize


def test_is_arpabet_and_validate():
    assert lexicon.is_arpabet("IY1") and lexicon.is_arpabet("K") and lexicon.is_arpabet("ER0")
    for bad in ("IY", "iy1", "IY3", "X", "", ",", "UNK"):
        assert not lexicon.is_arpabet(bad)
    lexicon.validate_arpabet(["L", "IH1", "V"])
    with pytest.raises(ValueError, match="'IH'"):
        lexicon.validate_arpabet(["L", "IH", "V"])
    with pytest.raises(ValueError):
        lexicon.validate_arpabet([])


def test_lexicon_content_and_case_insensitive_lookup():
    assert lexicon.lookup("Hello") == ["HH", "AH0", "L", "OW1"]
    assert lexicon.lookup("BAN") == lexicon.lookup("ban") == ["B", "AE1", "N"]
    assert lexicon.lookup("ai") is None  # removed like the original
    assert lexicon.lookup("chatgpt") == "CH AE1 T JH IY1 P IY1 T IY1".split()
    assert lexicon.homographs()["read"][2] == "VBP"


def test_lexicons_load_lazily():
    code = (
        "import gpt_sovits.text.en.g2p as g, gpt_sovits.text.en.lexicon as l, gpt_sovits.text.en.oov as o\n"
        "assert l.cmu_lexicon.cache_info().currsize == 0\n"
        "assert o.neural_g2p.cache_info().currsize == 0\n"
        "assert g._segmenter.cache_info().currsize == 0\n"
        "import sys; assert 'g2p_en' not in sys.modules and 'nltk' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_neural_oov_matches_reference_outputs():
    # Outputs of the original g2p_en model, recorded in the parity fixtures (pub-en-058, -088).
    assert predict_oov("xiaoming") == tuple("Z AY1 K Y UW2 M IH0 NG".split())
    assert predict_oov("a" * 22) == tuple("EY2 OW0 AA1 L EY0".split())
    assert predict_oov("activationist")[:3] == ("AE2", "K", "T")


def test_lookup_rules():
    assert lookup_word("keyboardwarrior") == "K IY1 B AO2 R D W AO1 R IY0 ER0".split()  # wordsegment
    assert lookup_word("xyz") == "EH1 K S W AY1 Z IY1".split()  # short OOV spelled
    assert lookup_word("zorblax's")[-1] in {"S", "Z"}  # possessive on a predicted stem
    assert lookup_word("kitchenette's") == lexicon.lookup("kitchenette") + ["S"]
    assert lookup_word("bosch's")[-2:] == ["AH0", "Z"]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("five.seven point nine", ["five.seven", "point", "nine"]),
        ("state-of-the-art isn't it?", ["state-of-the-art", "isn't", "it", "?"]),
        ("cats' toys", ["cats", "'", "toys"]),
        ("a.m. Wait. what", ["a", ".", "m", ".", "Wait", ".", "what"]),
        ("''''' -", ["'", "'", "'", "-"]),
    ],
)
def test_tokenize(text, want):
    assert tokenize(text) == want


def test_tokenize_agrees_with_nltk_tweet_tokenizer():
    casual = pytest.importorskip("nltk.tokenize.casual")
    tok = casual.TweetTokenizer()
    samples = [
        "Hello, world!",
        "It's the cats' well-known five.seven.eight a.m. - end",
        "x.yz.com--a",
        "Wait. what happened?",
        "a '' b''c ---- d....e",
        "don't-stop-me-now, ok.co",
    ]
    for text in samples:
        assert tokenize(text) == tok.tokenize(text), text


def test_g2p_result_and_short_rule():
    result = g2p_en("Go.")
    assert isinstance(result, EnResult) and result.phones == [",", "G", "OW1", "."]
    assert g2p_en("").phones == [","]
    assert g2p_en("Hello world").phones[0] == "HH"


def test_studio_readings():
    assert g2p_en("NASA").phones == ["N", "AE1", "S", "AH0"]  # a word from the lexicon
    assert g2p_en("I like HTML.").phones[4:-1] == "EY2 CH T IY2 EH2 M EH1 L".split()
    assert "B AE1 N" in " ".join(g2p_en("The BAN starts today.").phones)  # case-insensitive lookup
    assert " ".join(g2p_en("my iPhone").phones).endswith("AY1 F OW2 N")  # camelCase
    assert "-" not in g2p_en("The cats' toys.").phones
    assert g2p_en("NASA", faithful=True).phones == "EH1 N EY1 EH1 S EY1".split()  # original spells
