"""``python -m gpt_sovits parity DIR [--only s1|s2]``: compare our networks with the fixtures.

Runs ``check_s1`` and, when the module ``gpt_sovits.parity.s2`` exists, ``check_s2``. Prints a
table to stderr; the last stdout line is one JSON object with every check. Exit code 0 only if
every check passed.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
from pathlib import Path

SUITES = {"s1": ("gpt_sovits.parity.s1", "check_s1"), "s2": ("gpt_sovits.parity.s2", "check_s2")}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, help="fixture folder (e.g. tests/fixtures)")
    parser.add_argument("--only", choices=sorted(SUITES), help="run only this network's checks")


def _format_row(check) -> str:
    mark = "PASS" if check.passed else "FAIL"
    error = f"{check.max_error:.3g}"
    return f"{mark}  {check.name:<58} {error:>10} <= {check.tolerance:<7g} {check.kind:<5} {check.note}".rstrip()


def run(args: argparse.Namespace) -> int:
    from gpt_sovits.errors import StudioError

    folder: Path = args.folder
    if not folder.is_dir():
        raise StudioError(f"{folder}: not a folder; pass the folder holding s1.ckpt / s1_io.pt")
    checks = []
    names = [args.only] if args.only else list(SUITES)
    for name in names:
        module_name, function = SUITES[name]
        if importlib.util.find_spec(module_name) is None:
            if args.only:
                raise StudioError(f"no {name} parity checks are installed ({module_name} is missing)")
            print(f"skipping {name}: {module_name} is not available", file=sys.stderr)
            continue
        checks += getattr(importlib.import_module(module_name), function)(folder)
    for check in checks:
        print(_format_row(check), file=sys.stderr)
    passed = sum(1 for c in checks if c.passed)
    failed = len(checks) - passed
    ok = failed == 0 and passed > 0
    print(f"{passed} passed, {failed} failed", file=sys.stderr)
    summary = {"checks": [c.to_dict() for c in checks], "passed": passed, "failed": failed, "ok": ok}
    print(json.dumps(summary))
    return 0 if ok else 1
