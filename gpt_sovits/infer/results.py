"""What synthesis hands back: one :class:`AudioChunk` per text segment, and a summary.

Shapes: n = samples at ``sample_rate`` (32 kHz).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class AudioChunk:
    """One synthesized text segment (the pause that follows it is included at its end).

    Args:
        audio: float32 mono samples ``[n]`` in [-1, 1], loudness-normalised.
        sample_rate: always 32000 for v2 voices.
        text: the segment's text.
        index: position of the segment (0-based).
        count: number of segments of the whole text.
        seed: seed of the take that was kept (S1 sampling and S2 noise).
        retries: extra takes generated for this segment (stability guard or ASR check).
        issues: why earlier takes were rejected (or why the kept one is doubtful), in order.
        tokens: semantic tokens of the kept take (25 per second of speech).
        phones: pronounced phones of the segment.
        asr_text: transcript of the kept take when the ASR check ran.
        asr_error: its phone error rate against the text (0 = perfect).
        reading_error: phone errors per phone the voice's token readout hears in the kept take's
            tokens (None: the voice has no readout; see :mod:`gpt_sovits.infer.reading_check`).
        pause_samples: trailing silence samples included in ``audio``.
    """

    audio: np.ndarray
    sample_rate: int
    text: str
    index: int
    count: int
    seed: int
    retries: int = 0
    issues: list[str] = field(default_factory=list)
    tokens: int = 0
    phones: int = 0
    asr_text: str | None = None
    asr_error: float | None = None
    reading_error: float | None = None
    pause_samples: int = 0

    @property
    def is_last(self) -> bool:
        return self.index == self.count - 1

    @property
    def seconds(self) -> float:
        return self.audio.shape[0] / self.sample_rate


@dataclass
class SynthesisResult:
    """A whole text: audio plus what the CLI prints (see :func:`collect`)."""

    audio: np.ndarray  # [n] float32
    sample_rate: int
    segments: int
    retries: int
    wall_seconds: float
    first_audio_latency: float
    issues: list[str] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    reading_errors: list[float] = field(default_factory=list)  # of the segments the reading check read

    @property
    def reading_error(self) -> float | None:
        """Mean reading error of the segments (None: the voice has no token readout)."""
        return sum(self.reading_errors) / len(self.reading_errors) if self.reading_errors else None

    @property
    def audio_seconds(self) -> float:
        return self.audio.shape[0] / self.sample_rate

    @property
    def rtf(self) -> float:
        """Real-time factor: wall time / audio time (below 1 = faster than real time)."""
        return self.wall_seconds / self.audio_seconds if self.audio_seconds > 0 else float("inf")

    def summary(self) -> dict[str, float | int]:
        found = {
            "audio_seconds": round(self.audio_seconds, 3),
            "wall_seconds": round(self.wall_seconds, 3),
            "rtf": round(self.rtf, 4),
            "first_audio_latency": round(self.first_audio_latency, 3),
            "segments": self.segments,
            "retries": self.retries,
        }
        if self.reading_error is not None:  # voices with a token readout (gpt_sovits.infer.reading_check)
            found["reading_error"] = round(self.reading_error, 4)
        return found


def collect(chunks: Iterable[AudioChunk], started: float | None = None) -> SynthesisResult:
    """Drain a chunk iterator into one :class:`SynthesisResult`.

    ``started`` is the ``time.perf_counter()`` value when synthesis was requested (default: now,
    which is right when ``chunks`` is a fresh generator: nothing runs before the first ``next``).
    """
    started = time.perf_counter() if started is None else started
    parts: list[np.ndarray] = []
    first: float | None = None
    retries = 0
    issues: list[str] = []
    seeds: list[int] = []
    reading_errors: list[float] = []
    sample_rate = 32000
    for chunk in chunks:
        if first is None:
            first = time.perf_counter() - started
        parts.append(chunk.audio)
        retries += chunk.retries
        issues.extend(f"segment {chunk.index + 1}: {issue}" for issue in chunk.issues)
        seeds.append(chunk.seed)
        if chunk.reading_error is not None:
            reading_errors.append(chunk.reading_error)
        sample_rate = chunk.sample_rate
    wall = time.perf_counter() - started
    audio = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    return SynthesisResult(audio=audio.astype(np.float32, copy=False), sample_rate=sample_rate,
                           segments=len(parts), retries=retries, wall_seconds=wall,
                           first_audio_latency=first if first is not None else wall,
                           issues=issues, seeds=seeds, reading_errors=reading_errors)
