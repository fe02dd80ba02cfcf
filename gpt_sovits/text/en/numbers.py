"""Number verbalisers for English (cardinals, years, ordinals, decimals, fractions, money, times).

Pure functions from digits to words, built on ``inflect`` (MIT). The reading conventions follow the
original GPT-SoVITS en normaliser (``en_normalization/expend.py``): numbers between 1000 and 3000 are
read like years ("nineteen ninety-eight"), decimals digit by digit after "point".
"""

from __future__ import annotations

import functools

import inflect

# inflect's scale names stop near 10**33; longer digit strings are read digit by digit.
MAX_CARDINAL_DIGITS = 30
DIGIT_WORDS = "zero one two three four five six seven eight nine".split()


@functools.lru_cache(maxsize=1)
def _engine() -> inflect.engine:
    return inflect.engine()


def digits(text: str, zero: str = "zero") -> str:
    """Read each digit: "0123" -> "zero one two three"."""
    words = [DIGIT_WORDS[int(c)] if c != "0" else zero for c in text if c.isdecimal()]
    return " ".join(words)


def cardinal(value: int | str) -> str:
    """Plain cardinal without "and": 1234567 -> "one million, two hundred thirty-four thousand, ..."."""
    text = str(value).lstrip("0") or "0"
    if len(text) > MAX_CARDINAL_DIGITS:
        return digits(text)
    return str(_engine().number_to_words(int(text), andword=""))


def number(value: int | str) -> str:
    """The original's default reading: years between 1000 and 3000, cardinals otherwise."""
    text = str(value).lstrip("0") or "0"
    if len(text) > MAX_CARDINAL_DIGITS:
        return digits(text)
    num = int(text)
    if not 1000 < num < 3000:
        return cardinal(num)
    if num == 2000:
        return "two thousand"
    if 2000 < num < 2010:
        return "two thousand " + cardinal(num % 100)
    if num % 100 == 0:
        return cardinal(num // 100) + " hundred"
    paired = _engine().number_to_words(num, andword="", zero="oh", group=2)
    return str(paired).replace(", ", " ")


def is_small(text: str) -> bool:
    """True if a digit string is short enough for ``int``/inflect (at most MAX_CARDINAL_DIGITS)."""
    return len(text.lstrip("0")) <= MAX_CARDINAL_DIGITS


def ordinal(text: str) -> str:
    """Ordinal words from digits with st/nd/rd/th: "21st" -> "twenty-first"."""
    stem = text[:-2]
    if not is_small(stem):
        return digits(stem) + " th"
    return str(_engine().number_to_words((stem.lstrip("0") or "0") + text[-2:]))


def ordinal_suffix(text: str) -> str:
    """Digits with an ordinal suffix: "3" -> "3rd"."""
    if not is_small(text):
        return text + "th"
    return str(_engine().ordinal(text))


def ordinal_word(words: str) -> str:
    """Ordinal of number words: "three" -> "third", "twenty-one" -> "twenty-first"."""
    return str(_engine().ordinal(words))


def fraction(top_digits: str, bottom_digits: str) -> str:
    """3/4 -> "three fourths", 1/2 -> "one half", 6/1 -> "six"."""
    if not (is_small(top_digits) and is_small(bottom_digits)):
        return f"{digits(top_digits)} over {digits(bottom_digits)}"
    numerator, denominator = int(top_digits), int(bottom_digits)
    top = cardinal(numerator)
    if denominator == 1:
        return top
    if denominator == 2:
        return f"{top} {'half' if numerator == 1 else 'halves'}"
    bottom = ordinal_word(cardinal(denominator))
    return f"{top} {bottom}{'s' if numerator > 1 else ''}"


def money(amount: str, unit: tuple[str, str], sub_unit: tuple[str, str]) -> str:
    """Money as the original reads it: "12.50" -> "12 dollars and 50 cents" (digits kept).

    Mirrors the original: the part after the point is padded to two digits ("3.5" -> 50 cents);
    more than one point gives "<amount> dollars".
    """
    parts = amount.replace(",", "").split(".")
    if len(parts) > 2 or not all(p.isdecimal() and is_small(p) or p == "" for p in parts):
        return f"{amount} {unit[1]}"
    whole = int(parts[0]) if parts[0] else 0
    cents = int(parts[1].ljust(2, "0")) if len(parts) > 1 and parts[1] else 0
    pieces = []
    if whole:
        pieces.append(f"{whole} {unit[0] if whole == 1 else unit[1]}")
    if cents:
        pieces.append(f"{cents} {sub_unit[0] if cents == 1 else sub_unit[1]}")
    return " and ".join(pieces) if pieces else f"zero {unit[1]}"
