"""``python -m gpt_sovits bench <target>``: speed benchmarks (never part of the test suite).

Run them on an idle machine: the two cores are easily disturbed. The last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import importlib
import json
from typing import Any

# target -> (module, function, help). Each function takes keyword arguments from the options below.
TARGETS: dict[str, tuple[str, str, str]] = {
    "engine": ("gpt_sovits.bench.engine", "bench_engine", "S1 ms/token, S2 seconds, RTF, peak RSS"),
    "features": ("gpt_sovits.bench.features", "bench_features", "Whisper-base content features"),
    "prepare": ("gpt_sovits.bench.prepare", "bench_prepare", "data pipeline seconds per stage, 1 min"),
    "frontend": ("gpt_sovits.bench.frontend", "bench_frontend", "text front-end ms per sentence"),
    "synth": ("gpt_sovits.bench.synth", "bench_synth", "first-audio latency and RTF of synthesize()"),
    "train": ("gpt_sovits.bench.train", "bench_train", "seconds per S2 and S1 training step"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", choices=sorted(TARGETS), help="what to measure")
    parser.add_argument("--preset", default=None, help="model preset (v2, starter, tiny)")
    parser.add_argument("--dtype", default=None, help="engine: float32 (exact) or auto (bf16 where fast)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    parser.add_argument("--seconds", type=float, default=None, help="features: seconds of audio")


def run(args: argparse.Namespace) -> int:
    module, function, _ = TARGETS[args.target]
    try:
        bench = getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError) as exc:
        raise SystemExit(f"benchmark {args.target!r} is not available in this version ({exc})") from exc
    kwargs: dict[str, Any] = {}
    for name in ("preset", "dtype", "threads", "seconds"):
        value = getattr(args, name)
        if value is not None:
            kwargs[name] = value
    result = bench(**kwargs)
    print(json.dumps(result, ensure_ascii=False))
    return 0
