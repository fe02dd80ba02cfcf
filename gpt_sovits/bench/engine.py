"""Engine benchmark: S1 and S2 together in one process, as synthesis uses them."""

from __future__ import annotations

import resource
from typing import Any


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def bench_engine(preset: str = "v2", dtype: str = "float32", threads: int | None = None) -> dict[str, Any]:
    """S1 ms/token (75 prompt tokens, 60 phones, 150 generated tokens, top_k 15, rp 1.35), S2 seconds
    for those 150 tokens (6 s of audio, noise_scale 0.5, 5 s reference), total real-time factor and
    peak RSS with both models loaded. ``dtype`` "float32" is the exact path (S1 decodes with the
    torch.compile'd step; its one-off compile is the reported warm-up, not part of ms/token); "auto"
    lets S1 use bfloat16 weights where the CPU supports it (outputs then differ slightly)."""
    import torch

    from gpt_sovits.bench.s1 import bench_s1
    from gpt_sovits.bench.s2 import bench_s2

    if threads:
        torch.set_num_threads(threads)
    s1 = bench_s1(preset=preset, prompt_tokens=75, phones=60, new_tokens=150, top_k=15,
                  repetition_penalty=1.35, dtype=dtype)
    s2 = bench_s2(preset=preset, tokens=150, ref_seconds=5.0, noise_scale=0.5, phones=60)
    s1_seconds = s1["total_ms"] / 1000.0
    audio = s2["audio_seconds"]
    return {
        "preset": preset,
        "dtype": s1["dtype"],
        "threads": torch.get_num_threads(),
        "s1_ms_per_token": round(s1["ms_per_token"], 2),
        "s1_prefill_ms": round(s1["prefill_ms"], 1),
        "s1_warmup_s": s1["compile_s"],
        "s1_seconds": round(s1_seconds, 3),
        "s2_seconds": round(s2["decode_s"], 3),
        "audio_seconds": audio,
        "rtf": round((s1_seconds + s2["decode_s"]) / audio, 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
