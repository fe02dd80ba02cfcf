"""Command-line interface: ``python -m gpt_sovits <command>``.

Each subcommand lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int``. Modules are imported only when their command runs, so ``--help`` is fast.
Commands that report results print one JSON object as the last line of stdout.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence

# name -> (module, one-line help). Add a line here when a subcommand arrives. Command
# modules keep heavy imports (torch, ...) inside run() so that --help stays fast.
COMMANDS: dict[str, tuple[str, str]] = {
    "models": ("gpt_sovits.cli.models", "show which base models and encoders are installed"),
    "download": ("gpt_sovits.cli.download", "download official weights (e.g. gsv-v2)"),
    "parity": ("gpt_sovits.cli.parity", "check our networks against the parity fixtures"),
    "g2p": ("gpt_sovits.cli.g2p", "show the phones of a text, or check the text front-end against a file"),
    "prepare": ("gpt_sovits.cli.prepare", "import, clean, slice and auto-label recordings into a project"),
    "synth": ("gpt_sovits.cli.synth", "read a text aloud with a voice (or a base model + reference clip)"),
    "serve": ("gpt_sovits.cli.serve", "serve the api_v2-compatible REST API (default port 9880)"),
    "train": ("gpt_sovits.cli.train", "fine-tune S2 then S1 on a project and export a voice"),
    "corpus": ("gpt_sovits.cli.corpus", "build the offline multi-speaker corpus for the starter base (corpus build OUT)"),
    "pretrain": ("gpt_sovits.cli.pretrain", "pretrain the offline starter base from scratch on a corpus (resumable)"),
    "pretrain-melody": ("gpt_sovits.cli.pretrain_melody",
                        "train a base's text melody model (tones from the phones) on a corpus"),
    "pretrain-probe": ("gpt_sovits.cli.pretrain_probe", "does a pretraining run speak yet? ASR error rates of its S2"),
    "synthesis-probe": ("gpt_sovits.cli.synthesis_probe",
                        "does a base read? the whole synthesis path on corpus voices, scored by Whisper"),
    "bench": ("gpt_sovits.cli.bench", "speed benchmarks: engine, features, frontend, synth, train"),
    "eval-clone": ("gpt_sovits.cli.eval_clone", "measure cloning quality: WER/CER, speaker similarity, DNSMOS, timings"),
    "eval-paths": ("gpt_sovits.cli.eval_paths",
                   "where a base loses the words: recordings heard through S2's decoder and its prior path"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The CLI parser. Only the module of ``command`` (the one being run) is imported."""
    parser = argparse.ArgumentParser(
        prog="python -m gpt_sovits",
        description="GPT-SoVITS Studio command line: few-shot voice cloning on your own machine.",
    )
    subs = parser.add_subparsers(dest="command", metavar="<command>")
    for name, (module, help_text) in COMMANDS.items():
        sub = subs.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(_module=module)
        if name == command:
            importlib.import_module(module).add_arguments(sub)
    return parser


def quiet_third_party_warnings() -> None:
    """Hide deprecation chatter of dependencies (e.g. jieba importing pkg_resources) from users."""
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)


def main(argv: Sequence[str] | None = None) -> int:
    quiet_third_party_warnings()
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    if not getattr(args, "_module", None):
        parser.print_help()
        return 2
    from gpt_sovits.errors import StudioError

    module = importlib.import_module(args._module)
    try:
        return int(module.run(args) or 0)
    except StudioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
