"""Readable rewrites of web addresses, abbreviations, money, times, units and phone numbers.

Applied by ``normalize_en`` in the default (non-faithful) style only, before the number rules of
``verbalize.py``. Each rule turns a written form into words a reader would say; digits are left for
``verbalize`` unless the reading differs from the plain number (phone numbers, amounts with a scale).
Capital letters are spelled letter by letter later on, so spelled parts are written in capitals.
"""

from __future__ import annotations

import re

from gpt_sovits.text.en import numbers as num

_END = r"(?=\s*$)"
_ABBREVIATIONS = {
    "Mr": "Mister",
    "Mrs": "Missus",
    "Ms": "Miz",
    "Dr": "Doctor",
    "Prof": "Professor",
    "Jr": "Junior",
    "Sr": "Senior",
    "Mt": "Mount",
    "Ave": "Avenue",
    "Rd": "Road",
    "Blvd": "Boulevard",
    "Capt": "Captain",
    "Lt": "Lieutenant",
    "Sgt": "Sergeant",
    "Gen": "General",
    "Gov": "Governor",
    "Sen": "Senator",
    "Rev": "Reverend",
    "Inc": "Incorporated",
    "Ltd": "Limited",
    "Corp": "Corporation",
    "Co": "Company",
    "Dept": "Department",
    "Univ": "University",
    "Jan": "January",
    "Feb": "February",
    "Mar": "March",
    "Apr": "April",
    "Aug": "August",
    "Sept": "September",
    "Sep": "September",
    "Oct": "October",
    "Nov": "November",
    "Dec": "December",
    "vs": "versus",
    "etc": "et cetera",
    "approx": "approximately",
    "min": "minutes",
    "max": "maximum",
    "fig": "figure",
    "no": "number",
}
_ABBREVIATION = re.compile(r"\b(" + "|".join(_ABBREVIATIONS) + r")\.(?=\s|$)(\s*$)?")
_SAINT_OR_STREET = re.compile(r"\bSt\.(\s+[A-Z])?(\s*$)?")
_NUMBER_SIGN = re.compile(r"(?:\bNo\.|#)\s?(?=\d)")
_LATIN = [(re.compile(r"(?i)\be\.g\.?"), "for example"), (re.compile(r"(?i)\bi\.e\.?"), "that is")]
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"]+[^\s<>\".,;:!?)\]]", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+\b")
_DOMAIN = re.compile(
    r"\b[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,8}\.(?:com|org|net|io|edu|gov|dev|app|ai|co|uk|de)\b",
    re.IGNORECASE,
)
_URL_SYMBOLS = {
    ".": " dot ",
    "/": " slash ",
    "-": " dash ",
    "_": " underscore ",
    ":": " colon ",
    "@": " at ",
    "?": " question mark ",
    "=": " equals ",
    "&": " and ",
    "+": " plus ",
    "#": " hash ",
    "~": " tilde ",
    "%": " percent ",
}
_DOTTED_ACRONYM = re.compile(r"\b((?:[A-Za-z]\.){2,})")
_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([AaPp])(\.?)\s?[Mm]\b((?(4)\.?))")
_SCALES = {
    "k": "thousand",
    "m": "million",
    "bn": "billion",
    "b": "billion",
    "thousand": "thousand",
    "million": "million",
    "billion": "billion",
    "trillion": "trillion",
}
_CURRENCIES = {
    "$": (("dollar", "dollars"), ("cent", "cents")),
    "€": (("euro", "euros"), ("cent", "cents")),
    "£": (("pound", "pounds"), ("penny", "pence")),
    "¥": (("yen", "yen"), ("sen", "sen")),
}
_MONEY = re.compile(
    r"([$€£¥])\s?(\d[\d,]*(?:\.\d+)?)(?:\s?(thousand|million|billion|trillion|bn|[kKmMbB])\b)?"
)
_PHONE = re.compile(r"(?<![\d-])(?:\(?(\d{3})\)?[ .-])?(\d{3})-(\d{4})(?![\d-])")
_UNITS = {
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "mph": ("mile per hour", "miles per hour"),
    "km": ("kilometer", "kilometers"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "kg": ("kilogram", "kilograms"),
    "mg": ("milligram", "milligrams"),
    "g": ("gram", "grams"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    "ml": ("milliliter", "milliliters"),
    "tbsp": ("tablespoon", "tablespoons"),
    "tsp": ("teaspoon", "teaspoons"),
    "ft": ("foot", "feet"),
    "GB": ("gigabyte", "gigabytes"),
    "MB": ("megabyte", "megabytes"),
    "KB": ("kilobyte", "kilobytes"),
    "TB": ("terabyte", "terabytes"),
    "GHz": ("gigahertz", "gigahertz"),
    "MHz": ("megahertz", "megahertz"),
    "kHz": ("kilohertz", "kilohertz"),
    "Hz": ("hertz", "hertz"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
}
_UNIT = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)\s?("
    + "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
    + r")(?![\w/])"
)
_DECADE = re.compile(r"\b'?(\d{1,3}0)s\b")


def _spell_url(text: str) -> str:
    """Spell a web address: "https://www.example.com/a-b" -> "W W W dot example dot com slash a dash b"."""
    text = re.sub(r"(?i)^https?://", "", text)
    out = "".join(_URL_SYMBOLS.get(c, c) for c in text)
    return re.sub(r"(?i)\bwww\b", "W W W", out)


def _abbreviation(m: re.Match[str]) -> str:
    return _ABBREVIATIONS[m[1]] + ("." if m[2] is not None else "")


def _saint_or_street(m: re.Match[str]) -> str:
    if m[1]:
        return "Saint" + m[1]
    return "Street" + ("." if m[2] is not None else "")


def _clock(m: re.Match[str]) -> str:
    hours, minutes = int(m[1]), int(m[2] or 0)
    if hours > 12 or minutes > 59:
        return m[0]
    minute_words = (
        ""
        if minutes == 0
        else " " + (num.cardinal(minutes) if minutes >= 10 else "oh " + num.cardinal(minutes))
    )
    sentence_end = "." if m[5] and not m.string[m.end() :].strip() else ""
    return f"{num.cardinal(hours)}{minute_words} {m[3].upper()} M{sentence_end}"


def _money(m: re.Match[str]) -> str:
    unit, sub_unit = _CURRENCIES[m[1]]
    amount = m[2].replace(",", "")
    if m[3]:
        return f"{amount} {_SCALES[m[3].lower()]} {unit[1]}"
    whole, _, cents = amount.partition(".")
    if (cents and len(cents) != 2) or not num.is_small(whole):
        return f"{amount} {unit[1]}"
    value, cent_value = int(whole), int(cents or 0)
    words = f"{num.cardinal(value)} {unit[0] if value == 1 else unit[1]}"
    if cent_value:
        words += f" and {num.cardinal(cent_value)} {sub_unit[0] if cent_value == 1 else sub_unit[1]}"
    return words.replace(",", "")


def _phone(m: re.Match[str]) -> str:
    groups = [g for g in m.groups() if g]
    return ", ".join(num.digits(g, zero="oh") for g in groups)


def _unit(m: re.Match[str]) -> str:
    value, unit = m[1], _UNITS[m[2]]
    return f"{value} {unit[0] if value == '1' else unit[1]}"


def _decade(m: re.Match[str]) -> str:
    words = num.number(m[1])
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


def rewrite_readable(text: str) -> str:
    """Rewrite URLs, e-mails, abbreviations, money, clock times, units and phone numbers as words."""
    text = _URL.sub(lambda m: _spell_url(m[0]), text)
    text = _EMAIL.sub(lambda m: _spell_url(m[0]), text)
    text = _DOMAIN.sub(lambda m: _spell_url(m[0]), text)
    for pattern, words in _LATIN:
        text = pattern.sub(words, text)
    text = _NUMBER_SIGN.sub("number ", text)
    text = _SAINT_OR_STREET.sub(_saint_or_street, text)
    text = _ABBREVIATION.sub(_abbreviation, text)
    text = _CLOCK.sub(_clock, text)
    text = _DOTTED_ACRONYM.sub(lambda m: " ".join(m[1].replace(".", "").upper()) + " ", text)
    text = _MONEY.sub(_money, text)
    text = _PHONE.sub(_phone, text)
    text = _UNIT.sub(_unit, text)
    text = _DECADE.sub(_decade, text)
    return text.replace("&", " and ").replace("@", " at ").replace("+", " plus ")
