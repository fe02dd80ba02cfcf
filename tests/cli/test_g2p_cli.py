"""``python -m gpt_sovits g2p``: phonemize a text, check a fixture file; last stdout line is JSON."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    not all(importlib.util.find_spec(m) for m in ("gpt_sovits.text.zh.g2p", "gpt_sovits.text.en.g2p")),
    reason="zh/en front-ends not present yet",
)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gpt_sovits", "g2p", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_phonemize_prints_phones_norm_text_and_json():
    proc = run_cli("--lang", "zh", "{重|chong2}新开始。")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == "ch ong2 x in1 k ai1 sh ir3 ."
    assert lines[1] == "重新开始."
    summary = json.loads(lines[-1])
    assert summary["phones"] == lines[0].split()
    assert sum(summary["word2ph"]) == len(summary["ids"]) == len(summary["phones"])


def test_unpronounceable_text_is_a_clean_error():
    proc = run_cli("😀😀")
    assert proc.returncode == 1
    assert "nothing to pronounce" in proc.stderr and "Traceback" not in proc.stderr


def test_check_reports_mismatches_and_summary(tmp_path):
    fixture = REPO / "tests" / "fixtures" / "frontend_zh.jsonl"
    records = [json.loads(line) for line in fixture.read_text("utf-8").splitlines()[:4]]
    records[1]["phones"] = ["x", "y"]  # a deliberate mismatch
    path = tmp_path / "mini.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", "utf-8")
    proc = run_cli("--check", str(path))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["total"] == 4 and summary["exact"] == 3 and summary["rate"] == 0.75
    assert summary["mismatches"] == [records[1]["id"]]
    assert lines[0].startswith(records[1]["id"]) and "expected" in lines[1] and "got" in lines[2]
