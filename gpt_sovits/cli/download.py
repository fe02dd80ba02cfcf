"""``python -m gpt_sovits download gsv-v2``: fetch official weights (needs internet)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=["gsv-v2"], help="which weights to download")
    parser.add_argument("--pretrained", type=Path, default=None, help="target pretrained/ folder")


def run(args: argparse.Namespace) -> int:
    from gpt_sovits.download import download
    from gpt_sovits.registry import Registry

    registry = Registry(args.pretrained)

    def progress(fraction: float, message: str) -> None:
        print(f"\r[{fraction * 100:5.1f}%] {message:70.70s}", end="", file=sys.stderr, flush=True)

    written = download(args.name, registry.root, progress=progress)
    print(file=sys.stderr)
    profile = next(p for p in registry.profiles() if p.name == args.name)
    print(json.dumps({"downloaded": [str(p) for p in written], "profile": profile.to_dict()}))
    return 0 if profile.available else 1
