"""Language runs by script: Han -> zh, Latin -> en, neutral characters attach, others skipped."""

from __future__ import annotations

import pytest

from gpt_sovits.text.langsplit import Skipped, char_class, is_han, split_languages


def test_mixed_text_alternates_runs_and_punctuation_follows_the_run_before():
    runs, skipped = split_languages("你好，Hello world！我很好。")
    assert runs == [("zh", "你好，"), ("en", "Hello world！"), ("zh", "我很好。")]
    assert skipped == []


def test_digits_written_against_han_join_the_chinese_run():
    runs, _ = split_languages("I have 3个苹果")
    assert runs == [("en", "I have "), ("zh", "3个苹果")]
    runs, _ = split_languages("我有100 dollars")
    assert runs == [("zh", "我有100 "), ("en", "dollars")]


def test_neutral_between_same_language_merges_into_one_run():
    runs, _ = split_languages("Wi-Fi password 123 ok")
    assert runs == [("en", "Wi-Fi password 123 ok")]
    runs, _ = split_languages("第3章")
    assert runs == [("zh", "第3章")]


def test_leading_neutral_goes_to_the_first_run():
    runs, _ = split_languages("  2024年 OK")
    assert runs[0] == ("zh", "  2024年 ")
    assert runs[1] == ("en", "OK")


def test_unsupported_scripts_and_emoji_are_skipped_with_positions():
    text = "Привет 你好 😀👍🏽 ok"
    runs, skipped = split_languages(text)
    assert [lang for lang, _ in runs] == ["zh", "en"]
    assert skipped == [
        Skipped(0, "Привет", "CYRILLIC"),
        Skipped(10, "😀👍🏽", "emoji or pictographic symbol"),
    ]
    for s in skipped:
        assert text[s.position : s.position + len(s.text)] == s.text
    assert "Привет" not in "".join(t for _, t in runs)


@pytest.mark.parametrize(
    ("text", "script"),
    [("안녕하세요", "HANGUL"), ("こんにちは", "HIRAGANA"), ("مرحبا", "ARABIC"), ("ㄅㄆㄇ", "BOPOMOFO")],
)
def test_other_scripts_only_gives_no_runs(text, script):
    runs, skipped = split_languages(text)
    assert runs == []
    assert [s.script for s in skipped] == [script]
    assert skipped[0].text == text


def test_english_mode_is_one_run_and_reports_han():
    runs, skipped = split_languages("Hello 你好 world", "en")
    assert runs == [("en", "Hello   world")]
    assert skipped == [Skipped(6, "你好", "HAN")]


def test_text_without_letters_uses_the_mode_default():
    assert split_languages("123", "auto")[0] == [("en", "123")]
    assert split_languages("123", "zh")[0] == [("zh", "123")]
    assert split_languages("１２３！", "auto")[0] == [("zh", "１２３！")]
    assert split_languages("   ", "auto")[0] == []
    assert split_languages("", "zh") == ([], [])


def test_offsets_are_used_for_skipped_positions():
    _, skipped = split_languages("a😀", offsets=[10, 11])
    assert skipped == [Skipped(11, "😀", "emoji or pictographic symbol")]


def test_combining_marks_follow_their_letter_and_format_chars_vanish():
    runs, skipped = split_languages("e\u0301cole\u200b你")
    assert runs == [("en", "e\u0301cole"), ("zh", "你")]
    assert skipped == []


def test_char_classes():
    assert is_han("中") and is_han("𠮷") and is_han("〇")
    assert not is_han("a") and not is_han("。")
    assert char_class("Ａ") == "latin" and char_class("５") == "digit"
    assert char_class("℃") == "neutral" and char_class("\U0001f600") == "emoji or pictographic symbol"


def test_unknown_mode_raises():
    with pytest.raises(ValueError, match="unknown language mode"):
        split_languages("x", "ja")
