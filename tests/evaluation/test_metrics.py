"""Scoring text: normalisation (case, punctuation, numbers, Traditional Chinese), edit distance, WER/CER."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpt_sovits.evaluation.metrics import (
    ErrorCount,
    capped_rate,
    corpus_rate,
    edit_distance,
    error_count,
    normalize_for_scoring,
    pinyin_error_count,
    pinyin_units,
    pooled_rates,
    scoring_units,
    strip_punctuation,
)


@pytest.mark.parametrize(("a", "b", "distance"), [
    ("kitten", "sitting", 3),
    ("", "abc", 3),
    ("abc", "", 3),
    ("", "", 0),
    ("flaw", "lawn", 2),
    (["the", "cat", "sat"], ["the", "sat"], 1),
    (["a", "b"], ["b", "a"], 2),
])
def test_edit_distance_known_values(a, b, distance: int) -> None:
    assert edit_distance(a, b) == distance


@given(st.text(alphabet="abc", max_size=12), st.text(alphabet="abc", max_size=12))
def test_edit_distance_is_a_bounded_symmetric_metric(a: str, b: str) -> None:
    d = edit_distance(a, b)
    assert d == edit_distance(b, a)
    assert abs(len(a) - len(b)) <= d <= max(len(a), len(b))
    assert (d == 0) == (a == b)
    assert edit_distance(a, a + "c") == 1


def test_strip_punctuation_uses_unicode_categories() -> None:
    assert strip_punctuation("Hello,World!  It's «fine» — 100% + €5 🙂") == "hello world its fine 100 5"
    assert strip_punctuation("你好，世界。“引号”") == "你好 世界 引号"


def test_english_normalisation_makes_spellings_agree() -> None:
    assert normalize_for_scoring("It's 5 o'clock, Dr. Smith!", "en") == normalize_for_scoring(
        "its five oclock doctor smith", "en")
    assert normalize_for_scoring("I paid $3.50, 45% more.", "en") == \
        "i paid three dollars and fifty cents forty five percent more"
    assert error_count("The 3 cats sat on the mat.", "the three cats sat on the mat", "en") == ErrorCount(0, 7)


def test_wer_counts_word_edits() -> None:
    count = error_count("The cat sat on the mat.", "The cat sat on a hat, today!", "en")
    assert count == ErrorCount(edits=3, units=6)  # two substitutions and one insertion
    assert count.rate == pytest.approx(0.5)
    assert error_count("Hello there.", "", "en").rate == 1.0


def test_chinese_traditional_and_punctuation_and_spaces_do_not_count() -> None:
    assert error_count("今天天氣很好，我們去散步。", "今天天气很好 我们去散步", "zh") == ErrorCount(0, 11)
    assert normalize_for_scoring("說話", "zh") == "说话"
    assert scoring_units("你 好，世界！", "zh") == ["你", "好", "世", "界"]


def test_chinese_numbers_are_spelled_out_on_both_sides() -> None:
    assert error_count("今天是2024年5月3日。", "今天是二零二四年五月三日", "zh").edits == 0


def test_cer_counts_character_edits() -> None:
    count = error_count("今天天气很好", "今天天汽很好啊", "zh")
    assert count == ErrorCount(edits=2, units=6)


def test_pinyin_rates_split_a_cer_into_homophones_tones_and_wrong_syllables() -> None:
    text = "我想买一本书。"
    assert pinyin_units(text) == ["wo3", "xiang3", "mai3", "yi1", "ben3", "shu1"]
    assert pinyin_units("银行的AI", tones=False) == ["yin", "hang", "de", "a", "i"]  # 行 read in its phrase
    homophone = "我想买一本输"  # 书 shu1 heard as 输 shu1: a CER error, not a syllable error
    tone = "我想卖一本书"  # mai3 heard as mai4: the same syllable in another tone
    syllable = "我想拿一本书"  # another syllable
    assert [error_count(text, heard, "zh").edits for heard in (homophone, tone, syllable)] == [1, 1, 1]
    assert [pinyin_error_count(text, heard).edits for heard in (homophone, tone, syllable)] == [0, 1, 1]
    assert [pinyin_error_count(text, heard, tones=False).edits for heard in (homophone, tone, syllable)] == [0, 0, 1]
    assert pinyin_error_count("今天是2024年。", "今天是二零二四年").edits == 0  # numbers spelled out as in the CER
    assert pinyin_error_count(text, "我想买书") == ErrorCount(2, 6)
    pooled = pooled_rates([(text, homophone), (text, syllable)], "zh")  # 2 CER edits, 1 syllable edit, over 12
    assert pooled == pytest.approx({"cer": 2 / 12, "pinyin_error": 1 / 12, "pinyin_error_toneless": 1 / 12})
    assert pooled_rates([("see the sea", "see sea")], "en") == {"wer": pytest.approx(1 / 3)}


def test_corpus_rate_is_total_edits_over_total_units() -> None:
    counts = [ErrorCount(1, 2), ErrorCount(0, 8)]
    assert corpus_rate(counts) == pytest.approx(0.1)  # not the mean of 0.5 and 0.0
    assert corpus_rate([]) == 0.0


def test_capped_rate_counts_a_repetition_loop_as_one_wrong_text() -> None:
    loop = error_count("we go", "we go go go go go go go go go go go", "en")  # 10 insertions over 2 words
    fine = error_count("see the sea", "see the sea", "en")
    assert corpus_rate([loop, fine]) == pytest.approx(2.0)  # the loop dominates the total
    assert capped_rate([loop, fine]) == pytest.approx(0.5)
    assert capped_rate([ErrorCount(1, 4)]) == pytest.approx(0.25) and capped_rate([]) == 0.0


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="'en' or 'zh'"):
        normalize_for_scoring("bonjour", "fr")
