"""Pretraining on a tiny corpus: stage processes, the decoder phases, init-from, S1 selection, probes
(stopping and resuming: test_resume.py; the corpus fixture: conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from gpt_sovits.config import ConfigError
from gpt_sovits.errors import ProjectError
from gpt_sovits.pretrain.config import PretrainConfig
from gpt_sovits.pretrain.driver import pretrain


def test_stage_processes_share_a_run_and_export_without_discriminator(roots):
    """S2 and S1 trained by separate invocations (as two processes on two cores do): each keeps its
    own progress and metrics, and a discriminator-free run exports a profile with ``"s2d": null``."""
    base, pretrained = roots
    out = base / "run-split"
    cfg = PretrainConfig.preset("tiny").replace(s2_steps=2, s1_steps=2, s2_adversarial=False, s1_guided_weight=1.0,
                                                s1_guided_layers=[1], s1_guided_heads=1, s2_whisper_weight=2.0)
    with pytest.raises(ConfigError, match="s2_whisper_weight"):
        cfg.replace(s2_whisper_weight=-1.0)
    with pytest.raises(ValueError, match="stages"):
        pretrain(base / "corpus", out, cfg, stages=("s3",), pretrained_root=pretrained)
    s2 = pretrain(base / "corpus", out, cfg, stages=("s2",), pretrained_root=pretrained)
    assert s2.steps == {"s2": 2, "s1": 0} and s2.done["s2"] and not s2.done["s1"]
    s1 = pretrain(base / "corpus", out, resume=True, stages=("s1",), pretrained_root=pretrained)
    assert s1.steps == {"s2": 2, "s1": 2} and s1.done == {"s2": True, "s1": True}
    for stage in ("s2", "s1"):
        progress = json.loads((out / "run" / f"progress-{stage}.json").read_text())
        assert progress["steps"] == 2 and progress["done"]
        events = [json.loads(line) for line in (out / "run" / f"metrics-{stage}.jsonl").read_text().splitlines()]
        assert {e["stage"] for e in events if e["kind"] == "step"} == {stage}
    s2_losses = [e["losses"] for e in map(json.loads, (out / "run" / "metrics-s2.jsonl").read_text().splitlines())
                 if e["kind"] == "step"]
    # tiny: phone loss and prior-path loss on; the Whisper feature loss on both paths as asked
    assert all(set(losses) == {"g_total", "mel", "kl", "phones", "prior_mel", "prior_phones", "wave", "prior_wave"}
               for losses in s2_losses)
    assert all(losses["phones"] >= 0 and losses["wave"] > 0 and losses["prior_wave"] > 0 for losses in s2_losses)
    s1_events = [json.loads(line) for line in (out / "run" / "metrics-s1.jsonl").read_text().splitlines()]
    assert all("guided" in e["losses"] for e in s1_events if e["kind"] in ("step", "val"))  # guided attention on
    profile_dir = out / "pretrained" / "starter"
    assert json.loads((profile_dir / "profile.json").read_text())["s2d"] is None
    assert not (profile_dir / "s2d.safetensors").exists()
    # the phone loss's recogniser was trained once for the run and travels with the profile
    from gpt_sovits.pretrain.mel_phones import RECOGNIZER_FILE, load_recognizer

    assert (profile_dir / RECOGNIZER_FILE).read_bytes() == (out / "run" / RECOGNIZER_FILE).read_bytes()
    assert load_recognizer(profile_dir / RECOGNIZER_FILE).bins > 0
    assert s1.export["within_budget"] and set(s1.export["mb"]) == {"s1", "s2g"}
    # the exported S1 is the one that read the validation texts best, saved when it was reached
    from gpt_sovits.checkpoint.s1 import load_any_s1

    best = json.loads((out / "run" / "best-s1.json").read_text())
    assert best["step"] >= 1 and best["ce"] > 0 and 0 <= best["read_error"]
    texts_part, readout_part = best["scored_on"].split("-")  # texts (reading.texts_digest) + readout
    assert len(texts_part) == 16 and len(readout_part) == 8
    assert all("read_error" in e["losses"] and e["losses"]["ce_prompted"] > 0 for e in s1_events if e["kind"] == "val")
    assert all(0 <= e["losses"]["read_error_prompted"] for e in s1_events if e["kind"] == "val")
    assert (out / "run" / "token-readout.safetensors").is_file()  # trained once, kept for resumed rounds and the probe
    from gpt_sovits.pretrain.token_readout import load_readout
    from gpt_sovits.voice_format import READOUT_FILE

    shipped = load_readout(profile_dir / READOUT_FILE)  # synthesis's reading check travels with the base
    assert shipped.embed.num_embeddings == _codebook_size(profile_dir) and shipped.trained_on
    from safetensors import safe_open

    with safe_open(profile_dir / "s1.safetensors", "pt") as exported_file:
        extra = json.loads(exported_file.metadata()["extra"])
    assert float(extra["s1_val_read_error"]) == round(best["read_error"], 4)
    assert extra["s2_steps"] == "2" and extra["s1_steps"] == str(best["step"])  # the checkpoints' own steps
    kept, exported = load_any_s1(out / "run" / "best-s1.safetensors")[1], load_any_s1(profile_dir / "s1.safetensors")[1]
    assert all(torch.allclose(kept[k].half().float(), exported[k].float()) for k in kept)


def test_frozen_decoder_phase_then_the_decoder_trains(roots):
    """``s2_decoder_frozen_steps``: the decoder keeps its starting weights for those steps (its
    timbre input excepted), then the stage goes on and trains it too, without being told again,
    at ``s2_unfrozen_lr``."""
    from gpt_sovits.checkpoint.s2_official import load_any_s2
    from gpt_sovits.train.checkpoints import CheckpointManager, load_training_checkpoint

    base, pretrained = roots
    out = base / "run-frozen"
    cfg = PretrainConfig.preset("tiny").replace(s2_steps=3, s1_steps=1, s2_decoder_frozen_steps=2,
                                                 s2_adversarial=False, keep_checkpoints=5, s2_lr=4e-4,
                                                 s2_unfrozen_lr=5e-5)
    result = pretrain(base / "corpus", out, cfg, stages=("s2",), pretrained_root=pretrained)
    assert result.steps["s2"] == 3 and result.done["s2"]
    init = load_any_s2(out / "init" / "s2_init.safetensors").state_dict
    checkpoints = CheckpointManager(out / "run" / "checkpoints", "s2", 5)
    states = [load_training_checkpoint(p) for p in checkpoints.paths()]
    by_step = {int(s["step"]): s["trainer"]["gen"] for s in states}
    dec = [k for k in init if k.startswith("dec.") and not k.startswith("dec.cond.")]

    def same(state) -> bool:
        return all(torch.equal(init[k].float(), state[k].float()) for k in dec)

    assert same(by_step[2]) and not same(by_step[3])
    lr = {int(s["step"]): s["trainer"]["opt_g"]["param_groups"][0]["lr"] for s in states}
    assert lr[2] == pytest.approx(4e-4, rel=0.01) and lr[3] == pytest.approx(5e-5, rel=0.01)


def test_a_new_run_continues_from_an_exported_profile(roots):
    """``init_from``: the next machine continues pretraining from the committed profile's weights."""
    from gpt_sovits.checkpoint.s1 import load_any_s1
    from gpt_sovits.checkpoint.s2_official import load_any_s2

    base, pretrained = roots
    cfg = PretrainConfig.preset("tiny").replace(s2_steps=1, s1_steps=1, s2_adversarial=False)
    first = pretrain(base / "corpus", base / "run-a", cfg, pretrained_root=pretrained)
    profile = Path(first.export["path"])
    from gpt_sovits.pretrain.mel_phones import RECOGNIZER_FILE, load_recognizer, save_recognizer

    judge = load_recognizer(profile / RECOGNIZER_FILE)  # marked, so adopting it differs from retraining it
    with torch.no_grad():
        judge.classify.bias.add_(0.5)
    save_recognizer(judge, profile / RECOGNIZER_FILE)
    out = base / "run-b"
    second = pretrain(base / "corpus", out, cfg.replace(s2_steps=2, s1_steps=2, seed=5), pretrained_root=pretrained,
                      init_from=profile)
    assert second.steps == {"s2": 2, "s1": 2}
    # the profile carries its run's validation list, and the continued run keeps it (another seed would
    # split differently and train on the utterances the profile was validated on)
    kept = json.loads((profile / "val.json").read_text())
    assert kept == json.loads((base / "run-a" / "run" / "val.json").read_text())
    assert json.loads((out / "run" / "val.json").read_text()) == kept
    assert (out / "run" / RECOGNIZER_FILE).read_bytes() == (profile / RECOGNIZER_FILE).read_bytes()  # same judge
    from gpt_sovits.data.project import Project
    from gpt_sovits.features.cache import FeatureCache
    from gpt_sovits.pretrain import data
    from gpt_sovits.train.dataset import split_items

    cache = FeatureCache(Project(base / "corpus").features_dir(data.FEATURE_KEY))
    items = data.lazy_items(cache, data.cached_ids(cache, data.label_items(Project(base / "corpus"))))
    assert [item.slice_id for item in split_items(items, cfg.val_items, 5)[1]] != kept["val"]
    exported = load_any_s2(profile / "s2g.safetensors").state_dict
    start = load_any_s2(out / "init" / "s2_init.safetensors").state_dict
    assert exported.keys() == start.keys() and any(k.startswith("enc_q.") for k in start)
    assert all(torch.equal(exported[k].float(), start[k].float()) for k in start)
    s1_start = load_any_s1(out / "init" / "s1_init.safetensors")[1]
    s1_exported = load_any_s1(profile / "s1.safetensors")[1]
    assert all(torch.equal(s1_start[k], s1_exported[k]) for k in s1_start)
    # an S2-only run exports the S1 it started from, not a random one
    s2_only = pretrain(base / "corpus", base / "run-g", cfg, stages=("s2",), pretrained_root=pretrained,
                       init_from=profile)
    assert s2_only.steps == {"s2": 1, "s1": 0}
    s1_carried = load_any_s1(Path(s2_only.export["path"]) / "s1.safetensors")[1]
    s1_profile = load_any_s1(profile / "s1.safetensors")[1]
    assert all(torch.equal(s1_profile[k].float(), s1_carried[k].float()) for k in s1_profile)
    # the codebook came along: no k-means was run, and the tokens are the profile's
    assert json.loads((out / "init" / "state.json").read_text())["init_from"] == str(profile)

    other = PretrainConfig.preset("tiny").replace(s2_changes={"posterior_layers": 2})
    with pytest.raises(ProjectError, match="differ"):
        pretrain(base / "corpus", base / "run-c", other, pretrained_root=pretrained, init_from=profile)
    with pytest.raises(ProjectError, match="profile.json"):
        pretrain(base / "corpus", base / "run-d", cfg, pretrained_root=pretrained, init_from=base / "corpus")

    # S1 from scratch beside the profile's S2: no S1 starting point, so its shape may differ too
    fresh = cfg.replace(s1_from_scratch=True, s1_changes={"n_layers": 3})
    scratch = pretrain(base / "corpus", base / "run-e", fresh, stages=("s1",), pretrained_root=pretrained,
                       init_from=profile)
    assert scratch.steps["s1"] == 1 and not (base / "run-e" / "init" / "s1_init.safetensors").exists()
    start = load_any_s2(base / "run-e" / "init" / "s2_init.safetensors").state_dict
    assert all(torch.equal(exported[k].float(), start[k].float()) for k in start)

    # a new codebook under the profile's S2: only ssl_proj and the codebook change, S1 starts afresh
    with pytest.raises(ConfigError, match="rebuild_codebook"):
        cfg.replace(rebuild_codebook=True)
    rebuilt = cfg.replace(s1_from_scratch=True, rebuild_codebook=True, seed=7)
    pretrain(base / "corpus", base / "run-f", rebuilt, stages=("s1",), pretrained_root=pretrained, init_from=profile)
    start = load_any_s2(base / "run-f" / "init" / "s2_init.safetensors").state_dict
    changed = {k for k in start if not torch.equal(exported[k].float(), start[k].float())}
    assert changed and all(k.startswith(("ssl_proj.", "quantizer.")) for k in changed)
    state = json.loads((base / "run-f" / "init" / "state.json").read_text())
    assert state["init_from"] == str(profile) and state["semantic_ready"] and not state.get("codebook_pending")


