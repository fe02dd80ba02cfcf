"""ASCII spellings of display names, for folder names a person can still recognise.

Chinese characters become their toneless pinyin (``"我的声音"`` -> ``"wo de sheng yin"``), other
letters lose their accents (``"Émilie"`` -> ``"Emilie"``); what has no ASCII spelling is dropped.
"""

from __future__ import annotations

import re
import unicodedata

_HANZI = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def romanised(text: str) -> str:
    """``text`` in ASCII: hanzi as space-separated pinyin, accents removed, the rest dropped."""
    if _HANZI.search(text):
        from pypinyin import Style, lazy_pinyin

        text = _HANZI.sub(lambda m: " " + " ".join(lazy_pinyin(m.group(0), style=Style.NORMAL)) + " ", text)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def ascii_slug(text: str, keep: str = "_-") -> str:
    """:func:`romanised` ``text`` with every run of other characters turned into one ``-``
    (letters, digits and ``keep`` stay), without leading or trailing ``-`` / ``_``."""
    slug = re.sub(rf"[^A-Za-z0-9{re.escape(keep)}]+", "-", romanised(text))
    return re.sub(r"-{2,}", "-", slug).strip("-_")
