"""S1 parity against the original implementation's outputs, and the parity CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from gpt_sovits.checkpoint.s1_official import export_official_s1, load_official_s1
from gpt_sovits.cli import main
from gpt_sovits.errors import CheckpointError
from gpt_sovits.parity.s1 import check_s1

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _s1_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "fixtures"
    folder.mkdir()
    for name in ("s1.ckpt", "s1_io.pt"):
        shutil.copy(FIXTURES / name, folder / name)
    return folder


def test_every_s1_check_passes_on_the_fixtures():
    checks = check_s1(FIXTURES)
    failed = [(c.name, c.max_error, c.note) for c in checks if not c.passed]
    assert not failed
    names = {c.name for c in checks}
    for case in ("naive_greedy_rp1.35", "naive_greedy_rp1.0", "naive_greedy_eos"):
        assert {f"s1.infer.{case}.generated", f"s1.infer.{case}.idx", f"s1.infer.{case}.step_logits_raw"} <= names
    assert "s1.infer.batch_infer_b2[1].idx" in names and "s1.first_step_logits" in names
    assert "s1.teacher_forced.b1_on_generated.loss_sum" in names
    padded = next(c for c in checks if c.name.startswith("s1.teacher_forced.b2_collate_padded"))
    assert "only item(s) [0]" in padded.note


def test_checks_detect_a_slightly_wrong_weight(tmp_path):
    folder = _s1_folder(tmp_path)
    config, state = load_official_s1(folder / "s1.ckpt")
    state["ar_audio_position.alpha"] = state["ar_audio_position.alpha"] + 1 / 64  # fp16-exact change
    export_official_s1(folder / "s1.ckpt", config, state)
    failed = [c.name for c in check_s1(folder) if not c.passed]
    assert any(name.endswith("step_logits_raw") for name in failed)
    assert "s1.teacher_forced.b1.logits" in failed


def test_parity_cli_prints_json_and_exit_code(tmp_path, capsys):
    assert main(["parity", str(FIXTURES), "--only", "s1"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["ok"] is True and summary["failed"] == 0
    assert summary["passed"] == len(summary["checks"]) >= 30

    folder = _s1_folder(tmp_path)
    io = torch.load(folder / "s1_io.pt", weights_only=True)
    io["infer"]["naive_greedy_eos"]["idx"] = 33
    torch.save(io, folder / "s1_io.pt")
    assert main(["parity", str(folder), "--only", "s1"]) == 1
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["ok"] is False
    assert [c["name"] for c in summary["checks"] if not c["passed"]] == ["s1.infer.naive_greedy_eos.idx"]


def test_parity_cli_rejects_a_missing_folder(tmp_path, capsys):
    assert main(["parity", str(tmp_path / "nope")]) == 1
    assert "not a folder" in capsys.readouterr().err


@pytest.mark.parametrize("missing", ["s1.ckpt", "s1_io.pt"])
def test_missing_fixture_file_is_reported(tmp_path, missing):
    folder = _s1_folder(tmp_path)
    (folder / missing).unlink()
    with pytest.raises(CheckpointError, match="not found"):
        check_s1(folder)
