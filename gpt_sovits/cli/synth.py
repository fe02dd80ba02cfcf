"""``python -m gpt_sovits synth``: read a text aloud with a voice and write an audio file.

Examples::

    python -m gpt_sovits synth --voice workspace/alice/voices/v1 --text "你好。Hello!" --out hi.wav
    python -m gpt_sovits synth --base gsv-v2 --ref clip.wav --ref-text "参考文本" --text-file story.txt \\
        --out story.mp3 --seed 7 --noise-scale 0.4

The last stdout line is one JSON object: audio_seconds, wall_seconds, rtf, first_audio_latency,
segments, retries (plus the output path and any guard messages).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

FORMATS = ("wav", "mp3", "ogg", "aac", "raw")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--voice", type=Path, help="an exported voice folder (voices/<name>)")
    who.add_argument("--base", help="a base profile (gsv-v2, starter, ...) for zero-shot cloning with --ref")
    parser.add_argument("--ref", type=Path, help="reference clip for --base (3-10 s)")
    parser.add_argument("--ref-text", default=None, help="exact transcript of --ref (omit: reference-free mode)")
    parser.add_argument("--ref-lang", default="auto", choices=("auto", "zh", "en"))
    parser.add_argument("--extra-ref", type=Path, action="append", default=[],
                        help="more clips of the same speaker; their timbre is averaged (repeatable)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--text", help="text to read")
    what.add_argument("--text-file", type=Path, help="UTF-8 text file to read")
    parser.add_argument("--out", type=Path, required=True, help="output audio file")
    parser.add_argument("--format", choices=FORMATS, default=None, help="default: from --out's extension")
    parser.add_argument("--lang", default="auto", choices=("auto", "zh", "en"), help="language of the text")
    parser.add_argument("--noise-scale", type=float, default=None,
                        help="default 0.5, or what the voice's base recommends (as for the four below)")
    parser.add_argument("--length-scale", type=float, default=None, help="1/speed (default 1.0)")
    parser.add_argument("--speed", type=float, default=None, help="speaking speed (alternative to --length-scale)")
    parser.add_argument("--pitch", type=float, default=None,
                        help="semitones up (+) or down (-), -12..12 (default 0; starter-based voices only)")
    parser.add_argument("--intonation", type=float, default=None,
                        help="melody range: 0 monotone, 1 as predicted (default), 2 doubled (starter-based voices only)")
    parser.add_argument("--keep-reference-pitch", action=argparse.BooleanOptionalAction, default=None,
                        help="each segment at the reference clip's median pitch (default on; --no-keep-reference-pitch "
                             "keeps the decoder's own level; starter-based voices only)")
    parser.add_argument("--text-melody", action=argparse.BooleanOptionalAction, default=None,
                        help="the melody's shape from the text's tones (default on when the base ships a melody "
                             "model, the starter's for Mandarin; --no-text-melody keeps the decoder's own)")
    parser.add_argument("--top-k", type=int, default=None, help="default 15")
    parser.add_argument("--top-p", type=float, default=None, help="default 1.0")
    parser.add_argument("--temperature", type=float, default=None, help="default 1.0")
    parser.add_argument("--repetition-penalty", type=float, default=None, help="default 1.35")
    parser.add_argument("--seed", type=int, default=None, help="same seed = same audio (default: random)")
    parser.add_argument("--segmentation", default="punctuation", help="split method name or cut0..cut5")
    parser.add_argument("--pause", type=float, default=0.3, help="seconds of silence between segments")
    parser.add_argument("--max-retries", type=int, default=2)
    parser.add_argument("--asr-check", action="store_true", help="verify each segment with Whisper-base")
    parser.add_argument("--pretrained", type=Path, default=None, help="pretrained/ folder (default: the checkout's)")


def _options(args: argparse.Namespace, recommended: dict):
    """The options given on the command line over the voice's recommended ones over the defaults."""
    from gpt_sovits.infer.options import options_for

    length_scale = args.length_scale
    if args.speed is not None:
        if args.speed <= 0:
            raise ValueError(f"speed: must be above 0, got {args.speed}")
        length_scale = 1.0 / args.speed
    return options_for(
        recommended, noise_scale=args.noise_scale, length_scale=length_scale,
        pitch=args.pitch, intonation=args.intonation, keep_reference_pitch=args.keep_reference_pitch,
        text_melody=args.text_melody, top_k=args.top_k, top_p=args.top_p, temperature=args.temperature,
        repetition_penalty=args.repetition_penalty, seed=args.seed, segmentation=args.segmentation,
        pause=args.pause, language=args.lang, max_retries=args.max_retries, asr_check=args.asr_check,
    )


def _voice(args: argparse.Namespace):
    from gpt_sovits.infer.voice import load_voice, zero_shot_voice
    from gpt_sovits.registry import Registry

    registry = Registry(args.pretrained)
    if args.voice is not None:
        return load_voice(args.voice, registry, extra_refs=args.extra_ref)
    if args.ref is None:
        raise ValueError("--base needs --ref (a 3-10 s clip of the voice to clone)")
    return zero_shot_voice(args.base, args.ref, args.ref_text, args.extra_ref, registry, ref_language=args.ref_lang)


def run(args: argparse.Namespace) -> int:
    import sys
    import time

    from gpt_sovits.audio.export import encode_audio
    from gpt_sovits.fileio import atomic_write_bytes
    from gpt_sovits.infer.pipeline import synthesize
    from gpt_sovits.infer.results import collect

    fmt = args.format or (args.out.suffix.lstrip(".").lower() or "wav")
    if fmt not in FORMATS:
        print(f"error: unknown output format {fmt!r}; use --format with one of {', '.join(FORMATS)}", file=sys.stderr)
        return 2
    try:
        _options(args, {})  # bad values fail before the voice loads
        text = args.text if args.text is not None else args.text_file.read_text(encoding="utf-8")
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        voice = _voice(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for note in voice.notes:
        print(note, file=sys.stderr)
    options = _options(args, voice.recommended)
    started = time.perf_counter()
    result = collect(synthesize(voice, text, options), started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(args.out, encode_audio(result.audio, result.sample_rate, fmt))
    for issue in result.issues:
        print(f"guard: {issue}", file=sys.stderr)
    print(json.dumps({**result.summary(), "out": str(args.out), "format": fmt, "issues": result.issues},
                     ensure_ascii=False))
    return 0
