"""``python -m gpt_sovits corpus build OUT [--hours H] [--voices ...] [--seed N]``: the offline corpus."""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    subs = parser.add_subparsers(dest="action", metavar="<action>", required=True)
    build = subs.add_parser("build", help="generate (or continue) a multi-speaker zh/en corpus from offline sources")
    build.add_argument("out", help="corpus folder (a project folder: slices/ + labels.list); rerun to resume")
    build.add_argument("--hours", type=float, default=1.0, help="target hours of speech in total (default 1)")
    build.add_argument("--voices", nargs="*", default=None,
                       help="source names (kokoro, piper-joe, festival, espeak-ng, gcin-voice) or voice-id prefixes")
    build.add_argument("--languages", nargs="*", default=["zh", "en"], choices=["zh", "en"])
    build.add_argument("--per-voice", type=int, default=0, help="at most this many utterances per voice (0 = no cap)")
    build.add_argument("--seed", type=int, default=1234, help="sentence seed (keep it when resuming)")
    build.add_argument("--quiet", action="store_true", help="no per-utterance progress on stderr")


def run(args: argparse.Namespace) -> int:
    from gpt_sovits.corpus.build import build_corpus

    def progress(fraction: float, message: str) -> None:
        print(f"[{fraction:6.1%}] {message}", file=sys.stderr, flush=True)

    summary = build_corpus(args.out, hours=args.hours, voices=args.voices, seed=args.seed,
                           per_voice=args.per_voice, languages=args.languages,
                           progress=None if args.quiet else progress)
    print(json.dumps(summary.to_dict(), ensure_ascii=False))
    return 0 if summary.utterances else 1
