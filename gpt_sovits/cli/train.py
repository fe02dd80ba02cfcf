"""``python -m gpt_sovits train PROJECT``: fine-tune S2 then S1 on a project and export a voice.

Progress goes to stderr (one line per step, validation, preview and checkpoint); Ctrl-C or
SIGTERM cancels cleanly at the next step with a checkpoint (continue with ``--resume``). The last
stdout line is one JSON object: voice path, run id, steps, seconds, final train/validation losses.
With ``--base tiny`` the built-in random tiny profile is created on demand (tests only).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", help="project name or folder name inside the workspace")
    parser.add_argument("--base", default=None,
                        help="base profile: starter, gsv-v2, tiny or a custom one (default: the project's)")
    parser.add_argument("--s2-epochs", type=int, default=None, metavar="N", help="S2 epochs (default: preset)")
    parser.add_argument("--s1-epochs", type=int, default=None, metavar="M", help="S1 epochs (default: preset)")
    parser.add_argument("--resume", action="store_true", help="continue the project's last unfinished training")
    parser.add_argument("--workspace", type=Path, default=Path("workspace"), help="workspace folder")
    parser.add_argument("--pretrained", type=Path, default=None, help="pretrained/ folder (default: the checkout's)")
    parser.add_argument("--voice-name", default=None, help="name of the exported voice folder")
    parser.add_argument("--save-every", type=int, default=None, metavar="STEPS", help="checkpoint period in steps")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default=None, help="training device")


def build_config(args: argparse.Namespace, project_base: str):
    """TrainConfig for the base profile (CPU-aware epochs and the base's own recipe, see
    ``TrainConfig.for_base``) plus the command-line overrides."""
    import torch

    from gpt_sovits.registry import Registry, default_pretrained_root
    from gpt_sovits.train.config import TrainConfig

    base = args.base or project_base
    cuda = args.device != "cpu" and torch.cuda.is_available()
    recipe = Registry(args.pretrained or default_pretrained_root()).fine_tune(base)
    config = TrainConfig.for_base(base, cuda, recipe)
    changes = {"s2_epochs": args.s2_epochs, "s1_epochs": args.s1_epochs, "voice_name": args.voice_name,
               "save_every_steps": args.save_every, "device": args.device}
    return config.replace(**{k: v for k, v in changes.items() if v is not None})


def _print_event(event) -> None:
    data = event.to_dict()
    kind = data["kind"]
    if kind == "step":
        losses = " ".join(f"{k}={v:.4g}" for k, v in data["losses"].items())
        line = (f"[{data['stage']} epoch {data['epoch'] + 1} step {data['step']}] {losses} lr={data['lr']:.3g} "
                f"elapsed={data['elapsed']:.0f}s eta={data['eta']:.0f}s")
    elif kind == "val":
        line = f"[{data['stage']} validation] " + " ".join(f"{k}={v:.4g}" for k, v in data["losses"].items())
    elif kind in ("sample", "checkpoint"):
        line = f"[{data['stage']} {kind}] {data['path']}"
    elif kind == "info":
        line = f"[{data['stage']}] {data['message']}"
    else:
        return
    print(line, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    import signal
    import threading

    from gpt_sovits.data.project import Workspace
    from gpt_sovits.train.run import finetune

    project = Workspace(args.workspace).open_project(args.project)
    config = build_config(args, project.meta.base_profile)
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        print("stopping at the next step (a checkpoint will be written)...", file=sys.stderr, flush=True)
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        result = finetune(project, config, on_event=_print_event, stop=stop, resume=args.resume,
                          pretrained_root=args.pretrained)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print(json.dumps(result.to_dict(), ensure_ascii=False))
    return 3 if result.cancelled else 0
