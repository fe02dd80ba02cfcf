"""Package hygiene: imports have no side effects, house rules hold, CLI basics."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "gpt_sovits"


def python_files(*folders: str) -> list[Path]:
    return [p for f in folders for p in (ROOT / f).rglob("*.py")]


def test_importing_every_module_creates_no_files(tmp_path: Path) -> None:
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in python_files("gpt_sovits") if p.name != "__main__.py"
    )
    code = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\n"
    env = {k: v for k, v in os.environ.items()} | {"PYTHONDONTWRITEBYTECODE": "1", "HOME": str(tmp_path)}
    before = set(tmp_path.rglob("*"))
    result = subprocess.run([sys.executable, "-c", code, *modules], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert set(tmp_path.rglob("*")) == before
    assert "gradio" not in result.stdout


def test_house_rules() -> None:
    bad = re.compile(r"sys\.path\.(append|insert)|os\.chdir\(|shell=True|os\.environ\[[^\]]+\]\s*=")
    offenders = [str(p) for p in python_files("gpt_sovits", "ui") + [ROOT / "app.py"]
                 if bad.search(p.read_text(encoding="utf-8"))]
    assert not offenders
    gradio_users = [str(p) for p in python_files("gpt_sovits")
                    if re.search(r"^\s*(import gradio|from gradio)", p.read_text(encoding="utf-8"), re.M)]
    assert not gradio_users
    torch_in_ui = [str(p) for p in python_files("ui")
                   if re.search(r"^\s*(import torch|from torch)", p.read_text(encoding="utf-8"), re.M)]
    assert not torch_in_ui
    unsafe_loads = [f"{p}: {line}" for p in python_files("gpt_sovits")
                    for line in p.read_text(encoding="utf-8").splitlines()
                    if "torch.load(" in line and "weights_only=True" not in line]
    assert not unsafe_loads


def test_cli_help_and_models_json(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "gpt_sovits", "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "models" in out.stdout and "download" in out.stdout
    out = subprocess.run([sys.executable, "-m", "gpt_sovits", "models", "--pretrained", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    status = json.loads(out.stdout.strip().splitlines()[-1])
    whisper = next(c for c in status["components"] if c["name"] == "whisper-base")
    assert whisper["available"], "Whisper-base must be available offline from the PyPI packages"
    assert {p["name"] for p in status["profiles"]} >= {"starter", "gsv-v2"}


def test_every_cli_command_has_help() -> None:
    from gpt_sovits.cli import COMMANDS

    for name in COMMANDS:
        out = subprocess.run([sys.executable, "-m", "gpt_sovits", name, "--help"], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, f"{name}: {out.stderr[-500:]}"
        assert "usage:" in out.stdout


def test_public_api_names_resolve() -> None:
    import gpt_sovits

    for name in gpt_sovits.__all__:
        assert getattr(gpt_sovits, name) is not None, name
    assert callable(gpt_sovits.finetune) and callable(gpt_sovits.synthesize)
