"""``python -m gpt_sovits pretrain-melody CORPUS [CORPUS ...] --out FILE``: a base's text melody model
(``melody.safetensors``).

Each corpus needs ``pretrain``'s feature cache (Whisper features and semantic tokens); the alignment of
tokens to phones comes from a token readout (the base's ``token-readout.safetensors``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("corpus", nargs="+",
                        help="corpus folder(s) with pretrain's feature cache (python -m gpt_sovits pretrain ...)")
    parser.add_argument("--out", required=True, help="where to write the model (e.g. pretrained/starter/melody.safetensors)")
    parser.add_argument("--readout", required=True, help="token-readout.safetensors of the base (aligns tokens to phones)")
    parser.add_argument("--languages", nargs="+", default=["zh"], choices=("zh", "en"),
                        help="which utterances to learn from (default zh: the tones)")
    parser.add_argument("--voices", nargs="+", default=[],
                        help="only speakers whose name starts with one of these (default: all)")
    parser.add_argument("--steps", type=int, default=4000, help="training steps, one utterance each (default 4000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--blend", type=float, default=1.0,
                        help="share of the text's contour in the melody's shape at synthesis (default 1; the rest is "
                             "the decoder's own)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")


def run(args: argparse.Namespace) -> int:
    import torch

    from gpt_sovits.models.s2.melody import MelodyConfig, save_melody
    from gpt_sovits.pretrain.melody_fit import corpus_examples, fit_melody

    torch.set_num_threads(max(1, args.threads))
    out, readout = Path(args.out), Path(args.readout)
    if out.exists():
        print(f"error: {out} exists; choose another file name (nothing is overwritten)", file=sys.stderr)
        return 1
    if not 0.0 <= args.blend <= 1.0:
        print(f"error: --blend {args.blend} is outside 0..1 (1 = the text's contour only)", file=sys.stderr)
        return 1
    if not readout.is_file():
        print(f"error: --readout {readout} not found; give the base's token-readout.safetensors", file=sys.stderr)
        return 1
    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        examples = [e for corpus in args.corpus
                    for e in corpus_examples(Path(corpus), readout, args.languages, args.voices, log=log)]
        config = MelodyConfig(dropout=args.dropout, blend=args.blend)
        model, report = fit_melody(examples, config, steps=args.steps, seed=args.seed, log=log)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    save_melody(model, out)
    print(json.dumps({"out": str(out), "examples": len(examples), "best_step": report.best_step,
                      "best_val_loss": round(report.best_val_loss, 4), "history": report.history}))
    return 0
