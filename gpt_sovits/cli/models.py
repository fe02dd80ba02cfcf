"""``python -m gpt_sovits models``: what is installed, what is missing and how to get it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pretrained", type=Path, default=None, help="pretrained/ folder to inspect")
    parser.add_argument("--assemble", action="store_true",
                        help="also assemble the offline Whisper-base model now (otherwise on first use)")


def run(args: argparse.Namespace) -> int:
    from gpt_sovits.registry import Registry, whisper_model_dir

    registry = Registry(args.pretrained)
    if args.assemble:
        whisper_model_dir(registry.root)
    status = registry.status()
    for comp in status.components:
        mark = "ok " if comp.available else "-- "
        fix = f"   fix: {comp.fix}" if comp.fix else ""
        print(f"{mark}{comp.name:32s} {comp.detail}{fix}")
    for prof in status.profiles:
        mark = "ok " if prof.available else "-- "
        extra = "" if prof.available else f"   missing: {', '.join(prof.missing)}; fix: {prof.fix}"
        print(f"{mark}base model {prof.name:21s} {prof.title}{extra}")
    for step in status.next_steps:
        print(f"next: {step}")
    print(json.dumps(status.to_dict(), ensure_ascii=False))
    return 0
