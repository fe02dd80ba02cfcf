"""Pretraining stops and resumes: nothing lost or repeated, Ctrl-C is clean, and a resumed run may
change only what keeps it the same run (S1's learning rate, the round length)."""

from __future__ import annotations

import json
import threading

import pytest
import torch

from gpt_sovits.config import ConfigError
from gpt_sovits.errors import ProjectError
from gpt_sovits.pretrain.config import PretrainConfig
from gpt_sovits.pretrain.driver import pretrain
from gpt_sovits.train.checkpoints import load_training_checkpoint


def test_pretrain_stops_resumes_and_exports_a_loadable_profile(roots):
    base, pretrained = roots
    out = base / "run"
    cfg = PretrainConfig.preset("tiny").replace(s2_steps=3, s1_steps=2)
    stop = threading.Event()

    def kill_at_s2_step_2(event) -> None:  # like a Ctrl-C after the second S2 step
        if event.kind == "step" and event.stage == "s2" and event.step == 2:
            stop.set()

    first = pretrain(base / "corpus", out, cfg, pretrained_root=pretrained, on_event=kill_at_s2_step_2, stop=stop)
    assert first.steps == {"s2": 2, "s1": 0} and not any(first.done.values())
    with pytest.raises(ProjectError, match="--resume"):
        pretrain(base / "corpus", out, cfg, pretrained_root=pretrained)
    state = json.loads((out / "init" / "state.json").read_text())
    assert state["semantic_ready"] and state["codes_used"] > 1
    result = pretrain(base / "corpus", out, resume=True, pretrained_root=pretrained)
    assert result.steps == {"s2": 3, "s1": 2} and all(result.done.values())
    events = [json.loads(line) for line in (out / "run" / "metrics.jsonl").read_text().splitlines()]
    steps = [(e["stage"], e["step"]) for e in events if e["kind"] == "step"]
    assert sorted(set(steps)) == [("s1", 1), ("s1", 2), ("s2", 1), ("s2", 2), ("s2", 3)]
    assert len(steps) == len(set(steps))  # no step was trained twice

    from gpt_sovits.checkpoint.s1 import load_s1_model
    from gpt_sovits.features.semantic import load_latent_model
    from gpt_sovits.registry import Registry

    (pretrained / "starter").symlink_to(out / "pretrained" / "starter")
    profile = Registry(pretrained).profile("starter")
    assert profile.title == "Starter preview (offline)" and profile.content_encoder == "whisper-base"
    assert profile.can_train and profile.bert is None
    s1 = load_s1_model(profile.s1)
    assert s1 is not None
    s2 = load_latent_model(profile.s2g)
    from gpt_sovits.features.cache import FeatureCache

    cache = FeatureCache(base / "corpus" / "features" / "pretrain.whisper-base")
    entry = cache.load(next(iter(sorted(p.stem for p in cache.folder.glob("*.safetensors")))))
    from gpt_sovits.features.semantic import extract_semantic

    assert torch.equal(extract_semantic(s2.float(), entry.content), entry.semantic)


