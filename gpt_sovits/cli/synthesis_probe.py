"""``python -m gpt_sovits synthesis-probe PROFILE CORPUS``: does a base read corpus texts, end to end?"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", help="a base profile folder (profile.json + weights, e.g. pretrained/starter)")
    parser.add_argument("corpus", help="a corpus folder (python -m gpt_sovits corpus build OUT)")
    parser.add_argument("--s1", default=None, help="read with this S1 file instead of the profile's")
    parser.add_argument("--items", type=int, default=40, help="corpus voices to read with (default 40)")
    parser.add_argument("--seed", type=int, default=0, help="which pairs of utterances (default 0)")
    parser.add_argument("--new-texts", action="store_true",
                        help="read sentences no corpus utterance says (S1 never trained on them) instead of corpus texts")
    parser.add_argument("--pretrained", default=None, help="pretrained/ folder holding whisper-base")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")


def run(args: argparse.Namespace) -> int:
    import torch

    from gpt_sovits.errors import ModelMissingError
    from gpt_sovits.pretrain.synthesis_probe import MODES, probe_synthesis

    if args.items < 1:
        print("error: --items must be at least 1", file=sys.stderr)
        return 2
    torch.set_num_threads(max(1, args.threads))
    try:
        result = probe_synthesis(args.profile, args.corpus, args.s1, args.items, args.seed, args.pretrained,
                                 new_texts=args.new_texts)
    except (FileNotFoundError, ModelMissingError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for row in result.utterances:
        print(f"{row['target']}: {row['text']}")
        for mode in MODES:
            print(f"    {mode:12s} {row[mode]}")
    summary = asdict(result)
    summary.pop("utterances")
    print(json.dumps(summary, ensure_ascii=False))
    return 0
