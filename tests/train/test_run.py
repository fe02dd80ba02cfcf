"""Fine-tuning runs: resume == uninterrupted, cancel, metrics.jsonl, the training lock, kill -9."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gpt_sovits.data.project import Project
from gpt_sovits.errors import ModelMissingError, ProjectError
from gpt_sovits.train.config import TrainConfig
from gpt_sovits.train.events import StepEvent, read_metrics
from gpt_sovits.train.run import finetune, finetune_s1, finetune_s2, training_lock
from tests.train.conftest import PROJECT, REPO
from ui.strings_en import EN
from ui.strings_zh import ZH

STEP_KEYS = {"kind", "stage", "step", "epoch", "losses", "lr", "grad_norm", "elapsed", "eta", "time"}


def _config(**changes) -> TrainConfig:
    return TrainConfig.preset("tiny").replace(samples=False, save_every_steps=1, keep_checkpoints=5, **changes)


def _recorder(stop_at: int | None = None):
    losses: dict[int, dict[str, float]] = {}
    stop = threading.Event()

    def on_event(event) -> None:
        if isinstance(event, StepEvent):
            losses[event.step] = event.losses
            if stop_at is not None and event.step >= stop_at:
                stop.set()

    return losses, stop, on_event


# S2: single-item steps (cheap); S1: 2 steps per epoch, so step 3 comes after an epoch end
# (validation must not disturb the random stream).
@pytest.mark.parametrize(("stage_fn", "steps", "changes"), [
    (finetune_s2, 2, {"s2_batch_size": 1}),
    (finetune_s1, 3, {}),
], ids=["s2", "s1"])
def test_resume_reproduces_uninterrupted_steps(workspace: Path, pretrained: Path, tmp_path: Path, stage_fn,
                                               steps: int, changes: dict) -> None:
    import shutil

    config = _config(s2_epochs=2, s1_epochs=2, max_steps=steps, **changes)
    other = tmp_path / "other"
    shutil.copytree(workspace, other)

    full, _, on_event = _recorder()
    result = stage_fn(workspace / PROJECT, config, on_event, pretrained_root=pretrained)
    assert not result.cancelled and sorted(full) == list(range(1, steps + 1))

    first, stop, on_event = _recorder(stop_at=1)
    cancelled = stage_fn(other / PROJECT, config, on_event, stop, pretrained_root=pretrained)
    assert cancelled.cancelled and sorted(first) == [1]
    stage = "s2" if stage_fn is finetune_s2 else "s1"
    ckpt = Path(cancelled.run_dir) / "checkpoints" / f"{stage}-00000001.pt"
    _assert_loadable_checkpoint(ckpt, stage)

    resumed, _, on_event = _recorder()
    result = stage_fn(other / PROJECT, TrainConfig.preset("starter"), on_event, resume=True,
                      pretrained_root=pretrained)  # the run's saved config wins
    assert sorted(resumed) == list(range(2, steps + 1)) and result.run_id == cancelled.run_id
    assert first[1] == pytest.approx(full[1], rel=1e-6, abs=1e-6)
    for step in range(2, steps + 1):
        for name, value in full[step].items():
            assert resumed[step][name] == pytest.approx(value, rel=1e-5, abs=1e-5), (step, name)


def _assert_loadable_checkpoint(path: Path, stage: str) -> None:
    from gpt_sovits.models.s1.config import S1_PRESETS
    from gpt_sovits.models.s1.model import Text2Semantic
    from gpt_sovits.models.s2.config import S2_PRESETS
    from gpt_sovits.models.s2.model import SynthesizerTrn
    from gpt_sovits.tiny_base import TINY_S2_CHANGES
    from gpt_sovits.train.checkpoints import load_training_checkpoint

    state = load_training_checkpoint(path)
    assert state["stage"] == stage and state["step"] == 1 and not state["done"]
    if stage == "s2":
        gen = SynthesizerTrn(S2_PRESETS["tiny"].replace(ssl_dim=512, **TINY_S2_CHANGES))
        gen.load_state_dict(state["trainer"]["gen"], strict=True)
    else:
        Text2Semantic(S1_PRESETS["tiny"]).load_state_dict(state["trainer"]["model"], strict=True)


def test_metrics_jsonl_and_previews(workspace: Path, pretrained: Path) -> None:
    seen = []
    config = TrainConfig.preset("tiny").replace(max_steps=1, voice_name="my voice")
    # the stages one by one, then the whole pipeline, all in one run
    first = finetune_s2(workspace / PROJECT, config, seen.append, pretrained_root=pretrained)
    second = finetune_s1(workspace / PROJECT, config, seen.append, resume=True, pretrained_root=pretrained)
    assert first.voice_path == second.voice_path == "" and first.run_id == second.run_id
    assert second.steps == {"s1": 1}
    result = finetune(workspace / PROJECT, config, seen.append, resume=True, pretrained_root=pretrained)
    assert result.run_id == first.run_id and result.steps == {"s2": 1, "s1": 1}
    run_dir = Path(result.run_dir)
    lines = (run_dir / "metrics.jsonl").read_text("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == len(seen) and records == read_metrics(run_dir / "metrics.jsonl")
    steps = [r for r in records if r["kind"] == "step"]
    assert {r["stage"] for r in steps} == {"s2", "s1"}
    for record in steps:
        assert set(record) == STEP_KEYS
        assert all(math.isfinite(v) for v in record["losses"].values())
    assert {"mel", "kl", "d", "g_adv", "fm"} <= set(steps[0]["losses"])
    assert {r["stage"] for r in records if r["kind"] == "val"} == {"s2", "s1"}
    samples = [r for r in records if r["kind"] == "sample"]
    assert {r["stage"] for r in samples} == {"s2", "s1"} and all(Path(r["path"]).is_file() for r in samples)
    assert records[-1]["kind"] == "done" and records[-1]["result"]["voice_path"] == result.voice_path
    assert Path(result.voice_path).name == "my-voice"
    assert json.loads((run_dir / "config.json").read_text())["max_steps"] == 1
    assert (run_dir / "result.json").is_file()
    notes = [r for r in records if r["kind"] == "info"]  # each one the studio can say in both languages
    assert notes and all(r["code"] for r in notes)
    for table in (EN, ZH):
        assert all(table[f"train.note.{r['code']}"].format(**r["values"]) for r in notes)


def test_one_training_at_a_time(workspace: Path, pretrained: Path) -> None:
    with training_lock(workspace, "training 'other'"):
        with pytest.raises(ProjectError, match="already running.*other"):
            finetune(workspace / PROJECT, _config(), pretrained_root=pretrained)
    with pytest.raises(ProjectError, match="no unfinished training"):
        finetune(workspace / PROJECT, _config(), resume=True, pretrained_root=pretrained)
    with pytest.raises(ModelMissingError, match="unknown base model 'nope'"):
        finetune(workspace / PROJECT, _config(base="nope"), pretrained_root=pretrained)
    assert not list((workspace / PROJECT / "runs").iterdir())  # no empty run left to "resume"


def _cli(workspace: Path, pretrained: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "gpt_sovits", "train", PROJECT, "--workspace", str(workspace),
            "--pretrained", str(pretrained), "--base", "tiny", *extra]


def test_kill_during_training_then_resume_exports_a_voice(workspace: Path, pretrained: Path) -> None:
    from gpt_sovits.checkpoint.s1 import load_s1_model
    from gpt_sovits.checkpoint.s1_official import load_official_s1
    from gpt_sovits.checkpoint.s2_official import load_any_s2, load_official_s2
    from gpt_sovits.voice_format import read_voice_dir

    project = Project(workspace / PROJECT)  # a Chinese project name: the voice is named after it, not its folder
    meta = project.meta
    meta.name = "我的声音"
    project.save_meta(meta)
    proc = subprocess.Popen(_cli(workspace, pretrained, "--s2-epochs", "1", "--save-every", "1"), cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    try:
        for line in proc.stderr:
            if "[s2 checkpoint]" in line or time.monotonic() > deadline:
                break
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    runs = list((workspace / PROJECT / "runs").iterdir())
    assert len(runs) == 1 and list((runs[0] / "checkpoints").glob("s2-*.pt"))

    done = subprocess.run(_cli(workspace, pretrained, "--resume"), cwd=REPO, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["run_id"] == runs[0].name and summary["steps"] == {"s2": 2, "s1": 2}
    assert math.isfinite(summary["val_losses"]["s2_mel"]) and math.isfinite(summary["train_losses"]["s1_ce"])
    voice = Path(summary["voice_path"])
    manifest = read_voice_dir(voice)
    assert manifest.name == f"我的声音-{runs[0].name}"
    assert manifest.profile == "tiny" and manifest.content_encoder == "whisper-base" and manifest.bert is None
    assert manifest.reference_text and manifest.steps == {"s2": 2, "s1": 2} and manifest.data_seconds > 10
    load_s1_model(voice / "s1.safetensors")
    assert not load_any_s2(voice / "s2g.safetensors").has_enc_q
    load_official_s1(voice / manifest.official["s1"])
    load_official_s2(voice / manifest.official["s2g"])
    read_metrics(runs[0] / "metrics.jsonl")  # still valid JSON lines after the kill
