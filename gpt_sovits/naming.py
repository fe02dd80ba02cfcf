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
