"""Chinese text normalisation: written text -> the speakable string the zh G2P consumes.

``normalize_zh`` reproduces GPT-SoVITS v2's ``chinese2.text_normalize`` (a PaddleSpeech-style
normaliser followed by a punctuation mapping). The result contains only CJK characters
(U+4E00..U+9FA5) that have a pinyin reading and the punctuation symbols ``! ? … , . -``;
anything else (Latin letters, emoji, symbols, other scripts) is dropped, as in the original.
"""

from __future__ import annotations

import functools
import importlib.resources
import re

from gpt_sovits.text.zh import chrono, measures, numbers

PUNCTUATION = "!?…,.-"
# Characters whose only pypinyin reading has no v2 phones (噷 "hm", 覅 "fiao"; 嗯 and 呣 are
# respelled 恩 / 母 before this filter applies); dropped.
_NO_PHONES = frozenset("噷覅嗯呣")
_SPLIT_DROP = re.compile(r"[—《》【】<>{}()（）#&@“”^_|\\]")
_SENTENCE_END = re.compile(r"([：、，；。？！,;?!][”’]?)")
_POST_DROP = re.compile(r"[-—《》【】<=>{}()（）#&@“”^_|\\]")
_NOT_SPEAKABLE = re.compile(r"[^\u4e00-\u9fa5" + re.escape(PUNCTUATION) + r"]+")
_REPEATED_PUNCT = re.compile(r"([" + re.escape(PUNCTUATION) + r"])[" + re.escape(PUNCTUATION) + r"]+")
_PUNCT_MAP = {
    "：": ",",
    "；": ",",
    "，": ",",
    "。": ".",
    "！": "!",
    "？": "?",
    "\n": ".",
    "·": ",",
    "、": ",",
    "...": "…",
    "$": ".",
    "/": ",",
    "—": "-",
    "~": "…",
    "～": "…",
}
_PUNCT_PATTERN = re.compile("|".join(re.escape(k) for k in _PUNCT_MAP))
_FULL_WIDTH = {0xFF10 + i: 0x30 + i for i in range(10)}
_FULL_WIDTH.update({0xFF21 + i: 0x41 + i for i in range(26)})
_FULL_WIDTH.update({0xFF41 + i: 0x61 + i for i in range(26)})
_FULL_WIDTH[0x3000] = 0x20
_SYMBOL_WORDS: tuple[tuple[str, str], ...] = (
    ("/", "每"),
    ("①", "一"),
    ("②", "二"),
    ("③", "三"),
    ("④", "四"),
    ("⑤", "五"),
    ("⑥", "六"),
    ("⑦", "七"),
    ("⑧", "八"),
    ("⑨", "九"),
    ("⑩", "十"),
    ("α", "阿尔法"),
    ("β", "贝塔"),
    ("γ", "伽玛"),
    ("Γ", "伽玛"),
    ("δ", "德尔塔"),
    ("Δ", "德尔塔"),
    ("ε", "艾普西龙"),
    ("ζ", "捷塔"),
    ("η", "依塔"),
    ("θ", "西塔"),
    ("Θ", "西塔"),
    ("ι", "艾欧塔"),
    ("κ", "喀帕"),
    ("λ", "拉姆达"),
    ("Λ", "拉姆达"),
    ("μ", "缪"),
    ("ν", "拗"),
    ("ξ", "克西"),
    ("Ξ", "克西"),
    ("ο", "欧米克伦"),
    ("π", "派"),
    ("Π", "派"),
    ("ρ", "肉"),
    ("ς", "西格玛"),
    ("Σ", "西格玛"),
    ("σ", "西格玛"),
    ("τ", "套"),
    ("υ", "宇普西龙"),
    ("φ", "服艾"),
    ("Φ", "服艾"),
    ("χ", "器"),
    ("ψ", "普赛"),
    ("Ψ", "普赛"),
    ("ω", "欧米伽"),
    ("Ω", "欧米伽"),
    ("+", "加"),
    ("-", "减"),
    ("×", "乘"),
    ("÷", "除"),
    ("=", "等"),
)


@functools.lru_cache(maxsize=1)
def _traditional_table() -> dict[int, int]:
    """Traditional -> simplified character table (OpenCC's TSCharacters, first candidate,
    restricted to targets in the CJK range the G2P speaks). Loaded once, on first use."""
    source = importlib.resources.files("opencc") / "dictionary" / "TSCharacters.txt"
    table: dict[int, int] = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        trad, _, targets = line.partition("\t")
        simp = targets.split(" ")[0] if targets else ""
        if len(trad) == 1 and len(simp) == 1 and trad != simp and "\u4e00" <= simp <= "\u9fa5":
            table[ord(trad)] = ord(simp)
    return table


@functools.lru_cache(maxsize=1)
def _readable_chars() -> frozenset[str]:
    """CJK characters (U+4E00..U+9FA5) for which pypinyin knows a reading with v2 phones."""
    from pypinyin.pinyin_dict import pinyin_dict

    return frozenset(chr(cp) for cp in pinyin_dict if 0x4E00 <= cp <= 0x9FA5) - _NO_PHONES


def split_sentences(text: str) -> list[str]:
    """Remove spaces and bracket-like symbols, then cut after sentence punctuation."""
    text = _SPLIT_DROP.sub("", text.replace(" ", ""))
    text = _SENTENCE_END.sub(r"\1\n", text).strip()
    return [sentence.strip() for sentence in re.split(r"\n+", text)]


def verbalize(sentence: str) -> str:
    """Spell out numbers, dates, times, units... of one sentence (still raw punctuation)."""
    sentence = sentence.translate(_traditional_table()).translate(_FULL_WIDTH)
    for step in (
        chrono.sub_date,
        chrono.sub_numeric_date,
        chrono.sub_clock_range,
        chrono.sub_clock,
        measures.sub_unit_range,
        measures.sub_temperature,
        measures.sub_units,
        numbers.sub_arithmetic,
        numbers.sub_power,
        numbers.sub_fraction,
        numbers.sub_percent,
        measures.sub_mobile,
        measures.sub_landline,
        numbers.sub_version,
        numbers.sub_range,
        numbers.sub_negative,
        numbers.sub_decimal,
        numbers.sub_measured,
        numbers.sub_code,
        numbers.sub_plain_number,
    ):
        sentence = step(sentence)
    for symbol, word in _SYMBOL_WORDS:
        sentence = sentence.replace(symbol, word)
    return _POST_DROP.sub("", sentence)


def map_punctuation(sentence: str) -> str:
    """Map CJK punctuation to ``! ? … , . -`` and drop everything that cannot be spoken."""
    sentence = sentence.replace("嗯", "恩").replace("呣", "母")
    sentence = _PUNCT_PATTERN.sub(lambda m: _PUNCT_MAP[m.group(0)], sentence)
    sentence = _NOT_SPEAKABLE.sub("", sentence)
    readable = _readable_chars()
    return "".join(c for c in sentence if c in readable or c in PUNCTUATION)


def normalize_zh(text: str) -> str:
    """Normalise Chinese text for the zh G2P (the original's ``text_normalize``).

    Example: "今天是2024年5月3日。" -> "今天是二零二四年五月三日."
    Never raises for any ``str``; the result may be empty.
    """
    spoken = "".join(map_punctuation(verbalize(s)) for s in split_sentences(text))
    return _REPEATED_PUNCT.sub(r"\1", spoken)
