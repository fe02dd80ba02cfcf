"""Optional ASR check: transcribe a take with Whisper-base and measure how far it drifts.

Texts are compared as phone sequences, not characters: the transcript and the target both go
through our front-end (tones and punctuation removed), so homophones that ASR spells with other
characters, and numbers written as digits or words, do not count as errors, while skipped,
repeated or invented words do. The error rate is the edit distance divided by the target's
phone count (a phone error rate, PER). A take above ``max_error`` (default 0.35) is regenerated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from gpt_sovits.errors import UnsupportedText
from gpt_sovits.evaluation.metrics import edit_distance

_TONE = re.compile(r"[0-9]$")


class Transcriber(Protocol):
    """What the check needs from :class:`gpt_sovits.asr.WhisperASR`."""

    def transcribe(self, audio: np.ndarray, sr: int, language: str = "auto"): ...


def plain_phones(text: str, language: str) -> list[str]:
    """Pronounced phones of ``text`` without tones/stress (empty if nothing is pronounceable)."""
    from gpt_sovits.text import to_phones
    from gpt_sovits.text.symbols import SILENT_SYMBOLS

    try:
        phonemized = to_phones(text, language)
    except UnsupportedText:
        return []
    return [_TONE.sub("", p).lower() for p in phonemized.phones if p not in SILENT_SYMBOLS and p.isalnum()]


def phone_error_rate(reference: str, hypothesis: str, language: str) -> float:
    """Edit distance between the phones of both texts / phones of ``reference`` (1.0 if none)."""
    ref = plain_phones(reference, language)
    if not ref:
        return 0.0
    return edit_distance(ref, plain_phones(hypothesis, language)) / len(ref)


@dataclass
class AsrCheck:
    """Transcribes takes and says whether they read the text.

    Args:
        asr: a transcriber (``WhisperASR``); loaded lazily by its owner.
        max_error: phone error rate above which a take is rejected.
    """

    asr: Transcriber
    max_error: float = 0.35

    def check(self, audio: np.ndarray, sample_rate: int, text: str, language: str) -> tuple[str, float]:
        """-> (transcript, phone error rate) of one take of ``text``."""
        asr_language = language if language in ("zh", "en") else "auto"
        transcript = self.asr.transcribe(audio, sample_rate, asr_language).text
        phones_language = "auto" if language not in ("zh", "en") else language
        return transcript, phone_error_rate(text, transcript, phones_language)


def whisper_check(pretrained_root=None, max_error: float = 0.35) -> AsrCheck:
    """An :class:`AsrCheck` backed by Whisper-base from the registry (loaded on first use)."""
    from gpt_sovits.asr import WhisperASR

    return AsrCheck(asr=WhisperASR(pretrained_root=pretrained_root), max_error=max_error)
