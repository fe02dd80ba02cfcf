"""Synthesis speed: first-audio latency and real-time factor of ``synthesize()`` (random weights).

Random S1 weights rarely end on EOS at a natural length, so EOS is disabled (its row of the output
layer zeroed: a logit of 0 never makes the top-k of 1,024 random ones) and each segment is decoded
to the guard's cap set to 2.5 tokens per pronounced phone, a typical speaking rate (see ``gpt_sovits.infer.guard``). The voice has a 5 s reference with a
transcript, so S1 sees a realistic prompt. Model loading, the reference features and the text
front-end's dictionaries are warmed up first and not timed.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

TEXT_20 = "今天天气真好，我们一起去公园里散步吧。"  # 19 characters + final mark
TEXT_200 = (
    "春天来了，公园里的花都开了，红的、黄的、白的，一朵比一朵漂亮。小朋友们在草地上奔跑，"
    "老人们坐在长椅上聊天，年轻人则沿着湖边慢慢地散步。湖面上有几只白色的小船，微风吹过，"
    "水面泛起一圈圈的波纹。远处的山上还有一些积雪，在阳光下闪闪发亮。这样的日子让人心情愉快，"
    "忍不住想要多停留一会儿，拍几张照片，留下这美好的回忆。傍晚时分，夕阳把天空染成了橘红色，"
    "人们这才依依不舍地回家。"
)
REFERENCE_TEXT = "这是一段用来测试速度的参考音频。"


class _RandomEncoder:
    """Stand-in content encoder of the right width (features do not matter for speed)."""

    name = "random"

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def encode(self, wav16k: np.ndarray) -> Any:
        import torch

        frames = len(wav16k) // 320
        return torch.randn(1, self.dim, frames, generator=torch.Generator().manual_seed(0))


def _reference(seconds: float = 5.0, sr: int = 32000) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    envelope = np.clip(np.sin(2 * np.pi * 2 * t), 0, None) ** 2
    rng = np.random.default_rng(0)
    return (0.3 * envelope * (np.sin(2 * np.pi * 150 * t) + 0.3 * rng.standard_normal(t.size))).astype(np.float32)


def _build_voice(preset: str, folder: Path) -> Any:
    import torch

    from gpt_sovits.checkpoint.s1 import save_s1
    from gpt_sovits.checkpoint.s2_official import save_s2
    from gpt_sovits.config import preset as lookup
    from gpt_sovits.infer.cache import InferenceCaches
    from gpt_sovits.infer.voice import build_voice
    from gpt_sovits.models.s1.config import S1_PRESETS
    from gpt_sovits.models.s1.model import Text2Semantic
    from gpt_sovits.models.s2.config import S2_PRESETS
    from gpt_sovits.models.s2.model import SynthesizerTrn

    torch.manual_seed(0)
    s1 = Text2Semantic(lookup(S1_PRESETS, preset))
    s2 = SynthesizerTrn(lookup(S2_PRESETS, preset), with_posterior=False)
    save_s1(folder / "s1.safetensors", s1)
    save_s2(folder / "s2g.safetensors", "s2g", s2.cfg, s2.state_dict())
    voice = build_voice(folder / "s1.safetensors", folder / "s2g.safetensors", _reference(), REFERENCE_TEXT,
                        ref_language="zh", encoder=_RandomEncoder(s2.cfg.ssl_dim), caches=InferenceCaches())
    model = voice.s1.model
    with torch.no_grad():  # the head has no bias (official layout): EOS's logit stays 0, below the top-k
        model.ar_predict_layer.weight[model.config.eos].zero_()
    return voice


class _TimedS2:
    """Forwards to the real S2 and adds up the seconds spent in ``decode``."""

    def __init__(self, s2: Any) -> None:
        self.s2 = s2
        self.seconds = 0.0

    def decode(self, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.s2.decode(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


def _measure(voice: Any, text: str, options: Any, guard: Any) -> dict[str, Any]:
    from gpt_sovits.infer.pipeline import synthesize
    from gpt_sovits.infer.results import collect

    timed = _TimedS2(voice.s2)
    voice.s2 = timed
    try:
        started = time.perf_counter()
        result = collect(synthesize(voice, text, options, guard=guard), started)
    finally:
        voice.s2 = timed.s2
    return {"chars": len(text), **result.summary(), "s2_seconds": round(timed.seconds, 3),
            "other_seconds (S1, text, loudness)": round(result.wall_seconds - timed.seconds, 3)}


def bench_synth(preset: str = "starter", threads: int | None = None, seed: int = 0, **_: Any) -> dict[str, Any]:
    """First-audio latency and RTF for a 20- and a 200-character Chinese text (default segmentation)."""
    import torch

    from gpt_sovits.infer.guard import GuardConfig
    from gpt_sovits.infer.options import SynthesisOptions

    if threads:
        torch.set_num_threads(threads)
    options = SynthesisOptions(seed=seed, max_retries=0)
    guard = GuardConfig(max_tokens_per_phone=2.5, slack_tokens=0)
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as tmp:
        voice = _build_voice(preset, Path(tmp))
        _measure(voice, "预热一下。Warm up.", options, guard)
        short = _measure(voice, TEXT_20, options, guard)
        long = _measure(voice, TEXT_200, options, guard)
    return {
        "preset": preset,
        "threads": torch.get_num_threads(),
        "s1_dtype": str(voice.s1.model.ar_predict_layer.weight.dtype).replace("torch.", ""),
        "text_20": short,
        "text_200": long,
        "targets": {"first_audio_latency": 0.8, "rtf": 0.3} if preset == "starter" else None,
    }
