"""GPT-SoVITS Studio: few-shot voice cloning (GPT-SoVITS v2 design), fully local.

Public API (resolved lazily, so ``import gpt_sovits`` stays instant)::

    from gpt_sovits import load_voice, synthesize, SynthesisOptions

    voice = load_voice("workspace/alice/voices/alice-v1")   # or zero_shot_voice("gsv-v2", "ref.wav", "...")
    for chunk in synthesize(voice, "今天天气很好。Hello!", SynthesisOptions(seed=7)):
        ...  # chunk.audio: float32 at 32 kHz, chunk.text, chunk.index

    result = finetune("workspace/alice", TrainConfig.preset("starter"), on_event=print)
"""

from __future__ import annotations

from gpt_sovits.lazy import lazy_exports

# public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    "finetune": "gpt_sovits.train.run",
    "finetune_s2": "gpt_sovits.train.run",
    "finetune_s1": "gpt_sovits.train.run",
    "TrainConfig": "gpt_sovits.train.config",
    "TrainResult": "gpt_sovits.train.run",
    "load_voice": "gpt_sovits.infer.voice",
    "zero_shot_voice": "gpt_sovits.infer.voice",
    "Voice": "gpt_sovits.infer.voice",
    "synthesize": "gpt_sovits.infer.pipeline",
    "SynthesisOptions": "gpt_sovits.infer.options",
    "AudioChunk": "gpt_sovits.infer.results",
    "SynthesisResult": "gpt_sovits.infer.results",
    "collect": "gpt_sovits.infer.results",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports('gpt_sovits', _EXPORTS)
