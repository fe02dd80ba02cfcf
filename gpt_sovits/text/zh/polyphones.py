"""Opt-in polyphone corrections on top of raw pypinyin (``g2p_zh(..., improve_polyphones=True)``).

Raw pypinyin reads many polyphones out of context (很长 -> zhang3, 高兴地 -> di, 获得 -> de after
the neutral-tone rule...). This layer fixes common cases with
1. a small phrase table matched anywhere in the sentence (longest match first), and
2. context rules for single-character words, using jieba's POS tag and the neighbouring words.
A reading ending in "!" is *locked*: tone sandhi may not change it afterwards (获得 stays de2).
It never touches pypinyin's global dictionaries, so the default path keeps the original's output.
"""

from __future__ import annotations

import functools

Reading = tuple[str, bool]  # (toned pinyin, locked against later sandhi)

# Phrase -> toned pinyin of every character ("-" keeps pypinyin's reading for that character).
PHRASES: dict[str, str] = {
    # 行 háng (trade, row, bank)
    "这一行": "- - hang2",
    "那一行": "- - hang2",
    "哪一行": "- - hang2",
    "干一行": "- - hang2",
    "爱一行": "- - hang2",
    "同行业": "- hang2 -",
    "行业": "hang2 -",
    "行列": "hang2 -",
    # 长
    "很长": "- chang2",
    "太长": "- chang2",
    "真长": "- chang2",
    "多长": "- chang2",
    "那么长": "- - chang2",
    "这么长": "- - chang2",
    "非常长": "- - chang2",
    "特别长": "- - chang2",
    "长得": "zhang3 de5",
    "长大": "zhang3 -",
    "长高": "zhang3 -",
    # 还 huán
    "不还": "- huan2",
    "没还": "- huan2",
    "还钱": "huan2 -",
    "还债": "huan2 -",
    "还款": "huan2 -",
    "还清": "huan2 -",
    "归还": "- huan2",
    "偿还": "- huan2",
    "退还": "- huan2",
    "还书": "huan2 -",
    # 得 dé (locked: the neutral-tone rule would make a word-final 得 de5)
    "获得": "- de2!",
    "取得": "- de2!",
    "应得": "- de2!",
    "赢得": "- de2!",
    "难得": "- de2!",
    "心得": "- de2!",
    "所得": "- de2!",
    "求得": "- de2!",
    "博得": "- de2!",
    "习得": "- de2!",
    # 为 wéi
    "选为": "- wei2",
    "评为": "- wei2",
    "称为": "- wei2",
    "视为": "- wei2",
    "改为": "- wei2",
    "变为": "- wei2",
    "成为": "- wei2",
    "作为": "- wei2",
    "认为": "- wei2",
    "以为": "- wei2",
    "为难": "wei2 -",
    "为止": "wei2 -",
    # 中 zhòng
    "射中": "- zhong4",
    "打中": "- zhong4",
    "击中": "- zhong4",
    "命中": "- zhong4",
    "猜中": "- zhong4",
    "考中": "- zhong4",
    "选中": "- zhong4",
    "看中": "- zhong4",
    "中奖": "zhong4 -",
    "中毒": "zhong4 -",
    "中弹": "zhong4 -",
    "中暑": "zhong4 -",
    # others
    "大夫": "dai4 fu5",
    "数一数": "shu3 yi5 shu3",
    "数数": "shu3 shu5",
    "背着": "bei1 zhe5",
    "背包": "bei1 -",
    "背书包": "bei1 - -",
    "转得": "zhuan4 de5",
    "转着": "zhuan4 zhe5",
    "转圈": "zhuan4 -",
    "旋转": "- zhuan4",
    "转动": "zhuan4 -",
    "落在后面": "la4 - - -",
    "落下了": "la4 - -",
    "睡着": "- zhao2",
    "着急": "zhao2 -",
    "着火": "zhao2 -",
    "着凉": "zhao2 -",
    "看守": "kan1 -",
    "看护": "kan1 -",
    "出差": "- chai1",
    "差点": "cha4 -",
    "差不多": "cha4 - -",
    "西藏": "- zang4",
    "宝藏": "- zang4",
    "子弹": "- dan4",
    "炸弹": "- dan4",
    "弹琴": "tan2 -",
    "弹钢琴": "tan2 - -",
    "好学": "hao4 -",
    "爱好": "- hao4",
    "好奇": "hao4 -",
    "种树": "zhong4 -",
    "种地": "zhong4 -",
    "种田": "zhong4 -",
    "种植": "zhong4 -",
    "少年": "shao4 -",
    "少女": "shao4 -",
    "首都": "- du1",
    "都市": "du1 -",
    "便宜": "pian2 yi5",
    "和面": "huo2 -",
    "暖和": "- huo5",
}

