"""Warped voices: more speakers for the corpus from the voices it already has.

A voice's audio resampled as if it had been recorded at ``factor`` times its sample rate plays
``factor`` times faster with its pitch *and* its formants (vocal-tract resonances) scaled by
``factor``: to a listener, and to a speaker encoder, a different, shorter or longer vocal tract.
This is the speed perturbation that speech recognition uses to generalise to unseen speakers
(Ko et al., 2015, "Audio augmentation for speech recognition"). The starter's decoder learns the
corpus's own voices well but not a new one (MODEL_CARD.md, session 37): the corpus has few
Mandarin speakers, and this multiplies them at no synthesis cost beyond the original voice's.

Each warped voice reads its own sentences (the sentence pools draw by voice id), so a warped
voice is a new speaker reading new text, not a copy of its source's utterances.
"""

from __future__ import annotations

import numpy as np

from gpt_sovits.corpus.sources import SynthesisFailed, Voice, VoiceSource

# About 2.8 semitones down / 2.4 up, formants with them. Measured on Kokoro's Mandarin jf_alpha / jm_kumo
# (5 sentences each; resemblyzer mean embeddings vs the unwarped voice; faster-whisper base CER of the 10):
# x0.85 -> 0.78 / 0.75 (a new speaker by `corpus speakers`' 0.85 threshold), CER 0.28 (unwarped 0.32);
# x1.15 -> 0.90 / 0.82, CER 0.33; x1.2 -> 0.87 / 0.76 but CER 0.40: a female voice needs a larger step up
# to become someone else than the words can take, so the upward factor stays moderate.
DEFAULT_FACTORS = (0.85, 1.15)
FACTOR_LIMITS = (0.7, 1.4)  # beyond these the speech stops sounding human


def warped_id(factor: float, voice_id: str) -> str:
    """``warp085-kokoro-jfalpha-zh`` for factor 0.85 (a prefix the builder's ``--voices`` can select)."""
    return f"warp{round(factor * 100):03d}-{voice_id}"


def warp(audio: np.ndarray, sr: int, factor: float) -> np.ndarray:
    """``audio`` [n] at ``sr`` played ``factor`` times faster: pitch and formants × factor, duration ÷ factor."""
    from gpt_sovits.audio.resample import resample

    if not FACTOR_LIMITS[0] <= factor <= FACTOR_LIMITS[1]:
        raise ValueError(f"warp factor {factor} is outside {FACTOR_LIMITS}")
    return resample(audio.astype(np.float32), round(sr * factor), sr).astype(np.float32)


class WarpedSource:
    """Every voice of ``inner`` (e.g. Kokoro's) at each of ``factors``, as new corpus speakers.

    Opt-in: the builder uses it only when ``--voices`` names it (``warp``, or a voice-id prefix such
    as ``warp085-kokoro-jf``), so the default corpus stays what its recipes built."""

    name = "warp"
    opt_in = True

    def __init__(self, inner: VoiceSource, factors: tuple[float, ...] = DEFAULT_FACTORS) -> None:
        bad = [f for f in factors if not FACTOR_LIMITS[0] <= f <= FACTOR_LIMITS[1] or f == 1.0]
        if bad or len({warped_id(f, "") for f in factors}) != len(factors):
            raise ValueError(f"warp factors must be distinct, not 1 and within {FACTOR_LIMITS}; got {factors}")
        self.inner, self.factors = inner, tuple(factors)
        self.licence = f"derived by resampling from {inner.name}: {inner.licence}"

    def unavailable(self) -> str | None:
        return self.inner.unavailable()

    def voices(self) -> list[Voice]:
        return [Voice(warped_id(factor, voice.id), self.name, voice.language, {"inner": voice, "factor": factor})
                for factor in self.factors for voice in self.inner.voices()]

    def synthesize(self, voice: Voice, text: str) -> tuple[np.ndarray, int]:
        inner, factor = voice.params.get("inner"), voice.params.get("factor")
        if inner is None or factor is None:
            raise SynthesisFailed(f"{voice.id} is not a warped voice of {self.inner.name}")
        audio, sr = self.inner.synthesize(inner, text)
        return warp(audio, sr, factor), sr
