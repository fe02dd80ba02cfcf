"""Reading Arabic numerals aloud in Mandarin (cardinals, digit strings, decimals, fractions...).

The rules follow the PaddleSpeech-style normaliser used by GPT-SoVITS v2 (re-implemented here),
including its quirks, because the official checkpoints were trained on its output:
- decimals keep trailing zeros ("1250.50" -> 一千二百五十点五零);
- integers of three or more digits that reach the generic fallback are read digit by digit
  with 一 spoken as 幺 ("305" -> 三零五, "120公里" -> 幺二零公里).
Each ``sub_*`` function takes a sentence and returns it with one kind of pattern verbalised.
"""

from __future__ import annotations

import re

DIGIT_WORDS = "零一二三四五六七八九"
# Power of ten -> unit character, largest first (万 and 亿 group four and eight digits).
_UNITS: tuple[tuple[int, str], ...] = ((8, "亿"), (4, "万"), (3, "千"), (2, "百"), (1, "十"))

# Measure words after which a number is read as a cardinal (the original's list, as data).
_MEASURES = (
    "处|台|架|枚|趟|幅|平|方|堵|间|床|株|批|项|例|列|篇|栋|注|亩|封|艘|把|目|套|段|人|所|朵|匹|张|座|回|场|"
    "尾|条|个|首|阙|阵|网|炮|顶|丘|棵|只|支|袭|辆|挑|担|颗|壳|窠|曲|墙|群|腔|砣|座|客|贯|扎|捆|刀|令|打|手|"
    "罗|坡|山|岭|江|溪|钟|队|单|双|对|出|口|头|脚|板|跳|枝|件|贴|针|线|管|名|位|身|堂|课|本|页|家|户|层|丝|"
    "毫|厘|分|钱|两|斤|担|铢|石|钧|锱|忽|(千|毫|微)克|毫|厘|(公)分|分|寸|尺|丈|里|寻|常|铺|程|"
    "(千|分|厘|毫|微)米|米|撮|勺|合|升|斗|石|盘|碗|碟|叠|桶|笼|盆|盒|杯|钟|斛|锅|簋|篮|盘|桶|罐|瓶|壶|卮|盏|"
    "箩|箱|煲|啖|袋|钵|年|月|日|季|刻|时|周|天|秒|分|小时|旬|纪|岁|世|更|夜|春|夏|秋|冬|代|伏|辈|丸|泡|粒|"
    "颗|幢|堆|条|根|支|道|面|片|张|颗|块|元|(亿|千万|百万|万|千|百)|(亿|千万|百万|万|千|百|美|)元|"
    "(亿|千万|百万|万|千|百|十|)吨|(亿|千万|百万|万|千|百|)块|角|毛|分"
)
# A bare "2" before these measure words is read 两 (第2名 -> 第两名, as in the reference).
_NOT_LIANG = {"月", "日", "号"}


def read_digits(digits: str, *, yao: bool = False) -> str:
    """Read a digit string one digit at a time ("305" -> 三零五); ``yao`` speaks 1 as 幺."""
    text = "".join(DIGIT_WORDS[int(d)] for d in digits)
    return text.replace("一", "幺") if yao else text


def _cardinal_parts(digits: str) -> list[str]:
    """Characters of a cardinal for a digit string that may carry leading zeros."""
    stripped = digits.lstrip("0")
    if not stripped:
        return []
    if len(stripped) == 1:
        # A zero is spoken when it was stripped in front of a single digit (一百零五).
        prefix = [DIGIT_WORDS[0]] if len(stripped) < len(digits) else []
        return prefix + [DIGIT_WORDS[int(stripped)]]
    power, unit = next((p, u) for p, u in _UNITS if p < len(stripped))
    head, tail = digits[:-power], digits[-power:]
    return _cardinal_parts(head) + [unit] + _cardinal_parts(tail)


def read_cardinal(digits: str) -> str:
    """Read an integer string as a cardinal ("1250" -> 一千二百五十, "10" -> 十, "0" -> 零)."""
    if not digits:
        return ""
    stripped = digits.lstrip("0")
    if not stripped:
        return DIGIT_WORDS[0]
    parts = _cardinal_parts(stripped)
    if len(parts) >= 2 and parts[0] == "一" and parts[1] == "十":
        parts = parts[1:]
    return "".join(parts)


def read_number(value: str) -> str:
    """Read "12", "12.50" or ".5" (integer part, then 点 and the decimals digit by digit)."""
    integer, _, decimals = value.partition(".")
    if "." in decimals:  # several points: read each group (a version string such as 3.2.1)
        return "点".join(read_cardinal(part) for part in value.split("."))
    result = read_cardinal(integer)
    if decimals:
        result = (result or DIGIT_WORDS[0]) + "点" + read_digits(decimals)
    return result


def _signed(sign: str, value: str) -> str:
    return ("负" if sign else "") + read_number(value)


