"""Normalisation rules of the zh front-end (numbers, dates, units, punctuation...)."""

from __future__ import annotations

import pytest

from gpt_sovits.text.zh.normalize import normalize_zh
from gpt_sovits.text.zh.numbers import read_cardinal, read_digits, read_number


@pytest.mark.parametrize(
    ("digits", "spoken"),
    [
        ("0", "零"),
        ("10", "十"),
        ("15", "十五"),
        ("105", "一百零五"),
        ("1250", "一千二百五十"),
        ("10000", "一万"),
        ("100010", "十万零一十"),
        ("120000000", "一亿二千万"),
        ("007", "七"),
    ],
)
def test_read_cardinal(digits: str, spoken: str) -> None:
    assert read_cardinal(digits) == spoken


def test_read_digits_and_decimals() -> None:
    assert read_digits("110", yao=True) == "幺幺零"
    assert read_digits("110") == "一一零"
    assert read_number("3.20") == "三点二零"
    assert read_number(".5") == "零点五"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我有3个苹果。", "我有三个苹果."),
        ("温度-15度", "温度零下十五度"),
        ("欠款-20元", "欠款负二十元"),
        ("2/3的人", "三分之二的人"),
        ("增长了12.5%", "增长了百分之十二点五"),
        ("2023-11-05", "二零二三年十一月五日"),
        ("1998年12月31日", "一九九八年十二月三十一日"),
        ("08:30出发", "八点半出发"),
        ("3:45:07", "三点四十五分零七秒"),
        ("13812345678", "幺三八幺二三四五六七八"),
        ("010-62345678", "零幺零减六二三四五六七八"),  # "-" is read as minus first, as in the original
        ("身高180cm", "身高一百八十厘米"),
        ("长3km", "长三千米"),
        ("1+1=2", "一加一等于二"),
        ("x²", "的二次方"),
        ("3.2.1版", "三点二点一版"),
        ("10~20人", "十到二十人"),
        ("第2名", "第两名"),
        ("2月", "二月"),
        ("１２３全角", "幺二三全角"),
        ("這是測試", "这是测试"),
        ("α粒子", "阿尔法粒子"),
        ("他说：“好！”", "他说,好!"),
        ("等等……好吧～", "等等…好吧…"),
        ("嗯，呣", "恩,母"),
        ("第一行\n第二行", "第一行第二行"),
        ("", ""),
        ("😀 Hello ㄅ 𠮷", ""),
    ],
)
def test_normalize_zh(text: str, expected: str) -> None:
    assert normalize_zh(text) == expected