# jieba POS tags (pronoun, person name) before a 得 read děi ("你得快点").
_DEI_BEFORE = {"r", "nr"}
# ...unless followed by these (很: a complement "得很"; 了/到/过: 得 = "to get", dé).
_NOT_DEI_NEXT = {"", "很", "不", "了", "到", "过", "着"}


@functools.lru_cache(maxsize=1)
def _phrases_by_length() -> list[tuple[str, list[Reading | None]]]:
    table = []
    for phrase, spelled in PHRASES.items():
        syllables = spelled.split()
        if len(syllables) != len(phrase):
            raise ValueError(f"polyphone phrase {phrase!r} has {len(syllables)} readings")
        readings: list[Reading | None] = [
            None if s == "-" else (s.rstrip("!"), s.endswith("!")) for s in syllables
        ]
        table.append((phrase, readings))
    return sorted(table, key=lambda item: -len(item[0]))


def _context_rule(words: list[list[str]], index: int) -> str | None:
    """Reading for a single-character word from its POS and neighbours, or None
    (a trailing "!" locks it against sandhi)."""
    word, pos = words[index]
    prev_word, prev_pos = words[index - 1] if index > 0 else ("", "")
    next_word = words[index + 1][0] if index + 1 < len(words) else ""
    if word == "地" and pos == "uv":
        return "de5"
    if word == "得" and pos == "ud" and prev_pos in _DEI_BEFORE and next_word == "了":
        return "de2!"  # 我得了满分: "got"
    if word == "得" and pos == "ud" and prev_pos in _DEI_BEFORE and next_word[:1] not in _NOT_DEI_NEXT:
        return "dei3!"
    if word == "长" and pos == "a":
        return "chang2"
    if word == "还" and pos == "v":
        return "huan2"
    if word == "只" and pos in {"q", "m"}:
        return "zhi1"
    if word == "种" and pos == "v":
        return "zhong4"
    if word == "转" and next_word[:1] in {"得", "着"}:
        return "zhuan4"
    return None


def sentence_readings(words: list[list[str]]) -> list[Reading | None]:
    """Corrected readings for every character of a segmented sentence (None = keep pypinyin).

    Args:
        words: [word, pos] segments after ``merge_for_sandhi``.
    """
    text = "".join(word for word, _ in words)
    readings: list[Reading | None] = [None] * len(text)
    start = 0
    for index, (word, _) in enumerate(words):
        if len(word) == 1:
            rule = _context_rule(words, index)
            if rule is not None:
                readings[start] = (rule.rstrip("!"), rule.endswith("!"))
        start += len(word)
    taken = [False] * len(text)
    for phrase, phrase_readings in _phrases_by_length():
        at = text.find(phrase)
        while at != -1:
            span = range(at, at + len(phrase))
            if not any(taken[i] for i in span):
                for i, reading in zip(span, phrase_readings, strict=True):
                    taken[i] = True
                    if reading is not None:
                        readings[i] = reading
            at = text.find(phrase, at + 1)
    return readings


def split_reading(pinyin: str) -> tuple[str, str]:
    """Toned pinyin -> pypinyin strict (initial, final+tone), e.g. "hang2" -> ("h", "ang2")."""
    from pypinyin.contrib.tone_convert import to_finals_tone3, to_initials

    return to_initials(pinyin, strict=True), to_finals_tone3(pinyin, strict=True, neutral_tone_with_five=True)