def test_pretrain_cli_refuses_bad_s1_settings_before_any_work(roots, capsys):
    from gpt_sovits.cli import main

    base, _ = roots
    out = base / "run-bad-flags"
    assert main(["pretrain", str(base / "corpus"), str(out), "--s1-guided", "1", "--s1-guided-layers", "1,9"]) == 2
    assert "s1_guided_layers" in capsys.readouterr().err
    assert main(["pretrain", str(base / "corpus"), str(out), "--s1-guided-layers", "one"]) == 2
    assert "layer numbers" in capsys.readouterr().err
    assert main(["pretrain", str(base / "corpus"), str(out), "--rebuild-codebook"]) == 2
    assert "--init-from" in capsys.readouterr().err
    assert main(["pretrain", str(base / "corpus"), str(out), "--rebuild-codebook", "--init-from", str(base)]) == 2
    assert "s1_from_scratch" in capsys.readouterr().err
    assert main(["pretrain", str(base / "corpus"), str(out), "--resume", "--s1-lr", "0"]) == 2
    assert "s1_lr" in capsys.readouterr().err
    assert not out.exists()


def test_pretrain_cli_keeps_the_lowest_ce_s1_when_asked(roots, capsys):
    from gpt_sovits.cli import main

    base, pretrained = roots
    out = base / "run-select-ce"
    assert main(["pretrain", str(base / "corpus"), str(out), "--preset", "tiny", "--stage", "s1", "--s1-select-by",
                 "ce", "--pretrained", str(pretrained), "--quiet"]) == 0
    assert json.loads((out / "run" / "config.json").read_text())["s1_select_by"] == "ce"
    best = json.loads((out / "run" / "best-s1.json").read_text())
    assert best["ce"] > 0 and "read_error" not in best and not (out / "run" / "token-readout.safetensors").exists()
    prompted = base / "run-select-prompted"  # read after a prompt, as synthesis reads
    assert main(["pretrain", str(base / "corpus"), str(prompted), "--preset", "tiny", "--stage", "s1",
                 "--s1-select-by", "reading-prompted", "--pretrained", str(pretrained), "--quiet"]) == 0
    best = json.loads((prompted / "run" / "best-s1.json").read_text())
    assert 0 <= best["read_error_prompted"] and 0 <= best["read_error"]
    messages = [json.loads(line).get("message", "") for line in
                (prompted / "run" / "metrics-s1.jsonl").read_text().splitlines()]
    assert any(m.startswith("best S1 so far: validation read_error_prompted") for m in messages)
    with pytest.raises(SystemExit):  # argparse: exit status 2 with the choices
        main(["pretrain", str(base / "corpus"), str(out / "x"), "--s1-select-by", "wer"])
    assert "invalid choice: 'wer'" in capsys.readouterr().err


