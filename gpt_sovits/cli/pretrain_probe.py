"""``python -m gpt_sovits pretrain-probe RUN CORPUS``: intelligibility of a pretraining run's S2."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", help="pretraining run folder (python -m gpt_sovits pretrain CORPUS RUN)")
    parser.add_argument("corpus", help="the corpus folder the run trains on")
    parser.add_argument("--items", type=int, default=8, help="validation utterances to render (default 8)")
    parser.add_argument("--out", default=None, help="also write the rendered wavs into this folder")
    parser.add_argument("--pretrained", default=None, help="pretrained/ folder holding whisper-base")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1: beside training)")


def run(args: argparse.Namespace) -> int:
    import torch

    from gpt_sovits.pretrain.probe import PATHS, probe_run

    torch.set_num_threads(max(1, args.threads))
    result = probe_run(args.run, args.corpus, args.items, args.pretrained, args.out)
    for row in result.utterances:
        print(f"{row['slice']}: {row['text']}")
        for path in PATHS:
            if path in row:
                print(f"    {path:15s} {row[path]}")
    print(json.dumps({"step": result.step, "items": result.items, "error_rate": result.error_rate,
                      "median_rate": result.median_rate},
                     ensure_ascii=False))
    return 0
