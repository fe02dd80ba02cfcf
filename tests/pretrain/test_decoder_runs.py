"""Pretraining runs that change S2's decoder from an exported profile: a harmonic source learnt alone, the
envelope decoder in place of the HiFi-GAN (and its file carrying over to a new run), and the prior path learning
around a fixed decoder (the corpus fixture: conftest.py)."""

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
from gpt_sovits.pretrain.trainers import train_config


def _exported_profile_speaks(base: Path, exported: Path, pretrained: Path, tmp_path: Path) -> None:
    """A voice built on an exported profile from three corpus slices synthesizes finite audio."""
    import soundfile as sf

    from gpt_sovits.infer import SynthesisOptions, synthesize
    from gpt_sovits.infer.voice import build_voice

    slices = sorted((base / "corpus" / "slices").glob("tone-a_*.wav"))
    audio = [sf.read(path, dtype="float32") for path in slices[:3]]
    clip = tmp_path / "reference.wav"
    sf.write(clip, np.concatenate([a for a, _ in audio]), audio[0][1])
    voice = build_voice(exported / "s1.safetensors", exported / "s2g.safetensors", clip, "Hello there.",
                        ref_language="en", pretrained_root=pretrained)
    chunks = list(synthesize(voice, "Good morning.", SynthesisOptions(language="en", seed=1)))
    assert chunks and chunks[0].audio.size > 0 and np.isfinite(chunks[0].audio).all()


def test_a_profile_decoder_gains_a_harmonic_source_and_learns_it_alone(roots, tmp_path):
    """``--s2-harmonic-source --s2-decoder-only`` from a profile: the run starts from the profile's
    S2 with a new source and pitch predictor, trains nothing but the decoder (on the utterances'
    true pitch, with the pitch loss), and its exported profile speaks."""
    from gpt_sovits.checkpoint.s2_official import load_any_s2

    base, pretrained = roots
    cfg = PretrainConfig.preset("tiny").replace(s2_steps=1, s1_steps=1, s2_adversarial=False)
    profile = Path(pretrain(base / "corpus", base / "run-h0", cfg, pretrained_root=pretrained).export["path"])
    with pytest.raises(ConfigError, match="s2_decoder_only"):
        cfg.replace(s2_decoder_only=True, s2_decoder_frozen_steps=5)
    harmonic = cfg.replace(s2_steps=2, s2_decoder_only=True,
                           s2_changes={**cfg.s2_changes, "harmonic_source": True})
    out = base / "run-h1"
    result = pretrain(base / "corpus", out, harmonic, stages=("s2",), pretrained_root=pretrained, init_from=profile)
    assert result.steps["s2"] == 2
    before = load_any_s2(profile / "s2g.safetensors").state_dict
    start = load_any_s2(out / "init" / "s2_init.safetensors")
    assert start.config.harmonic_source
    new = set(start.state_dict) - set(before)
    assert new and all(k.startswith(("dec.pitch.", "dec.source.")) for k in new)
    assert all(torch.equal(before[k].float(), start.state_dict[k].float()) for k in before)
    exported = Path(result.export["path"])
    after = load_any_s2(exported / "s2g.safetensors").state_dict
    changed = {k for k in after if not torch.equal(after[k].float(), start.state_dict[k].float())}
    assert changed and all(k.startswith("dec.") for k in changed)
    assert any(k.startswith("dec.source.") for k in changed) and any(k.startswith("dec.pitch.") for k in changed)
    steps = [json.loads(line) for line in (out / "run" / "metrics-s2.jsonl").read_text().splitlines()]
    assert all(s["losses"]["pitch"] > 0 for s in steps if s["kind"] == "step")
    with pytest.raises(ProjectError, match="differ"):  # a source is never silently dropped on the way back
        pretrain(base / "corpus", base / "run-h2", cfg, stages=("s2",), pretrained_root=pretrained, init_from=exported)
    _exported_profile_speaks(base, exported, pretrained, tmp_path)


def test_a_profile_decoder_becomes_an_envelope_decoder_and_its_voice_speaks(roots, tmp_path):
    """``--s2-envelope-decoder --s2-decoder-only`` from a profile: the run keeps the profile's S2
    but its decoder, which starts anew and learns by the envelope regression alone; the exported
    profile has no official S2 form and synthesizes; the way back to a HiFi-GAN is refused."""
    from gpt_sovits.checkpoint.s2_official import load_any_s2

    base, pretrained = roots
    cfg = PretrainConfig.preset("tiny").replace(s2_steps=1, s1_steps=1, s2_adversarial=False)
    profile = Path(pretrain(base / "corpus", base / "run-e0", cfg, pretrained_root=pretrained).export["path"])
    envelope = cfg.replace(s2_steps=3, s2_decoder_only=True, s2_changes={**cfg.s2_changes, "decoder": "envelope"})
    out = base / "run-e1"
    result = pretrain(base / "corpus", out, envelope, stages=("s2",), pretrained_root=pretrained, init_from=profile)
    before = load_any_s2(profile / "s2g.safetensors").state_dict
    start = load_any_s2(out / "init" / "s2_init.safetensors")
    assert start.config.decoder == "envelope" and "dec.out.weight" in start.state_dict
    assert all(torch.equal(v.float(), start.state_dict[k].float()) for k, v in before.items() if not k.startswith("dec."))
    exported = Path(result.export["path"])
    after = load_any_s2(exported / "s2g.safetensors")
    assert after.config.decoder == "envelope"
    changed = {k for k, v in after.state_dict.items() if not torch.equal(v.float(), start.state_dict[k].float())}
    assert changed and all(k.startswith("dec.") for k in changed)
    steps = [json.loads(line) for line in (out / "run" / "metrics-s2.jsonl").read_text().splitlines()]
    assert all(s["losses"]["envelope"] > 0 and "mel" not in s["losses"] for s in steps if s["kind"] == "step")
    assert (out / "run" / "frozen-latents.safetensors").is_file()  # the rest of S2's latents, for the next round
    with pytest.raises(ProjectError, match="differ"):
        pretrain(base / "corpus", base / "run-e2", cfg, stages=("s2",), pretrained_root=pretrained, init_from=exported)
    _exported_profile_speaks(base, exported, pretrained, tmp_path)
    _the_decoder_carries_over(out, profile, after, envelope, tmp_path)
    _the_prior_path_learns_around_a_fixed_decoder(base, exported, envelope, pretrained)
    for _ in range(2):  # a refused start leaves no run behind: the corrected command is not told to --resume
        with pytest.raises(ProjectError, match="does not fit"):
            pretrain(base / "corpus", base / "run-e3", envelope, stages=("s2",), pretrained_root=pretrained,
                     init_from=profile, decoder_from=profile / "s2g.safetensors")
    with pytest.raises(ProjectError, match="drop --s2-decoder-from"):
        pretrain(base / "corpus", out, envelope, resume=True, stages=("s2",), pretrained_root=pretrained,
                 init_from=profile, decoder_from=out / "pretrained" / "envelope-decoder.safetensors")


