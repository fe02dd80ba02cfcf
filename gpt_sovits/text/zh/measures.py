"""Units, temperatures and telephone numbers read aloud in Mandarin."""

from __future__ import annotations

import re

from gpt_sovits.text.zh.numbers import read_digits, read_number

RE_TEMPERATURE = re.compile(r"(-?)(\d+(?:\.\d+)?)(°C|℃|度|摄氏度)")
# Abbreviation -> spoken unit, applied in this order as plain substring replacements (as the
# reference does: "mm" therefore never matches because "m" is replaced first).
UNIT_WORDS: tuple[tuple[str, str], ...] = (
    ("cm2", "平方厘米"),
    ("cm²", "平方厘米"),
    ("cm3", "立方厘米"),
    ("cm³", "立方厘米"),
    ("cm", "厘米"),
    ("db", "分贝"),
    ("ds", "毫秒"),
    ("kg", "千克"),
    ("km", "千米"),
    ("m2", "平方米"),
    ("m²", "平方米"),
    ("m³", "立方米"),
    ("m3", "立方米"),
    ("ml", "毫升"),
    ("m", "米"),
    ("mm", "毫米"),
    ("s", "秒"),
)
_UNIT_ALT = r"(%|°C|℃|度|摄氏度|cm2|cm²|cm3|cm³|cm|db|ds|kg|km|m2|m²|m³|m3|ml|m|mm|s)"
_NUM = r"(-?\d+(?:\.\d+)?|\.\d+)"
RE_UNIT_RANGE = re.compile(_NUM + _UNIT_ALT + "~" + _NUM + _UNIT_ALT)

RE_MOBILE = re.compile(r"(?<!\d)((\+?86 ?)?1([38]\d|5[0-35-9]|7[678]|9[89])\d{8})(?!\d)")
RE_LANDLINE = re.compile(r"(?<!\d)((0(10|2[1-3]|[3-9]\d{2})-?)?[1-9]\d{6,7})(?!\d)")
RE_SERVICE_NUMBER = re.compile(r"(400)(-)?\d{3}(-)?\d{4}")


def sub_unit_range(sentence: str) -> str:
    """ "10cm~20cm" -> 10cm至20cm (the numbers are read later)."""
    return RE_UNIT_RANGE.sub(lambda m: m.group(0).replace("~", "至"), sentence)


def sub_temperature(sentence: str) -> str:
    """ "-15度" -> 零下十五度, "30℃" -> 三十度."""

    def one(m: re.Match[str]) -> str:
        unit = "摄氏度" if m.group(3) == "摄氏度" else "度"
        return ("零下" if m.group(1) else "") + read_number(m.group(2)) + unit

    return RE_TEMPERATURE.sub(one, sentence)


def sub_units(sentence: str) -> str:
    """ "180cm" -> 180厘米, "3km" -> 3千米."""
    for abbreviation, spoken in UNIT_WORDS:
        sentence = sentence.replace(abbreviation, spoken)
    return sentence


def _read_phone(text: str, separator: str | None) -> str:
    parts = text.strip("+").split(separator)
    return "，".join(read_digits(part, yao=True) for part in parts if part)


def sub_mobile(sentence: str) -> str:
    """ "13812345678" -> 幺三八幺二三四五六七八 (groups split by spaces become pauses)."""
    return RE_MOBILE.sub(lambda m: _read_phone(m.group(0), None), sentence)


def sub_landline(sentence: str) -> str:
    """ "010-12345678" -> 零幺零，幺二三四五六七八; also 400 service numbers."""
    sentence = RE_LANDLINE.sub(lambda m: _read_phone(m.group(0), "-"), sentence)
    return RE_SERVICE_NUMBER.sub(lambda m: _read_phone(m.group(0), "-"), sentence)
