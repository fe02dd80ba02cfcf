"""Rewrite numbers, money, times, units and simple maths in English text as words.

``verbalize(text, faithful=True)`` applies the rules of the original GPT-SoVITS en normaliser in its
order, including its quirks (so training data matches the official pipeline): "1. " becomes an
ordinal anywhere, a negative sign eats the space before it, any digit run with commas loses them,
clock times always get "a.m."/"p.m.". With ``faithful=False`` those quirks are fixed.
"""

from __future__ import annotations

import re

from gpt_sovits.text.en import numbers as num

_ORDINAL_DOT = re.compile(r"\b([0-9]+)\. ")
_LIST_NUMBER = re.compile(r"^(\s*)([0-9]+)\. ", re.MULTILINE)
_OPERAND = r"(?:(?<!\d)-?\d+(?:\.\d+)?[⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ]*|\.\d+[⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ]*|[A-Za-z][⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ]*)"
_MATHS = re.compile(rf"({_OPERAND})\s+([-+×÷=])\s+({_OPERAND})")
_MATH_WORDS = {"+": " plus ", "-": " minus ", "×": " times ", "÷": " divided by ", "=": " Equals "}
_NEGATIVE = re.compile(r"(?:^|\s+)-(\d+)")
_NEGATIVE_SPACED = re.compile(r"(^|\s)-(\d+)")
_COMMA_NUMBER = re.compile(r"(?<![0-9])([0-9][0-9,]+[0-9])")
_GROUPED_NUMBER = re.compile(r"\b\d{1,3}(?:,\d{3})+\b")
_TIME = re.compile(r"\b([01]?[0-9]|2[0-3]):([0-5][0-9])\b")
_UNITS = {
    "m": ("meter", "meters"),
    "km": ("kilometer", "kilometers"),
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "ft": ("feet", "feet"),
    "L": ("liter", "liters"),
    "tbsp": ("tablespoon", "tablespoons"),
    "tsp": ("teaspoon", "teaspoons"),
    "h": ("hour", "hours"),
    "min": ("minute", "minutes"),
    "s": ("second", "seconds"),
    "°C": ("degree celsius", "degrees celsius"),
    "°F": ("degree fahrenheit", "degrees fahrenheit"),
}
_MEASURE = re.compile(r"\b([0-9]+(\.[0-9]+)?(m|km|km/h|ft|L|tbsp|tsp|h|min|s|°C|°F))\b")
_POUNDS = (re.compile(r"£([0-9.,]*[0-9]+)"), re.compile(r"(?<![0-9.,])([0-9.,]*[0-9])£"))
_DOLLARS = (re.compile(r"\$([0-9.,]*[0-9]+)"), re.compile(r"(?<![(0-9.,])([(0-9.,]*[0-9])\$"))
_DECIMAL = re.compile(r"(?<![0-9])([0-9]+)\.(\s*[0-9]+)")
_FRACTION = re.compile(r"(?<![0-9])([0-9]+)/([0-9]+)")
_ORDINAL = re.compile(r"(?<![0-9])[0-9]+(?:st|nd|rd|th)")
_NUMBER = re.compile(r"[0-9]+")
_MAX_MATH_PASSES = 50
# The "(?<![0-9])" look-behinds only skip start positions inside a digit run, where the original's
# patterns could not match either; they keep the results and avoid quadratic scans of long runs.


def _maths(text: str) -> str:
    """Arithmetic: "3 + 4 = 7" -> "3 plus 4 Equals 7" (operators need spaces around them)."""
    for _ in range(_MAX_MATH_PASSES):
        new = _MATHS.sub(lambda m: m[1] + _MATH_WORDS[m[2]] + m[3], text)
        if new == text:
            break
        text = new
    return text


def _time(m: re.Match[str], faithful: bool) -> str:
    hours, minutes = int(m[1]), int(m[2])
    period = " a.m." if hours < 12 else " p.m."
    if hours > 12:
        hours -= 12
    if not faithful:
        period = ""
        hours = hours or 12
    if minutes == 0:
        return f"{num.cardinal(hours)} o'clock{period}"
    minute_words = num.cardinal(minutes) if faithful or minutes >= 10 else "oh " + num.cardinal(minutes)
    return f"{num.cardinal(hours)} {minute_words}{period}"


def _measure(m: re.Match[str]) -> str:
    unit, value = m[3], m[1][: -len(m[3])]
    singular = m[2] is None and value.lstrip("0") == "1"
    return value + " " + _UNITS[unit][0 if singular else 1]


def _decimal(m: re.Match[str]) -> str:
    # the original keeps whitespace characters after the point as "words" of their own
    return m[1] + " point " + " ".join(m[2])


def verbalize(text: str, *, faithful: bool = True) -> str:
    """Replace digits and number-like expressions with English words."""
    if faithful:
        text = _ORDINAL_DOT.sub(lambda m: num.ordinal_suffix(m[1]) + ", ", text)
    else:
        text = _LIST_NUMBER.sub(lambda m: m[1] + num.ordinal_suffix(m[2]) + ", ", text)
    text = _maths(text)
    if faithful:
        text = _NEGATIVE.sub(lambda m: "negative " + m[1], text)
        text = _COMMA_NUMBER.sub(lambda m: m[1].replace(",", ""), text)
    else:
        text = _NEGATIVE_SPACED.sub(lambda m: m[1] + "negative " + m[2], text)
        text = _GROUPED_NUMBER.sub(lambda m: num.cardinal(m[0].replace(",", "")).replace(",", ""), text)
    text = _TIME.sub(lambda m: _time(m, faithful), text)
    text = _MEASURE.sub(_measure, text)
    for pattern in _POUNDS:
        text = pattern.sub(lambda m: num.money(m[1], ("pound", "pounds"), ("penny", "pence")), text)
    for pattern in _DOLLARS:
        text = pattern.sub(lambda m: num.money(m[1], ("dollar", "dollars"), ("cent", "cents")), text)
    text = _DECIMAL.sub(_decimal, text)
    text = _FRACTION.sub(lambda m: num.fraction(m[1], m[2]), text)
    text = _ORDINAL.sub(lambda m: num.ordinal(m[0]), text)
    if faithful:
        return _NUMBER.sub(lambda m: num.number(m[0]), text)
    return _NUMBER.sub(lambda m: num.number(m[0]).replace(",", ""), text)