def _the_prior_path_learns_around_a_fixed_decoder(base: Path, profile: Path, envelope: PretrainConfig,
                                                  pretrained: Path) -> None:
    """``--s2-freeze-decoder`` (the decoder fixed for the whole run) with the prior-path loss: the
    decoder keeps the profile's weights (but for its timbre input) while the text side learns from the
    path synthesis decodes."""
    from gpt_sovits.checkpoint.s2_official import load_any_s2
    from gpt_sovits.cli import main

    assert main(["pretrain", str(base / "corpus"), str(base / "run-p0"), "--s2-decoder-only", "--s2-freeze-decoder"]) == 2
    frozen = envelope.replace(s2_decoder_only=False, s2_decoder_frozen_steps=2, s2_steps=2, s2_prior_weight=1.0)
    out = base / "run-p1"
    result = pretrain(base / "corpus", out, frozen, stages=("s2",), pretrained_root=pretrained, init_from=profile)
    before = load_any_s2(profile / "s2g.safetensors").state_dict
    after = load_any_s2(Path(result.export["path"]) / "s2g.safetensors").state_dict
    changed = {k for k, v in after.items() if not torch.equal(v.float(), before[k].float())}
    assert any(k.startswith("enc_p.") for k in changed)
    assert not any(k.startswith("dec.") and not k.startswith("dec.cond.") for k in changed)  # its timbre input learns
    steps = [json.loads(line) for line in (out / "run" / "metrics-s2.jsonl").read_text().splitlines()]
    assert all(s["losses"]["prior_envelope"] > 0 for s in steps if s["kind"] == "step")
    # --s2-lr on resume sets the rate such a run trains at (s2_lr), not the learning decoder's
    unfrozen = json.loads((out / "run" / "config.json").read_text())["s2_unfrozen_lr"]
    assert main(["pretrain", str(base / "corpus"), str(out), "--resume", "--stage", "s2", "--s2-lr", "5e-5",
                 "--pretrained", str(pretrained), "--quiet"]) == 0
    saved = PretrainConfig.from_dict(json.loads((out / "run" / "config.json").read_text()))
    assert (saved.s2_lr, saved.s2_unfrozen_lr) == (5e-5, unfrozen)
    assert train_config(saved, 1, freeze_decoder=True).s2_lr == 5e-5


def _the_decoder_carries_over(run: Path, profile: Path, exported, envelope: PretrainConfig, tmp_path: Path) -> None:
    """The run's small decoder file starts a new run from the same HiFi-GAN profile where the run
    left off (fp16), the rest of S2 from the profile; files that cannot start it are refused."""
    from gpt_sovits.checkpoint.s2_official import load_any_s2
    from gpt_sovits.pretrain.start import DECODER_FILE, init_from_profile

    decoder = run / "pretrained" / DECODER_FILE
    assert decoder.is_file() and decoder.stat().st_size < (profile / "s2g.safetensors").stat().st_size / 2
    init_from_profile(envelope, tmp_path / "again", profile, lambda e: None, decoder_from=decoder)
    start = load_any_s2(tmp_path / "again" / "init" / "s2_init.safetensors").state_dict
    before = load_any_s2(profile / "s2g.safetensors").state_dict
    for key, value in start.items():
        expected = exported.state_dict[key] if key.startswith("dec.") else before[key]
        assert torch.equal(value.half(), expected.half()), key
    with pytest.raises(ProjectError, match="does not fit"):  # a HiFi-GAN is no envelope decoder
        init_from_profile(envelope, tmp_path / "wrong", profile, lambda e: None, decoder_from=profile / "s2g.safetensors")
    with pytest.raises(ProjectError, match="cannot be read"):
        init_from_profile(envelope, tmp_path / "missing", profile, lambda e: None, decoder_from=tmp_path / "none")
    hifigan = envelope.replace(s2_changes={**envelope.s2_changes, "decoder": "hifigan"})
    with pytest.raises(ProjectError, match="envelope decoder only"):
        init_from_profile(hifigan, tmp_path / "plain", profile, lambda e: None, decoder_from=decoder)
    assert not any((tmp_path / name).exists() for name in ("wrong", "missing", "plain"))  # nothing half-made