RE_VERSION = re.compile(r"(?<![\d.])\d+(?:\.\d+){2,}(?![\d.])")
RE_FRACTION = re.compile(r"(-?)(\d+)/(\d+)")
RE_PERCENT = re.compile(r"(-?)(\d+(?:\.\d+)?)%")
RE_NEGATIVE = re.compile(r"(-)(\d+)")
RE_CODE = re.compile(r"\d{3}\d*")
RE_DECIMAL = re.compile(r"(-?)(\d+\.\d+)|\.(\d+)")
RE_MEASURED = re.compile(r"(\d+)([多余几+])?(" + _MEASURES + ")")
RE_NUMBER = re.compile(r"(-?)(\d+(?:\.\d+)?)|\.(\d+)")
RE_RANGE = re.compile(r"(?<![\d+\-×÷=])(-?\d+(?:\.\d+)?)[-~](-?\d+(?:\.\d+)?)(?![\d+\-×÷=])")
_POWER_CHARS = "⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ"
_OPERAND = rf"(?:-?\d+(?:\.\d+)?[{_POWER_CHARS}]*|\.\d+[{_POWER_CHARS}]*|[A-Za-z][{_POWER_CHARS}]*)"
RE_ARITHMETIC = re.compile(rf"({_OPERAND})([+\-×÷=])({_OPERAND})")
RE_POWER = re.compile(rf"[{_POWER_CHARS}]+")
_OPERATOR_WORDS = {"+": "加", "-": "减", "×": "乘", "÷": "除", "=": "等于"}
_POWER_PLAIN = dict(zip(_POWER_CHARS, "0123456789xyn", strict=True))


def sub_version(sentence: str) -> str:
    """ "3.2.1" -> 三点二点一."""
    return RE_VERSION.sub(lambda m: read_number(m.group(0)), sentence)


def sub_arithmetic(sentence: str) -> str:
    """ "1+1=2" -> 1加1等于2 (operands are read later); repeats until no operator is left."""

    def one(m: re.Match[str]) -> str:
        return m.group(1) + _OPERATOR_WORDS[m.group(2)] + m.group(3)

    while RE_ARITHMETIC.search(sentence):
        sentence = RE_ARITHMETIC.sub(one, sentence)
    return sentence


def sub_power(sentence: str) -> str:
    """Superscripts: "x²" -> x的2次方."""
    return RE_POWER.sub(lambda m: "的" + "".join(_POWER_PLAIN[c] for c in m.group(0)) + "次方", sentence)


def sub_fraction(sentence: str) -> str:
    """ "1/3" -> 三分之一."""
    return RE_FRACTION.sub(
        lambda m: ("负" if m.group(1) else "") + read_number(m.group(3)) + "分之" + read_number(m.group(2)),
        sentence,
    )


def sub_percent(sentence: str) -> str:
    """ "12.5%" -> 百分之十二点五."""
    return RE_PERCENT.sub(
        lambda m: ("负" if m.group(1) else "") + "百分之" + read_number(m.group(2)), sentence
    )


def sub_range(sentence: str) -> str:
    """ "10-20" / "10~20" -> 十到二十."""

    def one(m: re.Match[str]) -> str:
        return sub_plain_number(m.group(1)) + "到" + sub_plain_number(m.group(2))

    return RE_RANGE.sub(one, sentence)


def sub_negative(sentence: str) -> str:
    """ "-15" -> 负十五."""
    return RE_NEGATIVE.sub(lambda m: _signed(m.group(1), m.group(2)), sentence)


def sub_decimal(sentence: str) -> str:
    """ "98.5" -> 九十八点五, ".5" -> 零点五."""

    def one(m: re.Match[str]) -> str:
        if m.group(3) is not None:
            return read_number("." + m.group(3))
        return _signed(m.group(1), m.group(2))

    return RE_DECIMAL.sub(one, sentence)


def sub_measured(sentence: str) -> str:
    """Number + measure word: "23人" -> 二十三人, "2名" -> 两名, "3+个" -> 三多个."""

    def one(m: re.Match[str]) -> str:
        number, approx, measure = m.group(1), m.group(2) or "", m.group(3)
        approx = "多" if approx == "+" else approx
        if number == "2" and not approx and measure not in _NOT_LIANG:
            return "两" + measure
        return read_cardinal(number) + approx + measure

    return RE_MEASURED.sub(one, sentence)


def sub_code(sentence: str) -> str:
    """Remaining integers of 3+ digits are codes: "110" -> 幺幺零."""
    return RE_CODE.sub(lambda m: read_digits(m.group(0), yao=True), sentence)


def sub_plain_number(sentence: str) -> str:
    """Any remaining number: "-3" -> 负三, "12" -> 十二, ".5" -> 零点五."""

    def one(m: re.Match[str]) -> str:
        if m.group(3) is not None:
            return read_number("." + m.group(3))
        return _signed(m.group(1), m.group(2))

    return RE_NUMBER.sub(one, sentence)
