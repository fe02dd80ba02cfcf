"""Dates and clock times read aloud in Mandarin ("2024年5月3日", "2023-11-05", "08:30", "19:00-21:30")."""

from __future__ import annotations

import re

from gpt_sovits.text.zh.numbers import read_cardinal, read_digits, read_number

_CLOCK = r"([0-1]?[0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?"
RE_CLOCK = re.compile(_CLOCK)
RE_CLOCK_RANGE = re.compile(_CLOCK + r"(?:~|-)" + _CLOCK)
RE_DATE = re.compile(r"(\d{4}|\d{2})年((0?[1-9]|1[0-2])月)?(((0?[1-9])|((1|2)[0-9])|30|31)([日号]))?")
RE_DATE_NUMERIC = re.compile(r"(\d{4})([- /.])(0[1-9]|1[012])\2(0[1-9]|[12][0-9]|3[01])")


def _minutes_or_seconds(value: str) -> str:
    """ "05" -> 零五 (a leading zero is spoken), "45" -> 四十五."""
    spoken = read_number(value.lstrip("0"))
    return ("零" + spoken) if value.startswith("0") else spoken


def _clock(hour: str, minute: str, second: str | None, *, half_from: str) -> str:
    """One clock time. ``half_from`` decides 半: the reference tests the *first* minute of a
    range for both ends (a quirk kept for parity: 19:00-21:30 -> 十九点至二十一点三十分)."""
    text = read_number(hour) + "点"
    if minute.lstrip("0"):
        text += "半" if int(half_from) == 30 else _minutes_or_seconds(minute) + "分"
    if second and second.lstrip("0"):
        text += _minutes_or_seconds(second) + "秒"
    return text


def sub_clock_range(sentence: str) -> str:
    """ "19:00-21:30" -> 十九点至二十一点三十分."""

    def one(m: re.Match[str]) -> str:
        h1, m1, s1, h2, m2, s2 = m.groups()
        return _clock(h1, m1, s1, half_from=m1) + "至" + _clock(h2, m2, s2, half_from=m1)

    return RE_CLOCK_RANGE.sub(one, sentence)


def sub_clock(sentence: str) -> str:
    """ "3:45" -> 三点四十五分, "08:30" -> 八点半."""
    return RE_CLOCK.sub(lambda m: _clock(m.group(1), m.group(2), m.group(3), half_from=m.group(2)), sentence)


def sub_date(sentence: str) -> str:
    """ "2024年5月3日" -> 二零二四年五月三日 (year digit by digit)."""

    def one(m: re.Match[str]) -> str:
        text = read_digits(m.group(1)) + "年"
        if m.group(3):
            text += read_cardinal(m.group(3)) + "月"
        if m.group(5):
            text += read_cardinal(m.group(5)) + m.group(9)
        return text

    return RE_DATE.sub(one, sentence)


def sub_numeric_date(sentence: str) -> str:
    """ "2023-11-05" / "2025/01/01" -> 二零二三年十一月五日."""

    def one(m: re.Match[str]) -> str:
        return (
            read_digits(m.group(1))
            + "年"
            + read_cardinal(m.group(3))
            + "月"
            + read_cardinal(m.group(4))
            + "日"
        )

    return RE_DATE_NUMERIC.sub(one, sentence)
