"""``python -m gpt_sovits eval-paths --readings LIST --lang zh``: where does a base lose the words?"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--readings", required=True,
                        help="path|speaker|lang|text .list of one voice's recordings (3-10 s each, exact transcripts), "
                             "e.g. an eval set's train.list")
    parser.add_argument("--lang", required=True, choices=["en", "zh"], help="language of the transcripts")
    parser.add_argument("--base", default="starter", help="base profile (default: starter)")
    parser.add_argument("--pretrained", default=None, help="pretrained/ folder (default: the checkout's)")
    parser.add_argument("--seed", type=int, default=1234, help="noise seed of the rendered paths (default 1234)")
    parser.add_argument("--no-similarity", action="store_true",
                        help="skip each path's speaker similarity to its recording (resemblyzer)")


def run(args: argparse.Namespace) -> int:
    from gpt_sovits.errors import StudioError
    from gpt_sovits.evaluation.paths import read_readings, score_paths
    from gpt_sovits.evaluation.speaker import SpeakerEncoder

    try:
        readings, notes = read_readings(args.readings, args.lang)
        embedder = None
        if not args.no_similarity:
            embedder = SpeakerEncoder()
            embedder.load()  # fails now, with how to install it, rather than after the first reading
        scores = score_paths(args.base, readings, args.lang, pretrained_root=args.pretrained, seed=args.seed,
                             embedder=embedder, log=lambda line: print(line, file=sys.stderr, flush=True))
    except (StudioError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(json.dumps({"ok": False, "error": str(exc)}, ensure_ascii=False))
        return 1
    scores.notes[:0] = notes
    data = scores.to_dict()
    for path, rates in data["paths"].items():
        print(f"{path}: " + " ".join(f"{k}={v}" for k, v in rates.items()), file=sys.stderr)
    for note in data["notes"]:
        print(f"note: {note}", file=sys.stderr)
    print(json.dumps(data, ensure_ascii=False))
    return 0