class BandEmbedder:
    """Unit vector of log band energies: a cheap stand-in for resemblyzer that tells signals apart."""

    def embed(self, audio, sr):
        if audio.size == 0 or not np.abs(audio).max() > 0:
            return None
        bands = np.log1p(np.array([b.mean() for b in np.array_split(np.abs(np.fft.rfft(audio)), 16)]))
        return bands / np.linalg.norm(bands)


class EchoASR:
    """Stands in for Whisper where a probe checks which utterances and paths it scores, not what
    Whisper hears (one probe below uses the real Whisper)."""

    def __init__(self) -> None:
        self.calls = 0

    def transcribe(self, audio, sr, language="auto"):
        from types import SimpleNamespace

        self.calls += 1
        assert sr == 32000 and audio.ndim == 1 and len(audio) > 0
        return SimpleNamespace(text="hello" if language == "en" else "你好")


def test_probe_renders_held_out_utterances_and_scores_them(roots, tmp_path):
    from gpt_sovits.pretrain.probe import ALIGNED_PATHS, PATHS, probe_run

    base, pretrained = roots
    echo = EchoASR()
    out = base / "run-probe"
    with pytest.raises(FileNotFoundError, match="not a pretraining run"):
        probe_run(out, base / "corpus", pretrained_root=pretrained)
    cfg = PretrainConfig.preset("tiny").replace(s2_steps=1, s1_steps=1, s2_adversarial=False, val_items=2)
    pretrain(base / "corpus", out, cfg, stages=("s2",), pretrained_root=pretrained)
    s2_only = probe_run(out, base / "corpus", items=5, pretrained_root=pretrained, asr=echo, dnsmos=False)
    assert s2_only.dnsmos == {}  # not asked for (the probe below scores it)
    assert set(s2_only.error_rate) == set(PATHS) - {"synthesis", "unprompted"}  # no S1 trained yet: no text-to-speech path
    pretrain(base / "corpus", out, resume=True, stages=("s1",), pretrained_root=pretrained)
    result = probe_run(out, base / "corpus", items=5, pretrained_root=pretrained, out=tmp_path / "wavs",
                       embedder=BandEmbedder())
    assert result.step == 1 and result.items == 2  # no more than the run's validation split
    assert set(result.error_rate) == set(PATHS) and all(v >= 0 for v in result.error_rate.values())
    from gpt_sovits.data.project import Project
    from gpt_sovits.features.cache import FeatureCache
    from gpt_sovits.pretrain import data
    from gpt_sovits.train.dataset import split_items

    cache = FeatureCache(Project(base / "corpus").features_dir(data.FEATURE_KEY))
    items = data.lazy_items(cache, data.cached_ids(cache, data.label_items(Project(base / "corpus"))))
    held_out = {i.slice_id for i in split_items(items, 2, cfg.seed)[1]}
    assert {row["slice"] for row in result.utterances} == held_out  # the trainers' own validation split
    wavs = sorted(p.name for p in (tmp_path / "wavs").glob("*.wav"))
    assert len(wavs) == 2 * len(PATHS) and all(w.rsplit("-", 1)[1][:-4] in PATHS for w in wavs)
    assert set(result.median_rate) == set(PATHS) and all(v >= 0 for v in result.median_rate.values())
    assert "original" in result.buzz_db and all(v >= 0 for v in result.buzz_db.values())  # frame-rate buzz, dB
    # how much each rendering sounds like its original (the original itself is not scored)
    assert set(result.similarity) == set(PATHS) - {"original"} and all(-1 <= v <= 1 for v in result.similarity.values())
    assert set(result.dnsmos) == set(PATHS) and all(1 <= v <= 5 for v in result.dnsmos.values())  # quality, originals too
    # melody kept, only where the rendering keeps the original's timing (a tiny model may voice too little to measure)
    assert set(result.pitch_agreement) <= set(ALIGNED_PATHS) and all(0 <= v <= 1 for v in result.pitch_agreement.values())
    # one corpus source here, so its rates are the overall ones; each row names its source
    assert result.error_rate_by_source == {"tones": result.error_rate}
    assert result.capped_rate_by_source == {"tones": result.capped_rate}
    assert set(result.capped_rate) == set(PATHS) and all(0 <= v <= 1 for v in result.capped_rate.values())
    assert all(row["source"] == "tones" for row in result.utterances)
    assert set(result.s1_ce) == {"own_text", "other_text"} and min(result.s1_ce.values()) > 0
    assert s2_only.s1_ce == {}
    assert set(s2_only.token_phone_error) == {"true"}  # the readout's floor, even without an S1
    assert set(result.token_phone_error) == {"true", "synthesis", "unprompted"}
    assert all(v >= 0 for v in result.token_phone_error.values())
    # training sentences, with one of the run's own S1 checkpoints instead of its best export
    checkpoint = sorted((out / "run" / "checkpoints").glob("s1-*.pt"))[-1]
    seen = probe_run(out, base / "corpus", items=3, pretrained_root=pretrained, split="train", s1=checkpoint,
                     asr=echo, dnsmos=False)
    trained_on = [i.slice_id.rsplit("_", 1)[0] for i in split_items(items, 2, cfg.seed)[0]]
    promptable = [v for v in trained_on if trained_on.count(v) > 1]  # a prompt of the same voice exists
    assert seen.split == "train" and seen.items == min(3, len(promptable)) > 0
    assert set(seen.error_rate) == set(PATHS)  # the synthesis path too: every pick has a prompt
    assert {row["slice"].rsplit("_", 1)[0] for row in seen.utterances} <= set(promptable)
    assert not {row["slice"] for row in seen.utterances} & held_out
    with pytest.raises(ValueError, match="split"):
        probe_run(out, base / "corpus", pretrained_root=pretrained, split="test")
    with pytest.raises(FileNotFoundError, match="no such S1"):
        probe_run(out, base / "corpus", pretrained_root=pretrained, s1=tmp_path / "missing.pt")
    # an S1-only run started from the exported profile probes with the S2 it started from
    s1_run = base / "run-probe-s1"
    pretrain(base / "corpus", s1_run, cfg, stages=("s1",), pretrained_root=pretrained,
             init_from=out / "pretrained" / "starter")
    from_profile = probe_run(s1_run, base / "corpus", items=2, pretrained_root=pretrained, asr=echo, dnsmos=False)
    assert from_profile.step == 0 and set(from_profile.error_rate) == set(PATHS)
    # and an S2-only one with the S1 it started from: the whole path is probed from its first step
    s2_run = base / "run-probe-s2"
    pretrain(base / "corpus", s2_run, cfg, stages=("s2",), pretrained_root=pretrained,
             init_from=out / "pretrained" / "starter")
    s2_side = probe_run(s2_run, base / "corpus", items=2, pretrained_root=pretrained, asr=echo, dnsmos=False)
    assert s2_side.step == 1 and set(s2_side.error_rate) == set(PATHS)
    assert echo.calls == 2 * (len(PATHS) - 2) + seen.items * len(PATHS) + 4 * len(PATHS)  # every rendering of every item


