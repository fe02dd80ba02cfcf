"""Modern Chinese sentences from Debian's Simplified Chinese documentation.

The Chinese half of the corpus otherwise reads Tang and Song poems, sayings and a few templates;
a voice that must read a user's plain modern sentences needs plain modern prose. Debian ships
some in Simplified Chinese under free licences: the translated manual pages (``manpages-zh``,
GFDL-1.2+), the Debian Reference (``debian-reference-zh-cn``, GPL-2+), the Debian FAQ
(``debian-faq-zh-cn``, GPL-2+) and the New Maintainers' Guide (``maint-guide-zh-cn``, GPL-2+).

Only whole sentences are taken: text between two sentence ends (。！？) of one paragraph, made only of
Chinese characters and Chinese punctuation (quotation marks dropped), 8-36 characters (shorter
ones are mostly the tails of sentences cut by markup). A sentence
that contained a command, an option, a number or an English word is rejected whole, never cut
around it, so no sentence reads with a hole in it.
"""

from __future__ import annotations

import gzip
import html
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from gpt_sovits.corpus.sources import check_training_path

# (Debian package, folder, file pattern, format)
DOC_SOURCES = (
    ("manpages-zh", Path("/usr/share/man/zh_CN"), "man*/*.gz", "man"),
    ("debian-reference-zh-cn", Path("/usr/share/debian-reference"), "*.zh-cn.html", "html"),
    ("debian-faq-zh-cn", Path("/usr/share/doc/debian/FAQ"), "debian-faq.zh-cn.txt.gz", "text"),
    ("maint-guide-zh-cn", Path("/usr/share/doc/maint-guide-zh-cn/html"), "*.html", "html"),
)
DOC_PACKAGES = tuple(source[0] for source in DOC_SOURCES)
_HOLE = "\u2588"  # stands for anything that is not Chinese text; a sentence containing it is rejected
_QUOTES = str.maketrans("", "", "“”‘’「」『』")
_SENTENCE = re.compile(r"[^。！？]*[。！？]")
_MAN_FONT_MACRO = re.compile(r"^\.(B|I|BR|RB|IR|RI|BI|IB|SM|SB)\b")
_MAN_ESCAPE = re.compile(r"\\(f[A-Z0-9]|f\(..|f\[[^]]*\]|&|\*\(..|\*.|\(..|\[[^]]*\]|.)")
_HTML_BLOCK = re.compile(r"</?(p|div|li|ul|ol|dl|dt|dd|td|th|tr|table|h[1-6]|pre|br|title|blockquote)\b[^>]*>",
                         re.IGNORECASE)
_HTML_SKIP = re.compile(r"<(pre|script|style|code|tt)\b.*?</\1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_CHINESE_OK = re.compile(r"^[\u4e00-\u9fff，。！？、；：]+$")
ZH_DOC_CHARS = (8, 36)


def paragraph_sentences(paragraph: str) -> Iterator[str]:
    """The whole, clean Chinese sentences of one paragraph (white space inside it is line wrapping)."""
    text = "".join(paragraph.split()).translate(_QUOTES)
    text = text.replace(",", "，").replace("!", "！").replace("?", "？")
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0)
        if _CHINESE_OK.match(sentence) and ZH_DOC_CHARS[0] <= len(sentence) <= ZH_DOC_CHARS[1]:
            yield sentence


def man_paragraphs(source: str) -> Iterator[str]:
    """Paragraphs of a roff manual page; inline markup that is not plain text becomes a hole."""
    lines: list[str] = []
    for line in source.splitlines():
        if line.startswith((".", "'")):
            if _MAN_FONT_MACRO.match(line):  # a word set in bold/italic inside the running text
                lines.append(_HOLE)
                continue
            if lines:
                yield "".join(lines)
            lines = []
            continue
        text = _MAN_ESCAPE.sub(lambda m: "" if m.group(1)[0] in "f&" else _HOLE, line)
        lines.append(text if text.strip() else _HOLE)
    if lines:
        yield "".join(lines)


def html_paragraphs(source: str) -> Iterator[str]:
    """Paragraphs of an HTML page; code and preformatted blocks are dropped."""
    body = _HTML_SKIP.sub(_HOLE, source)
    for block in _HTML_BLOCK.split(body):
        text = html.unescape(_TAG.sub("", block or ""))
        if text.strip():
            yield text


def text_paragraphs(source: str) -> Iterator[str]:
    """Paragraphs of a plain text file (separated by blank lines)."""
    yield from re.split(r"\n\s*\n", source)


_READERS = {"man": man_paragraphs, "html": html_paragraphs, "text": text_paragraphs}


def _read(path: Path) -> str:
    check_training_path(path)
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return raw.decode("utf-8", errors="replace")  # old non-UTF-8 pages give U+FFFD and are rejected


def chinese_doc_sentences(sources: Iterable[tuple[str, Path, str, str]] | None = None) -> list[str]:
    """Sentences of the installed Chinese documentation (default: :data:`DOC_SOURCES`), in a fixed
    order, without repeats; empty when none of the packages is installed."""
    found: dict[str, None] = {}
    for _package, folder, pattern, kind in DOC_SOURCES if sources is None else sources:
        for path in sorted(folder.glob(pattern)) if folder.is_dir() else []:
            for paragraph in _READERS[kind](_read(path)):
                for sentence in paragraph_sentences(paragraph):
                    found.setdefault(sentence)
    return list(found)
