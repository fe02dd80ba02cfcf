"""Synthesis: voices, the ``synthesize`` generator, options, stability guard and result types.

Importing this package loads nothing heavy; the names below resolve on first access.
"""

from __future__ import annotations

from gpt_sovits.lazy import lazy_exports

_EXPORTS = {
    "SynthesisOptions": "gpt_sovits.infer.options",
    "Voice": "gpt_sovits.infer.voice",
    "build_voice": "gpt_sovits.infer.voice",
    "load_voice": "gpt_sovits.infer.voice",
    "zero_shot_voice": "gpt_sovits.infer.voice",
    "synthesize": "gpt_sovits.infer.pipeline",
    "AudioChunk": "gpt_sovits.infer.results",
    "SynthesisResult": "gpt_sovits.infer.results",
    "collect": "gpt_sovits.infer.results",
    "GuardConfig": "gpt_sovits.infer.guard",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports('gpt_sovits.infer', _EXPORTS)
