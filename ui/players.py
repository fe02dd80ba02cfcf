"""Compact lists of audio players (plain HTML ``<audio>`` elements served by Gradio's file route).

One ``gr.Audio`` per clip would draw a waveform widget for each of dozens of slices; native players
in one HTML block keep long lists light. Files must lie inside the app's ``allowed_paths``
(the workspace folder).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import quote


@dataclass
class Clip:
    """One row of a player list: a title, a detail line and the audio file."""

    title: str
    detail: str
    path: str


def file_url(path: str) -> str:
    """A URL relative to the page for a file inside the allowed paths."""
    return "gradio_api/file=" + quote(str(path))


def players_html(clips: list[Clip], empty_text: str, css_class: str = "clip-list") -> str:
    """An HTML list with one native audio player per clip, or ``empty_text`` when there are none."""
    if not clips:
        return f'<div class="{css_class} empty"><p>{html.escape(empty_text)}</p></div>'
    rows = []
    for index, clip in enumerate(clips, start=1):
        rows.append(
            f'<li class="clip" data-name="{html.escape(clip.title)}">'
            f'<span class="clip-index">{index}</span>'
            f'<span class="clip-title">{html.escape(clip.title)}</span>'
            f'<span class="clip-detail">{html.escape(clip.detail)}</span>'
            f'<audio controls preload="none" src="{html.escape(file_url(clip.path))}"></audio></li>'
        )
    return f'<ol class="{css_class}">{"".join(rows)}</ol>'


CSS = """
.clip-list { list-style: none; padding: 0; margin: 0; max-height: 420px; overflow-y: auto; }
.clip-list .clip { display: flex; align-items: center; gap: 12px; padding: 4px 8px;
  border-bottom: 1px solid var(--border-color-primary); }
.clip-list .clip-index { width: 2em; color: var(--body-text-color-subdued); text-align: right; }
.clip-list .clip-title { flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.clip-list .clip-detail { width: 14em; overflow-wrap: anywhere; color: var(--body-text-color-subdued); }
.clip-list audio { height: 32px; width: 320px; }
.clip-list.empty p { color: var(--body-text-color-subdued); }
"""
