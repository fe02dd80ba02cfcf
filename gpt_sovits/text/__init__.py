"""Text front-end: text -> phones -> symbol ids, language runs, inline overrides, segmentation.

Main entry points: :func:`to_phones` (mixed zh/en text with inline overrides, for synthesis),
:func:`clean_text` (the original's single-language cleaner, for training labels),
:func:`split_text` (cut long text into synthesis segments), and the symbol tables
(:mod:`gpt_sovits.text.symbols`; the function ``symbols(version)`` is not re-exported here so
that ``gpt_sovits.text.symbols`` always names the module).
Importing this package does no work; dictionaries load on first use.
"""

from gpt_sovits.text.frontend import CleanResult, Phonemized, Segment, clean_text, to_phones
from gpt_sovits.text.langsplit import Skipped, split_languages
from gpt_sovits.text.overrides import TextOverrideError, parse_overrides
from gpt_sovits.text.segment import DEFAULT_MAX_CHARS, DEFAULT_METHOD, METHODS, split_text
from gpt_sovits.text.symbols import ids_to_phones, phones_to_ids

__all__ = [
    "CleanResult",
    "DEFAULT_MAX_CHARS",
    "DEFAULT_METHOD",
    "METHODS",
    "Phonemized",
    "Segment",
    "Skipped",
    "TextOverrideError",
    "clean_text",
    "ids_to_phones",
    "parse_overrides",
    "phones_to_ids",
    "split_languages",
    "split_text",
    "to_phones",
]
