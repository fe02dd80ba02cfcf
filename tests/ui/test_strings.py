"""The English and Chinese string tables: the same keys and placeholders, and Markdown that renders
(CommonMark ignores ``**`` next to a space or CJK punctuation on the wrong side, leaving the stars
on screen)."""

from __future__ import annotations

import string

import pytest
from markdown_it import MarkdownIt

from ui.i18n import TABLES


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    en, zh = TABLES["en"], TABLES["zh"]
    assert sorted(set(en) ^ set(zh)) == []
    differing = [key for key in en if _fields(en[key]) != _fields(zh[key])]
    assert differing == [], f"placeholders differ between en and zh: {differing}"


@pytest.mark.parametrize("lang", sorted(TABLES))
def test_bold_markers_render(lang: str) -> None:
    md = MarkdownIt()
    left = [key for key, text in TABLES[lang].items() if "**" in text and "**" in md.render(text)]
    assert left == [], f"'**' would show as stars in {lang}: {left}"
