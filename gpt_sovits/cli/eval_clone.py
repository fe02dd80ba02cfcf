"""``python -m gpt_sovits eval-clone``: measure voice-cloning quality end to end (developer tool).

Fine-tunes a base on the training audio (or goes zero-shot with ``--zero-shot``), reads every
line of ``--texts`` with a fixed seed and scores each take: WER (en) / CER (zh) of Whisper-base's
transcript, speaker similarity (resemblyzer) to ``--ref``, to the training audio and to every
``--corpus`` speaker, DNSMOS (speechmos, if installed), synthesis seconds and real-time factor.

Examples::

    python -m gpt_sovits eval-clone --train a.wav b.wav --lang en --texts texts.txt --ref a.wav \\
        --base starter --out /tmp/ev
    python -m gpt_sovits eval-clone --zero-shot --lang zh --texts zh.txt --ref ref.wav --ref-text "参考文本"

Per-text lines go to stderr; the last stdout line is one JSON object (see
:class:`gpt_sovits.evaluation.report.EvalReport`). Needs ``pip install -r requirements-dev.txt``.
Exit codes: 0 done, 2 bad arguments, 1 other errors (e.g. the base model is not installed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--train", nargs="+", default=[], metavar="FILE",
                        help="training audio: files, a folder of audio, or one path|speaker|lang|text .list "
                             "(with --zero-shot only used for the training-audio similarity)")
    parser.add_argument("--lang", required=True, choices=("en", "zh"), help="language of the texts (en: WER, zh: CER)")
    parser.add_argument("--texts", required=True, type=Path, help="UTF-8 file, one text per line (blank lines ignored)")
    parser.add_argument("--ref", required=True, type=Path, help="reference wav of the target voice (3-10 s)")
    parser.add_argument("--ref-text", default=None, help="transcript of --ref for zero-shot (default: ASR of it)")
    parser.add_argument("--base", default="starter", help="base profile (default: starter)")
    parser.add_argument("--zero-shot", action="store_true", help="no fine-tuning: clone from --ref only")
    parser.add_argument("--out", type=Path, default=None,
                        help="new or empty folder to keep 01.wav, 02.wav, ... and report.json in")
    parser.add_argument("--corpus", type=Path, default=None,
                        help="a `corpus build` folder: also compare with every corpus speaker")
    parser.add_argument("--pretrained", type=Path, default=None, help="pretrained/ folder (default: the checkout's)")
    parser.add_argument("--workspace", type=Path, default=None,
                        help="keep the fine-tuning project in this workspace (default: temporary)")
    parser.add_argument("--seed", type=int, nargs="+", default=[1234], metavar="N",
                        help="synthesis seeds: every text is read once with each, e.g. --seed 1234 7 99 "
                             "(default: 1234)")
    parser.add_argument("--s2-epochs", type=int, default=None, metavar="N", help="S2 epochs (default: the base's)")
    parser.add_argument("--s1-epochs", type=int, default=None, metavar="M", help="S1 epochs (default: the base's)")
    parser.add_argument("--s2-whisper-weight", type=float, default=None, metavar="W",
                        help="fine-tune S2 with the Whisper feature loss at this weight (default: the base's)")
    parser.add_argument("--s2-prior-weight", type=float, default=None, metavar="W",
                        help="fine-tune S2 with the prior-path loss at this weight (default: the base's)")
    parser.add_argument("--s2-freeze-decoder", action="store_true", default=None,
                        help="keep S2's decoder fixed in the fine-tune (default: the base's)")
    parser.add_argument("--s2-decoder-only", action=argparse.BooleanOptionalAction, default=None,
                        help="train only S2's decoder, encoders and flow staying as the base has them, or "
                             "(--no-s2-decoder-only) all of S2 (default: the base's)")
    parser.add_argument("--s1-lr", type=float, default=None, metavar="LR",
                        help="S1 fine-tuning learning rate (default: the base's)")
    parser.add_argument("--train-seed", type=int, default=None, metavar="N",
                        help="the fine-tune's random seed (default: the base's preset; --seed is synthesis's)")
    from gpt_sovits.text.segment import METHODS

    parser.add_argument("--segmentation", default=None, metavar="METHOD",
                        help=f"how each text is cut for synthesis: {', '.join(METHODS)} (or cut0..cut5; "
                             "default: the voice's recommended, else punctuation)")
    parser.add_argument("--keep-reference-pitch", action=argparse.BooleanOptionalAction, default=None,
                        help="synthesis puts each segment at the reference's median pitch (default on)")
    parser.add_argument("--text-melody", action=argparse.BooleanOptionalAction, default=None,
                        help="synthesis takes the melody's shape from the text's tones when the base ships a "
                             "melody model (default on)")
    parser.add_argument("--max-steps", type=int, default=0, help="cap on steps per stage (0 = none; for trials)")
    parser.add_argument("--no-dnsmos", action="store_true", help="skip DNSMOS")


def build_config(args: argparse.Namespace):
    """The :class:`EvalCloneConfig` of the command line (reads --texts)."""
    from gpt_sovits.evaluation.clone import EvalCloneConfig, read_texts

    def text(path: Path | None) -> str | None:
        return str(path) if path is not None else None

    return EvalCloneConfig(
        texts=read_texts(args.texts), ref=str(args.ref), lang=args.lang, train=[str(p) for p in args.train],
        ref_text=args.ref_text, base=args.base, zero_shot=args.zero_shot, out=text(args.out),
        corpus=text(args.corpus), pretrained=text(args.pretrained), workspace=text(args.workspace),
        seeds=args.seed, s2_epochs=args.s2_epochs, s1_epochs=args.s1_epochs, max_steps=args.max_steps,
        s2_whisper_weight=args.s2_whisper_weight, s2_prior_weight=args.s2_prior_weight,
        s2_freeze_decoder=args.s2_freeze_decoder, s2_decoder_only=args.s2_decoder_only, s1_lr=args.s1_lr,
        train_seed=args.train_seed, segmentation=args.segmentation, keep_reference_pitch=args.keep_reference_pitch,
        text_melody=args.text_melody, dnsmos=not args.no_dnsmos,
    )


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    print(json.dumps({"ok": False, "error": message}, ensure_ascii=False))
    return code


def run(args: argparse.Namespace) -> int:
    import torch

    from gpt_sovits.errors import StudioError
    from gpt_sovits.evaluation.clone import eval_clone
    from gpt_sovits.evaluation.cloning import EvalInputError

    torch.set_num_threads(1)
    try:
        report = eval_clone(build_config(args), log=lambda line: print(line, file=sys.stderr, flush=True))
    except EvalInputError as exc:
        return _fail(str(exc), 2)
    except StudioError as exc:
        return _fail(str(exc), 1)
    data = report.to_dict()
    aggregate = data["aggregate"]
    print(f"{report.metric}={aggregate[report.metric]} (median per text {aggregate[report.metric + '_median']}) "
          f"similarity_ref_mean={aggregate['similarity_ref_mean']} "
          f"dnsmos_mean={aggregate['dnsmos_mean']} synth_seconds={aggregate['synth_seconds']}", file=sys.stderr)
    if "pinyin_error" in aggregate:
        print(f"pinyin syllables wrong: {aggregate['pinyin_error']} with the tone, "
              f"{aggregate['pinyin_error_toneless']} without", file=sys.stderr)
    if aggregate["pitch_offset_semitones"] is not None:
        print(f"pitch: takes {aggregate['pitch_median_hz']} Hz, speaker {aggregate['speaker_pitch_median_hz']} Hz "
              f"({aggregate['pitch_offset_semitones']:+} semitones), melody spread x{aggregate['pitch_spread_ratio']} "
              "of the speaker's", file=sys.stderr)
    for note in report.notes + ([report.dnsmos_note] if report.dnsmos_note else []):
        print(f"note: {note}", file=sys.stderr)
    print(json.dumps(data, ensure_ascii=False))
    return 0
