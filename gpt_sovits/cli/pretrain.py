"""``python -m gpt_sovits pretrain CORPUS OUT [--hours-budget H] [--resume]``: train the starter base."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("corpus", help="corpus folder from 'python -m gpt_sovits corpus build'")
    parser.add_argument("out", help="run folder (checkpoints, metrics.jsonl, pretrained/starter candidate)")
    parser.add_argument("--hours-budget", type=float, default=0.0,
                        help="wall-clock hours for this invocation; 0 = until both stages finish")
    parser.add_argument("--resume", action="store_true", help="continue the run in OUT from its checkpoints")
    parser.add_argument("--preset", default="starter",
                        help="PretrainConfig preset for a new run: starter, starter-continue (with --init-from "
                             "pretrained/starter: no frozen-decoder phase), tiny")
    parser.add_argument("--s2-steps", type=int, default=None, help="override the S2 step target (new runs)")
    parser.add_argument("--s1-steps", type=int, default=None, help="override the S1 step target (new runs)")
    parser.add_argument("--s2-phone-weight", type=float, default=None, metavar="WEIGHT",
                        help="weight of S2's phone loss (new runs; 0 = mel + KL only)")
    parser.add_argument("--s2-prior-weight", type=float, default=None, metavar="WEIGHT",
                        help="weight of the loss on the slice decoded from S2's prior, as synthesis does (new runs; 0 = off)")
    parser.add_argument("--s2-whisper-weight", type=float, default=None, metavar="WEIGHT",
                        help="weight of the Whisper feature loss on S2's generated slices (new runs; 0 = off; "
                             "see gpt_sovits/pretrain/whisper_loss.py)")
    parser.add_argument("--s2-stft-weight", type=float, default=None, metavar="WEIGHT",
                        help="weight of the multi-resolution STFT loss on S2's generated slices (new runs; 0 = off)")
    parser.add_argument("--s2-buzz-weight", type=float, default=None, metavar="WEIGHT",
                        help="weight of the frame-rate buzz loss on S2's generated slices (new runs; 0 = off)")
    parser.add_argument("--s2-prior-adversarial", type=float, default=None, metavar="WEIGHT",
                        help="with a discriminator: the prior path's slice (as synthesis decodes it) meets it too, "
                             "its adversarial terms at this weight (also with --resume; 0 = off)")
    parser.add_argument("--s2-discriminator", type=int, default=None, metavar="DIVISOR",
                        help="train S2 against a multi-period discriminator with the official channel widths "
                             "divided by DIVISOR (1 = official; new runs; the profile then ships s2d)")
    parser.add_argument("--s2-harmonic-source", action="store_true",
                        help="give S2's decoder a harmonic source and pitch predictor (new runs; with --init-from a "
                             "profile without one, its decoder starts again from Piper joe's)")
    parser.add_argument("--s2-envelope-decoder", action="store_true",
                        help="replace S2's HiFi-GAN decoder by the envelope decoder (a regression rendered by a DSP "
                             "vocoder; new runs; with --init-from it starts at random, the rest of S2 from the profile)")
    parser.add_argument("--s2-decoder-from", default=None, metavar="FILE",
                        help="with --init-from and --s2-envelope-decoder: the new envelope decoder starts from this "
                             "decoder file (a run's pretrained/envelope-decoder.safetensors) instead of at random")
    parser.add_argument("--s2-decoder-only", action="store_true",
                        help="train only S2's decoder; the rest stays as the run started (new runs)")
    parser.add_argument("--s2-freeze-decoder", action="store_true",
                        help="the opposite: S2's decoder (but its timbre input) stays as the run started and the "
                             "rest learns, e.g. with --s2-prior-weight the path synthesis decodes (new runs; at "
                             "--s2-lr, default the preset's s2_lr)")
    parser.add_argument("--s2-lr", type=float, default=None, metavar="LR",
                        help="S2 learning rate whenever the decoder trains (default 1e-4), or of a whole "
                             "--s2-freeze-decoder run; with --resume from the next step on (e.g. lower to anneal; "
                             "saved in the run's config.json)")
    parser.add_argument("--s2-grad-clip", type=float, default=None, metavar="NORM",
                        help="clip S2's gradient norm to NORM before each step (new runs; 0 = never)")
    parser.add_argument("--s2-source-lr-scale", type=float, default=None, metavar="X",
                        help="the harmonic source and pitch predictor learn at X times the S2 rate (new runs)")
    parser.add_argument("--s1-guided", type=float, default=None, metavar="WEIGHT",
                        help="guided attention weight for S1 (new runs; 0 = off; see gpt_sovits/pretrain/guided.py)")
    parser.add_argument("--s1-guided-layers", default=None, metavar="I,J,...",
                        help="S1 layers whose first heads are guided (new runs; default 2,3)")
    parser.add_argument("--s1-from-scratch", action="store_true",
                        help="with --init-from: S1 starts from random weights, only S2 from the profile")
    parser.add_argument("--s1-token-noise", type=float, default=None, metavar="SHARE",
                        help="share of S1's input tokens replaced at random while training (new runs; 0 = off)")
    parser.add_argument("--s1-self-feed", type=float, default=None, metavar="SHARE",
                        help="share of S1's input tokens replaced by its own sampled predictions while training "
                             "(scheduled sampling; new runs; 0 = off)")
    parser.add_argument("--s1-phone-pointer", action="store_true",
                        help="new runs: S1 is told which phone it speaks and moves along the text itself "
                             "(gpt_sovits/models/s1/pointer.py); a plain S1 of --init-from gains the pointer")
    parser.add_argument("--s1-select-by", choices=("reading", "reading-prompted", "ce"), default=None,
                        help="which S1 the run keeps and exports (new runs; default reading: the fewest phone "
                             "errors of its greedy output for the validation texts; reading-prompted: the same "
                             "after a training utterance as prompt, as synthesis reads; ce: the lowest "
                             "validation CE)")
    parser.add_argument("--codebook-space", choices=("standardised", "phone-ctc"), default=None,
                        help="space of the codebook k-means of a new run (default of the starter presets: phone-ctc)")
    parser.add_argument("--rebuild-codebook", action="store_true",
                        help="with --init-from: a new codebook (--codebook-space) instead of the profile's; needs "
                             "--s1-from-scratch")
    parser.add_argument("--stage", choices=("both", "s2", "s1"), default="both",
                        help="train one stage only (run an s2 and an s1 process side by side on 2 cores)")
    parser.add_argument("--init-from", default=None, metavar="PROFILE_DIR",
                        help="new run: start S1 and S2 from an exported profile (e.g. pretrained/starter)")
    parser.add_argument("--s1-lr", type=float, default=None, metavar="LR",
                        help="S1's learning rate; with --resume from the next step on (e.g. lower to anneal "
                             "a long run; saved in the run's config.json)")
    parser.add_argument("--round-minutes", type=float, default=None, metavar="M",
                        help="wall-clock minutes per stage round (each round restarts its stage from the "
                             "newest checkpoint); also with --resume")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads for this invocation (default: the run's num_threads)")
    parser.add_argument("--pretrained", default=None, help="pretrained/ folder holding whisper-base")
    parser.add_argument("--quiet", action="store_true", help="no per-step lines on stderr")


def run(args: argparse.Namespace) -> int:
    from gpt_sovits.config import ConfigError
    from gpt_sovits.pretrain.config import PretrainConfig
    from gpt_sovits.pretrain.driver import pretrain

    config = PretrainConfig.preset(args.preset)
    overrides = (("s2_steps", args.s2_steps), ("s1_steps", args.s1_steps), ("s1_guided_weight", args.s1_guided),
                 ("s1_token_noise", args.s1_token_noise), ("s1_self_feed", args.s1_self_feed),
                 ("s1_select_by", args.s1_select_by), ("s2_phone_weight", args.s2_phone_weight),
                 ("s2_prior_weight", args.s2_prior_weight), ("s2_whisper_weight", args.s2_whisper_weight),
                 ("s2_stft_weight", args.s2_stft_weight), ("s2_buzz_weight", args.s2_buzz_weight),
                 ("s2_source_lr_scale", args.s2_source_lr_scale), ("s2_grad_clip", args.s2_grad_clip))
    changes = {k: v for k, v in overrides if v is not None}
    if args.s1_guided_layers is not None:
        try:
            changes["s1_guided_layers"] = [int(x) for x in args.s1_guided_layers.split(",") if x.strip()]
        except ValueError:
            print(f"error: --s1-guided-layers takes layer numbers like 1,2,3, got {args.s1_guided_layers!r}",
                  file=sys.stderr)
            return 2
    if args.s2_discriminator is not None:
        if args.s2_discriminator < 1:
            print("error: --s2-discriminator takes a channel divisor of 1 or more", file=sys.stderr)
            return 2
        changes["s2_adversarial"] = True
        changes["s2_changes"] = {**config.s2_changes, "discriminator_width_divisor": args.s2_discriminator}
    if args.s2_harmonic_source:
        changes["s2_changes"] = {**changes.get("s2_changes", config.s2_changes), "harmonic_source": True}
    if args.s2_envelope_decoder:
        if args.s2_harmonic_source:
            print("error: --s2-envelope-decoder renders its own harmonics; drop --s2-harmonic-source", file=sys.stderr)
            return 2
        changes["s2_changes"] = {**changes.get("s2_changes", config.s2_changes), "decoder": "envelope"}
    if args.s2_decoder_only:
        changes["s2_decoder_only"] = True
    if args.s2_freeze_decoder:
        if args.s2_decoder_only:
            print("error: --s2-decoder-only and --s2-freeze-decoder together would train nothing of S2", file=sys.stderr)
            return 2
        changes["s2_decoder_frozen_steps"] = changes.get("s2_steps", config.s2_steps)
    if args.s1_from_scratch:
        changes["s1_from_scratch"] = True
    if args.s1_phone_pointer:
        changes["s1_changes"] = {**config.s1_changes, "phone_pointer": True}
    if args.codebook_space is not None:
        changes["codebook_space"] = args.codebook_space
    if args.rebuild_codebook:
        if args.init_from is None:
            print("error: --rebuild-codebook replaces the codebook of the --init-from profile; a new run without "
                  "--init-from builds its own codebook anyway", file=sys.stderr)
            return 2
        changes["rebuild_codebook"] = True
    resumable = {k: v for k, v in (("s1_lr", args.s1_lr), ("round_minutes", args.round_minutes),
                                   ("s2_prior_adversarial", args.s2_prior_adversarial)) if v is not None}
    try:
        config = config.replace(**changes)
        saved = Path(args.out) / "run" / "config.json"  # checked here against the run's settings, applied by pretrain()
        run_config = (PretrainConfig.from_dict(json.loads(saved.read_text(encoding="utf-8")))
                      if args.resume and saved.is_file() else config)
        if args.s2_lr is not None:  # the rate of the phase the run trains in (a frozen-decoder run: s2_lr)
            resumable[run_config.s2_rate_field()] = args.s2_lr
        run_config.replace(**resumable)
    except ConfigError as exc:  # e.g. a guided layer the network does not have, a share >= 1
        print(f"error: {exc}; see python -m gpt_sovits pretrain --help", file=sys.stderr)
        return 2

    def show(event) -> None:
        if not args.quiet:
            print(json.dumps(event.to_dict() if hasattr(event, "to_dict") else str(event), default=str),
                  file=sys.stderr, flush=True)

    stages = ("s2", "s1") if args.stage == "both" else (args.stage,)
    stop = threading.Event()
    try:
        with _stop_on_signals(stop):
            result = pretrain(args.corpus, args.out, config, args.hours_budget, args.resume, stages=stages,
                              pretrained_root=args.pretrained, on_event=show, stop=stop, num_threads=args.threads,
                              init_from=args.init_from, changes=resumable, decoder_from=args.s2_decoder_from)
    except ConfigError as exc:  # a resumed run asked to change a setting that must stay
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result.to_dict()))
    return 0


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C / SIGTERM finish the current step, save a checkpoint and export, then exit (a second
    signal kills at once)."""
    previous = {}

    def handler(signum, _frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        print(f"signal {signum}: stopping after this step (checkpoint + export); again to abort",
              file=sys.stderr, flush=True)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
