"""Token alignments of a run's utterances for a phone-pointer S1, cached beside the readout.

Aligning (:func:`gpt_sovits.features.token_align.align_tokens`) is cheap; loading every cached
utterance to do it is not (~2 minutes for the 6 h corpus), so ``RUN/run/token-alignments.json``
keeps them for the readout that made them and the next round only loads what is new.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from gpt_sovits.features.token_align import align_tokens
from gpt_sovits.fileio import atomic_write_json

ALIGNMENTS_FILE = "token-alignments.json"


def attach_alignments(items: Sequence, readout, cache: Path | None = None) -> int:
    """Give every item (``.slice_id``, ``.semantic``, ``.phone_ids``) an ``alignment`` attribute
    from ``readout`` (None: spread evenly; then nothing is cached); returns how many were aligned
    anew (the rest came from ``cache``)."""
    if readout is None:
        cache = None
    saved: dict[str, list[int]] = {}
    if cache is not None and cache.is_file():
        try:
            data = json.loads(cache.read_text(encoding="utf-8"))
            saved = data["items"] if data.get("readout") == readout.trained_on else {}
        except (OSError, ValueError, KeyError, TypeError):
            saved = {}  # a torn or foreign file is simply rebuilt
    fresh = 0
    for item in items:
        alignment = saved.get(item.slice_id)
        if alignment is None or len(alignment) != len(item.semantic):
            alignment = align_tokens(readout, item.semantic, item.phone_ids.tolist())
            saved[item.slice_id] = alignment
            fresh += 1
        item.alignment = list(alignment)
    if cache is not None and fresh:
        atomic_write_json(cache, {"readout": readout.trained_on, "items": saved})
    return fresh
