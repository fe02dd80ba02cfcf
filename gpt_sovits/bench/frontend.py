"""Text front-end speed: milliseconds per typical sentence after warm-up (dictionaries loaded)."""

from __future__ import annotations

import statistics
import time
from typing import Any

SENTENCES = {
    "zh": [
        "今天天气很好，我们去公园散步吧。",
        "他在2024年3月15日下午3点30分到达北京，花了1250.5元。",
        "银行的行长说，这件事还要再重新考虑一下。",
        "我们一起去看电影吧，听说这部片子特别好看。",
    ],
    "en": [
        "The quick brown fox jumps over the lazy dog.",
        "Dr. Smith paid $3.5 million on March 3rd, 2021 at 7:05 p.m.",
        "Please read the record before you close the door.",
        "Visit https://example.com or e-mail info@example.com for details.",
    ],
    "auto": [
        "我今天用 GPT-SoVITS 录了一段 English 演讲，效果 really good。",
        "这个 iPhone 的价格是 999 美元。",
    ],
}


def bench_frontend(repeats: int = 20) -> dict[str, Any]:
    """Median and worst ms per sentence of ``to_phones`` for zh, en and mixed text."""
    from gpt_sovits.text import to_phones

    start = time.perf_counter()
    for lang, texts in SENTENCES.items():
        for text in texts:
            to_phones(text, lang)
    warmup = time.perf_counter() - start
    result: dict[str, Any] = {"warmup_s": round(warmup, 2)}
    for lang, texts in SENTENCES.items():
        times = []
        for _ in range(repeats):
            for text in texts:
                t0 = time.perf_counter()
                to_phones(text, lang)
                times.append((time.perf_counter() - t0) * 1000)
        result[f"{lang}_median_ms"] = round(statistics.median(times), 3)
        result[f"{lang}_max_ms"] = round(max(times), 3)
    return result
