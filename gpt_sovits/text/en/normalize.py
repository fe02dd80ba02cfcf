"""English text normalisation: punctuation, numbers, symbols and casing, before tokenisation.

Two styles share one pipeline:

- ``faithful=True`` reproduces the original GPT-SoVITS v2 ``english.text_normalize`` exactly (its
  quirks included), which is what official models were trained on and what the parity fixtures hold.
- ``faithful=False`` (the default) first rewrites URLs, e-mails, abbreviations, currencies, times,
  units, phone numbers and acronyms in a readable way (``readable.py``) and fixes the original's
  punctuation and number quirks, keeping its conventions everywhere else.

The output only contains ASCII letters, spaces and ``' . , ? ! -``.
"""

from __future__ import annotations

import re
import unicodedata

from gpt_sovits.text.en.readable import rewrite_readable
from gpt_sovits.text.en.verbalize import verbalize

PUNCTUATION = "!?…,.-"
# The original maps these with a regex built from *escaped* keys, so only single characters ever match
# (the bracketed classes are looked for literally). Kept as such for faithful output.
_FAITHFUL_MAP = {"[;:：，；]": ",", '["’]': "'", "。": ".", "！": "!", "？": "?"}
_READABLE_MAP = {
    ";": ",",
    ":": ",",
    "：": ",",
    "，": ",",
    "；": ",",
    "、": ",",
    "’": "'",
    "‘": "'",
    "`": "'",
    "。": ".",
    "！": "!",
    "？": "?",
    "…": ".",
    "—": ",",
    "–": ",",
    "«": "",
    "»": "",
    "“": "",
    "”": "",
}
_DISALLOWED = re.compile(r"[^ A-Za-z'.,?!\-]")
_CONSECUTIVE = re.compile(rf"([{re.escape(PUNCTUATION)}\s])[{re.escape(PUNCTUATION)}]+")
_INNER_CAPITAL = re.compile(r"(?<!^)(?<!\s)([A-Z])")


def _replace_all(text: str, table: dict[str, str]) -> str:
    pattern = re.compile("|".join(re.escape(k) for k in table))
    return pattern.sub(lambda m: table[m[0]], text)


def strip_accents(text: str) -> str:
    """Remove accents (NFD, drop combining marks): "café" -> "cafe"."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def collapse_punctuation(text: str) -> str:
    """Drop punctuation that directly follows punctuation or whitespace: "Really?!" -> "Really?"."""
    return _CONSECUTIVE.sub(r"\1", text)


def _symbols_and_letters(text: str) -> str:
    """Percent sign, character filter and the e.g./i.e. expansions (order as in the original)."""
    text = text.replace("%", " percent")
    text = _DISALLOWED.sub("", text)
    text = re.sub(r"(?i)i\.e\.", "that is", text)
    return re.sub(r"(?i)e\.g\.", "for example", text)


def normalize_en(text: str, *, faithful: bool = False) -> str:
    """Normalise English text for G2P.

    Args:
        text: any Unicode string.
        faithful: reproduce the original GPT-SoVITS normaliser exactly (quirks included).
    Returns:
        Text made of ASCII letters, spaces and ``' . , ? ! -`` only.
    """
    if faithful:
        text = _replace_all(text, _FAITHFUL_MAP)
        text = verbalize(text, faithful=True)
        text = _symbols_and_letters(strip_accents(text))
        text = _INNER_CAPITAL.sub(r" \1", text)  # "NASA" -> "N A S A", "iOS" -> "i O S"
    else:
        text = rewrite_readable(unicodedata.normalize("NFKC", text))
        text = verbalize(text, faithful=False)
        text = _replace_all(text, _READABLE_MAP)
        text = _symbols_and_letters(strip_accents(text))
        text = re.sub(r"\s+([,.?!])", r"\1", text)  # "Well , I'm" -> "Well, I'm"
        text = re.sub(r"\s+", " ", text).strip()
    return collapse_punctuation(text)
