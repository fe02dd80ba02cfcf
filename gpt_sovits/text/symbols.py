"""Phone symbol tables, one per model version (index in the list = phone id).

``v1`` has 322 symbols (pad, Mandarin initials and toned finals, Japanese, ARPAbet, punctuation);
``v2`` is the same 322 in the same order followed by 410 more (accent marks, Korean, Cantonese),
732 in all. The tables live in ``gpt_sovits/text/data/symbols_<version>.json`` and are read once,
on first use.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

VERSIONS: tuple[str, ...] = ("v1", "v2")
DEFAULT_VERSION = "v2"

# Symbols that carry no pronunciation of their own (pauses, punctuation, padding, unknown).
SILENT_SYMBOLS: frozenset[str] = frozenset(
    {"_", ",", ".", "!", "?", "…", "-", "SP", "SP2", "SP3", "UNK", "[", "]"}
)
UNKNOWN = "UNK"

_DATA_DIR = Path(__file__).parent / "data"


def _check_version(version: str) -> None:
    if version not in VERSIONS:
        raise ValueError(f"unknown symbol-table version {version!r}; use one of {', '.join(VERSIONS)}")


@cache
def _table(version: str) -> tuple[str, ...]:
    _check_version(version)
    with open(_DATA_DIR / f"symbols_{version}.json", encoding="utf-8") as f:
        data = json.load(f)
    table = tuple(data["symbols"])
    if len(table) != data["count"] or len(set(table)) != len(table):
        raise ValueError(f"symbols_{version}.json is corrupt: count or uniqueness check failed")
    return table


@cache
def _index(version: str) -> dict[str, int]:
    return {symbol: i for i, symbol in enumerate(_table(version))}


def symbols(version: str = DEFAULT_VERSION) -> list[str]:
    """The ordered symbol list of ``version`` ("v1": 322 entries, "v2": 732)."""
    return list(_table(version))


def symbol_set(version: str = DEFAULT_VERSION) -> frozenset[str]:
    """The symbols of ``version`` as a set (cached; for membership tests)."""
    return frozenset(_index(version))


def is_symbol(phone: str, version: str = DEFAULT_VERSION) -> bool:
    """True if ``phone`` is in the table of ``version``."""
    return phone in _index(version)


def phones_to_ids(phones: Iterable[str], version: str = DEFAULT_VERSION) -> list[int]:
    """Map phones to ids (``cleaned_text_to_sequence`` of the original).

    Raises:
        ValueError: a phone is not in the table (run the text through the front-end first; it
            maps unknown phones to "UNK").
    """
    index = _index(version)
    ids: list[int] = []
    for pos, phone in enumerate(phones):
        try:
            ids.append(index[phone])
        except KeyError:
            raise ValueError(
                f"phone {phone!r} at position {pos} is not in the {version} symbol table; "
                "phonemize text with gpt_sovits.text.to_phones, which maps unknown phones to 'UNK'"
            ) from None
    return ids


def ids_to_phones(ids: Iterable[int], version: str = DEFAULT_VERSION) -> list[str]:
    """Map ids back to phones. Raises ValueError for an id outside the table."""
    table = _table(version)
    phones: list[str] = []
    for pos, i in enumerate(ids):
        i = int(i)
        if not 0 <= i < len(table):
            raise ValueError(
                f"phone id {i} at position {pos} is outside the {version} table (0..{len(table) - 1})"
            )
        phones.append(table[i])
    return phones


def map_unknown(phones: Sequence[str], version: str = DEFAULT_VERSION) -> list[str]:
    """Replace phones missing from the table by "UNK" (the original cleaner's last step)."""
    index = _index(version)
    return [p if p in index else UNKNOWN for p in phones]
