"""``python -m gpt_sovits prepare PROJECT FILE...``: import, clean, slice and label recordings.

The project is created if it does not exist. Progress goes to stderr; the last stdout line is one
JSON object with the outcome (slices, seconds of speech, labelled, flagged, warnings). The exit
code is non-zero when nothing usable came out or there is too little speech to train on.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", help="project name (created if missing) or folder name")
    parser.add_argument("files", nargs="*", type=Path, help="recordings to add (any audio/video format)")
    parser.add_argument("--lang", choices=("zh", "en", "auto"), default="auto", help="spoken language")
    parser.add_argument("--denoise", type=float, default=0.0, metavar="0..1",
                        help="noise reduction strength (0 = off)")
    parser.add_argument("--no-asr", action="store_true", help="skip transcription (type labels later)")
    parser.add_argument("--workspace", type=Path, default=Path("workspace"), help="workspace folder")
    parser.add_argument("--pretrained", type=Path, default=None,
                        help="pretrained/ folder holding (or receiving) Whisper-base; default: the checkout's")


def _progress(stage: str):
    def report(fraction: float, message: str) -> None:
        print(f"[{stage} {fraction:4.0%}] {message}", file=sys.stderr, flush=True)

    return report


def _open_or_create(workspace_root: Path, name: str, lang: str):
    from gpt_sovits.data.project import Workspace
    from gpt_sovits.errors import ProjectError

    workspace = Workspace(workspace_root)
    try:
        return workspace.open_project(name)
    except ProjectError:
        languages = {"zh": ["zh"], "en": ["en"], "auto": ["zh", "en"]}[lang]
        return workspace.create_project(name, languages=languages)


def _pipeline(args: argparse.Namespace) -> tuple[dict[str, Any], str | None]:
    """Run all stages; returns (summary, fatal message or None)."""
    from gpt_sovits.audio.slicer import SlicerConfig
    from gpt_sovits.data import stages

    if not 0.0 <= args.denoise <= 1.0:
        return {}, f"--denoise must be within 0..1, got {args.denoise}"
    project = _open_or_create(args.workspace, args.project, args.lang)
    summary: dict[str, Any] = {"project": project.root.name, "warnings": [], "rejected": {}}
    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        return summary, f"file(s) not found: {', '.join(missing)}"
    if args.files:
        imported = stages.import_stage(project, stages.ImportOptions(paths=[str(f) for f in args.files]),
                                       _progress("import"))
        summary["rejected"].update(imported.rejected)
        summary["warnings"] += imported.warnings
    cleaned = stages.clean_stage(project, stages.CleanOptions(denoise=args.denoise), _progress("clean"))
    summary["rejected"].update(cleaned.rejected)
    summary["warnings"] += cleaned.warnings
    sliced = stages.slice_stage(project, SlicerConfig(), _progress("slice"))
    summary["warnings"] += sliced.warnings
    from gpt_sovits.asr import ASRConfig, WhisperASR

    asr = None if args.no_asr else WhisperASR(pretrained_root=args.pretrained, config=ASRConfig.for_labels())
    labels = stages.label_stage(project, stages.LabelOptions(language=args.lang, asr=not args.no_asr),
                                _progress("label"), asr=asr)
    summary.update(slices=sliced.slices, speech_seconds=round(sliced.seconds, 2), labelled=labels.labelled,
                   flagged=len(labels.flagged), flagged_slices=labels.flagged)
    return summary, sliced.warnings[0] if sliced.too_short else None


def run(args: argparse.Namespace) -> int:
    from gpt_sovits.errors import StudioError

    try:
        summary, fatal = _pipeline(args)
    except StudioError as exc:
        summary, fatal = {}, str(exc)
    for message in summary.get("warnings", []):
        if message != fatal:
            print(f"warning: {message}", file=sys.stderr)
    for message in summary.get("rejected", {}).values():
        print(f"rejected: {message}", file=sys.stderr)
    if fatal:
        print(f"error: {fatal}", file=sys.stderr)
    summary["ok"] = fatal is None
    if fatal:
        summary["error"] = fatal
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if fatal is None else 1