def _codebook_size(profile_dir: Path) -> int:
    from gpt_sovits.checkpoint.s2_official import load_any_s2

    return load_any_s2(profile_dir / "s2g.safetensors").config.codebook_size


def test_a_plain_s1_gains_a_phone_pointer_and_its_profile_speaks(roots, tmp_path):
    """``--s1-phone-pointer`` on a run from a profile: the plain S1 goes on with a pointer that starts
    at zero, the utterances are aligned by the run's token readout, and the exported profile's
    voices decode with the pointer (the reference aligned by the readout the profile ships)."""
    from gpt_sovits.checkpoint.s1 import load_any_s1
    from gpt_sovits.infer import SynthesisOptions, synthesize
    from gpt_sovits.infer.voice import build_voice
    from gpt_sovits.pretrain.alignments import ALIGNMENTS_FILE
    from gpt_sovits.voice_format import READOUT_FILE

    base, pretrained = roots
    cfg = PretrainConfig.preset("tiny").replace(s2_steps=1, s1_steps=1, s2_adversarial=False)
    profile = Path(pretrain(base / "corpus", base / "run-p0", cfg, pretrained_root=pretrained).export["path"])
    pointed = cfg.replace(s1_steps=2, s1_changes={"phone_pointer": True})
    out = base / "run-p1"
    result = pretrain(base / "corpus", out, pointed, stages=("s1",), pretrained_root=pretrained, init_from=profile)
    assert result.steps["s1"] == 2
    saved = json.loads((out / "run" / ALIGNMENTS_FILE).read_text())
    assert saved["items"] and all(a == sorted(a) for a in saved["items"].values())
    events = [json.loads(line) for line in (out / "run" / "metrics-s1.jsonl").read_text().splitlines()]
    assert any("advance" in e.get("losses", {}) for e in events if e["kind"] == "step")
    exported = Path(result.export["path"])
    config, state = load_any_s1(exported / "s1.safetensors")
    assert config.phone_pointer and "ar_advance_layer.weight" in state
    assert (exported / READOUT_FILE).is_file()
    from gpt_sovits.pretrain.probe import PATHS, probe_run

    probed = probe_run(out, base / "corpus", items=2, pretrained_root=pretrained, asr=EchoASR(), dnsmos=False)
    assert set(probed.error_rate) == set(PATHS) and probed.s1_ce == {}  # no other-text test for a pointer
    with pytest.raises(ProjectError, match="differ"):  # a pointer is never dropped on the way back
        pretrain(base / "corpus", base / "run-p2", cfg, stages=("s1",), pretrained_root=pretrained,
                 init_from=exported)

    import soundfile as sf

    slices = sorted((base / "corpus" / "slices").glob("tone-a_*.wav"))
    audio = [sf.read(path, dtype="float32") for path in slices[:3]]
    clip = tmp_path / "reference.wav"
    sf.write(clip, np.concatenate([a for a, _ in audio]), audio[0][1])  # 3-10 s, as a reference must be
    voice = build_voice(exported / "s1.safetensors", exported / "s2g.safetensors", clip, "Hello there.",
                        ref_language="en", pretrained_root=pretrained)
    assert voice.prompt_alignment is not None and len(voice.prompt_alignment) == len(voice.prompt)
    chunks = list(synthesize(voice, "Good morning.", SynthesisOptions(language="en", seed=1)))
    assert chunks and chunks[0].audio.size > 0

