"""``python -m gpt_sovits pretrain-probe RUN CORPUS``: intelligibility of a pretraining run's S2."""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", help="pretraining run folder (python -m gpt_sovits pretrain CORPUS RUN)")
    parser.add_argument("corpus", help="the corpus folder the run trains on")
    parser.add_argument("--items", type=int, default=8, help="utterances to render (default 8)")
    parser.add_argument("--split", choices=("val", "train"), default="val",
                        help="render the run's held-out utterances (val, default) or ones it trains on (train)")
    parser.add_argument("--s1", default=None,
                        help="probe this S1 (an export, official .ckpt or the run's checkpoints/s1-*.pt) "
                             "instead of the run's best")
    parser.add_argument("--out", default=None, help="also write the rendered wavs into this folder")
    parser.add_argument("--pretrained", default=None, help="pretrained/ folder holding whisper-base")
    parser.add_argument("--readout-epochs", type=int, default=8,
                        help="epochs of the token phone readout that scores S1's tokens directly (0 = skip)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1: beside training)")


def run(args: argparse.Namespace) -> int:
    import torch

    from gpt_sovits.pretrain.probe import PATHS, probe_run

    torch.set_num_threads(max(1, args.threads))
    try:
        result = probe_run(args.run, args.corpus, args.items, args.pretrained, args.out, args.split, args.s1,
                           args.readout_epochs)
    except (FileNotFoundError, ValueError) as exc:  # wrong folder, nothing trained yet, bad --s1 file
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for row in result.utterances:
        print(f"{row['slice']}: {row['text']}")
        for path in PATHS:
            if path in row:
                print(f"    {path:15s} {row[path]}")
    print(json.dumps({"step": result.step, "split": result.split, "items": result.items, "error_rate": result.error_rate,
                      "median_rate": result.median_rate, "s1_ce": result.s1_ce,
                      "token_phone_error": result.token_phone_error,
                      "error_rate_by_source": result.error_rate_by_source, "capped_rate": result.capped_rate,
                      "capped_rate_by_source": result.capped_rate_by_source, "buzz_db": result.buzz_db,
                      "similarity": result.similarity, "dnsmos": result.dnsmos,
                      "pitch_agreement": result.pitch_agreement},
                     ensure_ascii=False))
    return 0