def test_ctrl_c_saves_a_checkpoint_and_the_run_resumes_from_it(roots):
    """The CLI turns Ctrl-C into a clean stop: checkpoint at the current step, candidate export, exit 0."""
    import signal
    import subprocess
    import sys

    base, pretrained = roots
    out = base / "run-signal"
    cmd = [sys.executable, "-m", "gpt_sovits", "pretrain", str(base / "corpus"), str(out), "--preset", "tiny",
           "--s2-steps", "500", "--stage", "s2", "--threads", "1", "--pretrained", str(pretrained)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if '"kind": "step"' in line and '"step": 2,' in line:
            proc.send_signal(signal.SIGINT)
            break
    stdout, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0
    result = json.loads(stdout.strip().splitlines()[-1])
    stopped_at = result["steps"]["s2"]
    assert 2 <= stopped_at < 500 and not result["done"]["s2"]
    assert (out / "run" / "checkpoints" / f"s2-{stopped_at:08d}.pt").is_file()
    assert (out / "pretrained" / "starter" / "s2g.safetensors").is_file()
    resumed = pretrain(base / "corpus", out, resume=True, stages=("s2",), pretrained_root=pretrained,
                       hours_budget=1e-9)
    assert resumed.steps["s2"] == stopped_at  # nothing lost, nothing repeated


def test_a_resumed_run_anneals_s1_and_keeps_everything_else(roots):
    """``changes`` on resume: a lower S1 learning rate from the next step on (saved, logged); a
    setting that would make it another run is refused before anything is written."""
    base, pretrained = roots
    out = base / "run-anneal"
    cfg = PretrainConfig.preset("tiny").replace(s2_steps=1, s1_steps=3, s2_adversarial=False, save_every_steps=1)
    stop = threading.Event()

    def stop_after_s1_step_1(event) -> None:
        if event.kind == "step" and event.stage == "s1" and event.step == 1:
            stop.set()

    pretrain(base / "corpus", out, cfg, pretrained_root=pretrained, on_event=stop_after_s1_step_1, stop=stop)
    saved = (out / "run" / "config.json").read_text()
    with pytest.raises(ConfigError, match=r"not \['s1_steps'\]"):
        pretrain(base / "corpus", out, resume=True, stages=("s1",), pretrained_root=pretrained,
                 changes={"s1_steps": 9})
    assert (out / "run" / "config.json").read_text() == saved
    events = []
    result = pretrain(base / "corpus", out, resume=True, stages=("s1",), pretrained_root=pretrained,
                      changes={"s1_lr": 1e-5}, on_event=events.append)
    assert result.steps["s1"] == 3 and json.loads((out / "run" / "config.json").read_text())["s1_lr"] == 1e-5
    assert any("s1_lr 1e-05 (was 0.001)" in getattr(e, "message", "") for e in events)
    lr = {}
    for path in (out / "run" / "checkpoints").glob("s1-*.pt"):
        state = load_training_checkpoint(path)
        lr[state["step"]] = state["trainer"]["opt"]["param_groups"][0]["lr"]
    assert lr[3] == pytest.approx(1e-5)
    pretrain(base / "corpus", out, resume=True, stages=("s2",), pretrained_root=pretrained,
             changes={"s2_unfrozen_lr": 5e-5})  # S2's rate may be lowered the same way
    assert json.loads((out / "run" / "config.json").read_text())["s2_unfrozen_lr"] == 5e-5
    from gpt_sovits.cli import main

    saved = (out / "run" / "config.json").read_text()  # no discriminator: the prior path has none to meet
    assert main(["pretrain", str(base / "corpus"), str(out), "--resume", "--s2-prior-adversarial", "1"]) == 2
    assert (out / "run" / "config.json").read_text() == saved


def test_a_resumed_adversarial_run_puts_the_prior_path_before_its_discriminator(roots):
    """``s2_prior_adversarial`` may start on resume: from the next S2 step on, the slice synthesis
    would decode meets the discriminator too (its terms in the metrics); a run without a
    discriminator cannot take it up."""
    base, pretrained = roots
    out = base / "run-prior-adversarial"
    cfg = PretrainConfig.preset("tiny").replace(s2_steps=3, s1_steps=1, save_every_steps=1)
    assert cfg.s2_adversarial and cfg.s2_prior_weight > 0
    stop = threading.Event()

    def stop_after_s2_step_1(event) -> None:
        if event.kind == "step" and event.stage == "s2" and event.step == 1:
            stop.set()

    pretrain(base / "corpus", out, cfg, stages=("s2",), pretrained_root=pretrained, on_event=stop_after_s2_step_1,
             stop=stop)
    result = pretrain(base / "corpus", out, resume=True, stages=("s2",), pretrained_root=pretrained,
                      changes={"s2_prior_adversarial": 0.5})
    assert result.steps["s2"] == 3 and json.loads((out / "run" / "config.json").read_text())["s2_prior_adversarial"] == 0.5
    steps = [e for e in map(json.loads, (out / "run" / "metrics-s2.jsonl").read_text().splitlines()) if e["kind"] == "step"]
    assert [("prior_g_adv" in e["losses"], "prior_fm" in e["losses"]) for e in steps] == [(False, False)] + [(True, True)] * 2
    with pytest.raises(ConfigError, match="s2_prior_adversarial"):
        cfg.replace(s2_adversarial=False, s2_prior_adversarial=1.0)
