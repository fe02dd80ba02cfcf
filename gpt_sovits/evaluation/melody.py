"""How a voice's takes sit in pitch against the speaker: median F0 and melody spread.

A cloned voice that reads every word can still sound wrong when it speaks higher than the speaker,
or flatter. Each take's melody is :func:`gpt_sovits.audio.pitch.melody_of` (median F0 and the spread
of log F0 over its voiced frames); the speaker's is measured the same way over their training audio
(or the reference, zero-shot).
:func:`compare` gives what eval-clone reports: the takes' median against the speaker's in
semitones (+ = the voice speaks higher) and their spread relative to the speaker's (< 1 = flatter).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable

import numpy as np

from gpt_sovits.audio.pitch import Melody, melody_of


def speaker_melody(files: Iterable[str | os.PathLike[str]]) -> Melody | None:
    """The speaker's melody over several recordings: the median of their medians and the mean spread
    (recordings without voicing are skipped; None if none has any)."""
    from gpt_sovits.audio.io import load_audio

    found = [m for m in (melody_of(load_audio(f, sr=16000), 16000) for f in files) if m is not None]
    if not found:
        return None
    return Melody(float(np.exp(np.median([math.log(m.median_hz) for m in found]))),
                  float(np.mean([m.spread for m in found])))


def compare(takes: Iterable[Melody | None], speaker: Melody | None) -> dict[str, float | None]:
    """``pitch_median_hz`` (median of the takes' medians), ``speaker_pitch_median_hz``,
    ``pitch_offset_semitones`` (takes minus speaker), ``pitch_spread`` (mean over takes),
    ``speaker_pitch_spread`` and ``pitch_spread_ratio``; None where a side has no melody."""
    found = [m for m in takes if m is not None]
    median = float(np.exp(np.median([math.log(m.median_hz) for m in found]))) if found else None
    spread = float(np.mean([m.spread for m in found])) if found else None
    both = median is not None and speaker is not None
    return {
        "pitch_median_hz": _round(median, 1),
        "speaker_pitch_median_hz": _round(speaker.median_hz if speaker else None, 1),
        "pitch_offset_semitones": _round(12 * math.log2(median / speaker.median_hz) if both else None, 2),
        "pitch_spread": _round(spread, 3),
        "speaker_pitch_spread": _round(speaker.spread if speaker else None, 3),
        "pitch_spread_ratio": _round(spread / speaker.spread if both and speaker.spread > 0 else None, 2),
    }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
