"""Fine-tuning a base shipped without a discriminator (``"s2d": null``, like the starter base):
S2 learns from mel + KL only, the voice exports and loads, and a cancelled run resumes exactly."""

from __future__ import annotations

import json
import math
import shutil
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from gpt_sovits.errors import CheckpointError, ModelMissingError
from gpt_sovits.registry import BaseProfile, Registry
from gpt_sovits.tiny_base import NO_DISC_PROFILE_NAME, ensure_tiny_profile
from gpt_sovits.train.checkpoints import load_training_checkpoint
from gpt_sovits.train.config import TrainConfig
from gpt_sovits.train.events import InfoEvent, StepEvent, read_metrics
from gpt_sovits.train.run import finetune, finetune_s2
from gpt_sovits.train.stages import load_s2_for_training
from tests.train.conftest import PROJECT

ADVERSARIAL_TERMS = {"d", "g_adv", "fm", "grad_norm_d"}


def _config(**changes) -> TrainConfig:
    return TrainConfig.preset(NO_DISC_PROFILE_NAME).replace(samples=False, **changes)


def test_tiny_profiles_with_and_without_discriminator(pretrained: Path) -> None:
    from gpt_sovits.checkpoint.s1 import load_any_s1
    from gpt_sovits.checkpoint.s2_official import load_any_s2

    with_d = ensure_tiny_profile(pretrained)
    without = ensure_tiny_profile(pretrained, discriminator=False)
    assert (with_d / "s2d.safetensors").is_file() and not (without / "s2d.safetensors").exists()
    assert json.loads((without / "profile.json").read_text())["s2d"] is None
    for load, name in ((lambda p: load_any_s2(p).state_dict, "s2g.safetensors"),
                       (lambda p: load_any_s1(p)[1], "s1.safetensors")):
        a, b = load(with_d / name), load(without / name)  # the same seeded weights
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    profiles = {p.name: p for p in Registry(pretrained).profiles()}
    assert profiles["tiny"].adversarial and not profiles[NO_DISC_PROFILE_NAME].adversarial
    assert profiles["tiny"].can_train and profiles[NO_DISC_PROFILE_NAME].can_train


def test_load_s2_without_discriminator_says_so(pretrained: Path) -> None:
    folder = pretrained / NO_DISC_PROFILE_NAME
    prof = BaseProfile(name=NO_DISC_PROFILE_NAME, title="t", s1=folder / "s1.safetensors",
                       s2g=folder / "s2g.safetensors", s2d=None, content_encoder="whisper-base", bert=None)
    events: list = []
    gen, disc = load_s2_for_training(prof, events.append)
    assert disc is None and gen.enc_q is not None
    assert any(isinstance(e, InfoEvent) and "mel + KL" in e.message and "no discriminator" in e.message
               for e in events)
    _, disc = load_s2_for_training(replace(prof, s2d=pretrained / "tiny" / "s2d.safetensors"), events.append)
    assert disc is not None  # the tiny base with s2d loads its discriminator
    missing = replace(prof, s2d=folder / "gone.safetensors", train_fix="put it back")
    with pytest.raises(ModelMissingError, match="gone.safetensors.*put it back"):
        load_s2_for_training(missing, events.append)


def test_finetune_without_discriminator_exports_a_loadable_voice(nodisc_workspace: Path, pretrained: Path) -> None:
    from gpt_sovits.checkpoint.s2_official import load_any_s2
    from gpt_sovits.data.labels import load_labels
    from gpt_sovits.data.project import Project
    from gpt_sovits.infer.voice import load_voice
    from gpt_sovits.pretrain.token_readout import TokenReadout, save_readout
    from gpt_sovits.text.symbols import symbols
    from gpt_sovits.voice_format import READOUT_FILE, read_voice_dir

    events: list = []
    project = Project(nodisc_workspace / PROJECT)  # every transcript as Whisper heard it, with little confidence
    project.set_state("label", {e.name: {"avg_logprob": -0.9, "text": e.text} for e in load_labels(project.root)})
    base_dir = pretrained / NO_DISC_PROFILE_NAME
    codes = load_any_s2(base_dir / "s2g.safetensors").config.codebook_size
    save_readout(TokenReadout(codes, len(symbols()) + 1), base_dir / READOUT_FILE)  # as the starter ships one
    try:
        result = finetune(nodisc_workspace / PROJECT, _config(), events.append, pretrained_root=pretrained)
    finally:
        shipped = (base_dir / READOUT_FILE).read_bytes()
        (base_dir / READOUT_FILE).unlink()
    assert not result.cancelled and result.steps["s2"] >= 1 and result.steps["s1"] >= 1
    assert (Path(result.voice_path) / READOUT_FILE).read_bytes() == shipped  # the voice keeps the base's check
    s2_steps = [e for e in events if isinstance(e, StepEvent) and e.stage == "s2"]
    assert s2_steps and all(set(e.losses) == {"g_total", "mel", "kl"} for e in s2_steps)
    assert all(math.isfinite(v) for e in s2_steps for v in e.losses.values())
    notes = [e.message for e in events if isinstance(e, InfoEvent)]
    assert any("ships no discriminator" in note and "mel + KL" in note for note in notes)
    assert not ADVERSARIAL_TERMS & {k.removeprefix("s2_") for k in result.train_losses}
    records = read_metrics(Path(result.run_dir) / "metrics.jsonl")
    assert all(not ADVERSARIAL_TERMS & set(r["losses"]) for r in records if r["kind"] == "step")
    voice = Path(result.voice_path)
    manifest = read_voice_dir(voice)
    assert manifest.profile == NO_DISC_PROFILE_NAME and manifest.steps == result.steps
    # the voice remembers what training said about its reference clip (the Synthesize tab warns again)
    said = [e.code for e in events if isinstance(e, InfoEvent) and e.code.startswith("reference_")]
    assert said == [f"reference_{manifest.reference_doubt}"] and manifest.reference_doubt in ("unsure", "no_clean")
    assert not load_any_s2(voice / "s2g.safetensors").has_enc_q
    loaded = load_voice(voice, Registry(pretrained))
    assert loaded.name == manifest.name and loaded.readout is not None and not loaded.notes
    # the base's decoder is kept (a mel loss alone would blur it); its timbre input may learn
    assert any("decoder (dec) stays" in note for note in notes)
    base = load_any_s2(pretrained / NO_DISC_PROFILE_NAME / "s2g.safetensors").state_dict
    tuned = load_any_s2(voice / "s2g.safetensors").state_dict
    dec = [k for k in base if k.startswith("dec.") and not k.startswith("dec.cond.")]
    assert dec and all(torch.equal(base[k].float(), tuned[k].float()) for k in dec)
    assert not all(torch.equal(base[k].float(), tuned[k].float()) for k in base if k.startswith("enc_p."))


def _steps(stop_at: int | None = None):
    losses: dict[int, dict[str, float]] = {}
    stop = threading.Event()

    def on_event(event) -> None:
        if isinstance(event, StepEvent):
            losses[event.step] = event.losses
            if stop_at is not None and event.step >= stop_at:
                stop.set()

    return losses, stop, on_event


def test_cancelled_s2_without_discriminator_resumes_exactly(nodisc_workspace: Path, pretrained: Path,
                                                           tmp_path: Path) -> None:
    config = _config(s2_batch_size=1, max_steps=2, save_every_steps=1, keep_checkpoints=5)
    other = tmp_path / "other"
    shutil.copytree(nodisc_workspace, other)
    full, _, on_event = _steps()
    finetune_s2(nodisc_workspace / PROJECT, config, on_event, pretrained_root=pretrained)

    first, stop, on_event = _steps(stop_at=1)
    cancelled = finetune_s2(other / PROJECT, config, on_event, stop, pretrained_root=pretrained)
    assert cancelled.cancelled and sorted(first) == [1]
    state = load_training_checkpoint(Path(cancelled.run_dir) / "checkpoints" / "s2-00000001.pt")
    assert state["trainer"]["disc"] is None and state["trainer"]["opt_d"] is None

    resumed, _, on_event = _steps()
    result = finetune_s2(other / PROJECT, TrainConfig.preset("starter"), on_event, resume=True,
                         pretrained_root=pretrained)  # the run's saved config (and base) wins
    assert result.run_id == cancelled.run_id and sorted(resumed) == [2]
    assert set(resumed[2]) == {"g_total", "mel", "kl"}
    for name, value in full[2].items():
        assert resumed[2][name] == pytest.approx(value, rel=1e-5, abs=1e-5), name

    # The base gaining a discriminator mid-run: resuming says so instead of mixing the recipes.
    folder = pretrained / NO_DISC_PROFILE_NAME  # shared by the session: restored below
    original = (folder / "profile.json").read_text()
    try:
        shutil.copy(pretrained / "tiny" / "s2d.safetensors", folder / "s2d.safetensors")
        (folder / "profile.json").write_text(json.dumps({**json.loads(original), "s2d": "s2d.safetensors"}))
        with pytest.raises(CheckpointError, match="cannot resume.*discriminator"):
            finetune_s2(other / PROJECT, config, resume=True, pretrained_root=pretrained)
    finally:
        (folder / "profile.json").write_text(original)
        (folder / "s2d.safetensors").unlink(missing_ok=True)


def test_a_base_with_a_phone_recogniser_fine_tunes_its_decoder_with_the_phone_loss(
        nodisc_workspace: Path, pretrained: Path, tmp_path: Path) -> None:
    """A base that ships ``mel-phones.safetensors`` fine-tunes with the phone loss, and then its
    decoder learns the voice too; at weight 0 the same base keeps its decoder as before."""
    from gpt_sovits.checkpoint.s2_official import load_any_s2
    from gpt_sovits.pretrain.mel_phones import RECOGNIZER_FILE, MelPhoneRecognizer, save_recognizer
    from gpt_sovits.text.symbols import symbols
    from gpt_sovits.train.s2_trainer import decodable_mel_bins

    root = tmp_path / "pretrained"
    shutil.copytree(pretrained, root, symlinks=True)
    folder = root / NO_DISC_PROFILE_NAME
    base = load_any_s2(folder / "s2g.safetensors")
    torch.manual_seed(0)
    save_recognizer(MelPhoneRecognizer(decodable_mel_bins(base.config), len(symbols()) + 1, hidden=16, blocks=1),
                    folder / RECOGNIZER_FILE)
    dec = [k for k in base.state_dict if k.startswith("dec.") and not k.startswith("dec.cond.")]
    for weight in (10.0, 0.0):
        events: list = []
        result = finetune(nodisc_workspace / PROJECT, _config(s2_phone_weight=weight), events.append,
                          pretrained_root=root)
        s2_steps = [e for e in events if isinstance(e, StepEvent) and e.stage == "s2"]
        notes = [e.message for e in events if isinstance(e, InfoEvent)]
        tuned = load_any_s2(Path(result.voice_path) / "s2g.safetensors").state_dict
        same = all(torch.equal(base.state_dict[k].float(), tuned[k].float()) for k in dec)
        if weight:
            assert s2_steps and all(set(e.losses) == {"g_total", "mel", "kl", "phones"} for e in s2_steps)
            assert any("phone recogniser" in note for note in notes) and not same
        else:
            assert all("phones" not in e.losses for e in s2_steps)
            assert any("decoder (dec) stays" in note for note in notes) and same


def test_a_whisper_base_fine_tunes_its_decoder_with_the_whisper_feature_loss(
        nodisc_workspace: Path, pretrained: Path) -> None:
    """With ``s2_whisper_weight`` a base that reads content with Whisper-base fine-tunes S2 with
    the Whisper feature loss on its generated slices, and its decoder learns the voice too."""
    from gpt_sovits.checkpoint.s2_official import load_any_s2

    base = load_any_s2(pretrained / NO_DISC_PROFILE_NAME / "s2g.safetensors")
    events: list = []
    result = finetune(nodisc_workspace / PROJECT, _config(s2_whisper_weight=5.0, s2_prior_weight=1.0,
                                                          s1_epochs=1), events.append, pretrained_root=pretrained)
    s2_steps = [e for e in events if isinstance(e, StepEvent) and e.stage == "s2"]
    assert s2_steps and all(e.losses["wave"] > 0 and e.losses["prior_wave"] > 0 for e in s2_steps)
    assert any("Whisper's encoder" in e.message for e in events if isinstance(e, InfoEvent))
    tuned = load_any_s2(Path(result.voice_path) / "s2g.safetensors").state_dict
    dec = [k for k in base.state_dict if k.startswith("dec.") and not k.startswith("dec.cond.")]
    assert not all(torch.equal(base.state_dict[k].float(), tuned[k].float()) for k in dec)
    with pytest.raises(ValueError, match="s2_whisper_weight"):
        _config(s2_whisper_weight=-1.0)


def test_a_harmonic_base_learns_the_voice_pitch_while_its_decoder_stays(
        nodisc_workspace: Path, pretrained: Path, tmp_path: Path) -> None:
    """A base whose decoder has a harmonic source fine-tunes on the clips' true pitch: the pitch
    predictor learns the voice even while the decoder stays as the base trained it, the voice
    keeps the source (and so no official S2 file, which cannot hold one) and speaks."""
    from gpt_sovits.checkpoint.s2_official import load_any_s2, save_s2
    from gpt_sovits.infer import SynthesisOptions, synthesize
    from gpt_sovits.infer.voice import load_voice
    from gpt_sovits.models.s2.model import SynthesizerTrn
    from gpt_sovits.voice_format import read_voice_dir

    root = tmp_path / "pretrained"
    shutil.copytree(pretrained, root, symlinks=True)
    folder = root / NO_DISC_PROFILE_NAME
    plain = load_any_s2(folder / "s2g.safetensors")
    torch.manual_seed(0)
    gen = SynthesizerTrn(plain.config.replace(harmonic_source=True))
    missing, unexpected = gen.load_state_dict(plain.state_dict, strict=False)
    assert not unexpected and all(k.startswith(("dec.pitch.", "dec.source.")) for k in missing)
    save_s2(folder / "s2g.safetensors", "s2g", gen.cfg, gen.state_dict())
    base = gen.state_dict()
    events: list = []
    result = finetune(nodisc_workspace / PROJECT, _config(s1_epochs=1), events.append, pretrained_root=root)
    s2_steps = [e for e in events if isinstance(e, StepEvent) and e.stage == "s2"]
    assert s2_steps and all(e.losses["pitch"] > 0 and math.isfinite(e.losses["pitch"]) for e in s2_steps)
    assert any("decoder (dec) stays" in e.message for e in events if isinstance(e, InfoEvent))
    voice = Path(result.voice_path)
    tuned = load_any_s2(voice / "s2g.safetensors")
    assert tuned.config.harmonic_source
    changed = {k for k in base if k in tuned.state_dict and not torch.equal(base[k], tuned.state_dict[k].float())}
    dec_changed = {k for k in changed if k.startswith("dec.")}
    assert dec_changed and all(k.startswith(("dec.pitch.", "dec.cond.")) for k in dec_changed)
    manifest = read_voice_dir(voice)
    assert "s2g" not in manifest.official and "s1" in manifest.official
    loaded = load_voice(voice, Registry(root))
    chunks = list(synthesize(loaded, "Good morning.", SynthesisOptions(language="en", seed=1)))
    assert chunks and chunks[0].audio.size > 0 and np.isfinite(chunks[0].audio).all()


def test_an_envelope_base_fine_tunes_its_decoder_by_regression_and_the_whisper_loss_and_speaks(
        nodisc_workspace: Path, pretrained: Path, tmp_path: Path) -> None:
    """A base with the envelope decoder fine-tunes with the envelope regression (no mel or phone
    loss) and the Whisper feature loss on rendered windows where the recipe names one; its decoder
    learns the voice; the voice has no official S2 file (the original cannot run this decoder) and
    speaks."""
    from gpt_sovits.checkpoint.s2_official import load_any_s2
    from gpt_sovits.infer import SynthesisOptions, synthesize
    from gpt_sovits.infer.voice import load_voice
    from gpt_sovits.voice_format import read_voice_dir

    root, base = _envelope_base(pretrained, tmp_path)
    events: list = []
    result = finetune(nodisc_workspace / PROJECT, _config(s1_epochs=1, s2_whisper_weight=100.0), events.append,
                      pretrained_root=root)
    s2_steps = [e for e in events if isinstance(e, StepEvent) and e.stage == "s2"]
    assert s2_steps and all(e.losses["envelope"] > 0 and "mel" not in e.losses and e.losses["wave"] > 0
                            for e in s2_steps)
    assert any(isinstance(e, InfoEvent) and e.code == "envelope_decoder" for e in events)
    voice = Path(result.voice_path)
    tuned = load_any_s2(voice / "s2g.safetensors")
    assert tuned.config.decoder == "envelope"
    assert any(k.startswith("dec.") and not torch.equal(base[k], tuned.state_dict[k].float()) for k in base)
    manifest = read_voice_dir(voice)
    assert "s2g" not in manifest.official and "s1" in manifest.official
    loaded = load_voice(voice, Registry(root))
    chunks = list(synthesize(loaded, "Good morning.", SynthesisOptions(language="en", seed=1)))
    assert chunks and chunks[0].audio.size > 0 and np.isfinite(chunks[0].audio).all()


def _envelope_base(pretrained: Path, tmp_path: Path) -> tuple[Path, dict[str, torch.Tensor]]:
    """A copy of the pretrained root whose no-discriminator base has an envelope decoder at random
    (the rest of its S2 kept); returns the root and the base's S2 state."""
    from gpt_sovits.checkpoint.s2_official import load_any_s2, save_s2
    from gpt_sovits.models.s2.model import SynthesizerTrn

    root = tmp_path / "pretrained"
    shutil.copytree(pretrained, root, symlinks=True)
    folder = root / NO_DISC_PROFILE_NAME
    plain = load_any_s2(folder / "s2g.safetensors")
    torch.manual_seed(0)
    gen = SynthesizerTrn(plain.config.replace(decoder="envelope"))
    gen.load_state_dict({k: v for k, v in plain.state_dict.items() if not k.startswith("dec.")}, strict=False)
    save_s2(folder / "s2g.safetensors", "s2g", gen.cfg, gen.state_dict())
    return root, gen.state_dict()


def test_a_decoder_only_fine_tune_changes_nothing_of_s2_but_its_decoder_and_speaks(
        nodisc_workspace: Path, pretrained: Path, tmp_path: Path) -> None:
    """With ``s2_decoder_only`` (the starter's recipe) the voice's S2 is the base's outside ``dec.``
    bit for bit, its decoder learnt, the run says so, and the voice speaks."""
    from gpt_sovits.checkpoint.s2_official import load_any_s2
    from gpt_sovits.infer import SynthesisOptions, synthesize
    from gpt_sovits.infer.voice import load_voice

    root, base = _envelope_base(pretrained, tmp_path)
    events: list = []
    result = finetune(nodisc_workspace / PROJECT, _config(s1_epochs=1, s2_whisper_weight=100.0, s2_decoder_only=True),
                      events.append, pretrained_root=root)
    assert any(isinstance(e, InfoEvent) and e.code == "envelope_decoder_only" for e in events)
    tuned = load_any_s2(Path(result.voice_path) / "s2g.safetensors").state_dict
    assert any(k.startswith(("enc_p.", "flow.", "ref_enc.")) for k in tuned)  # the voice carries them
    changed = {k for k in tuned if not torch.equal(base[k].to(tuned[k].dtype), tuned[k])}
    assert changed and all(k.startswith("dec.") for k in changed)
    loaded = load_voice(Path(result.voice_path), Registry(root))
    chunks = list(synthesize(loaded, "Good morning.", SynthesisOptions(language="en", seed=1)))
    assert chunks and chunks[0].audio.size > 0 and np.isfinite(chunks[0].audio).all()


def test_a_cancelled_decoder_only_fine_tune_resumes_exactly(nodisc_workspace: Path, pretrained: Path,
                                                             tmp_path: Path) -> None:
    """Stopped after its first step, a decoder-only run of an envelope base resumes onto the same
    second step (same losses) as a run that was never stopped."""
    root, _ = _envelope_base(pretrained, tmp_path)
    config = _config(s2_batch_size=1, max_steps=2, save_every_steps=1, keep_checkpoints=5, s2_decoder_only=True,
                     s2_whisper_weight=100.0)
    other = tmp_path / "other"
    shutil.copytree(nodisc_workspace, other)
    full, _, on_event = _steps()
    finetune_s2(nodisc_workspace / PROJECT, config, on_event, pretrained_root=root)
    first, stop, on_event = _steps(stop_at=1)
    assert finetune_s2(other / PROJECT, config, on_event, stop, pretrained_root=root).cancelled
    resumed, _, on_event = _steps()
    finetune_s2(other / PROJECT, config, on_event, resume=True, pretrained_root=root)
    assert sorted(first) == [1] and sorted(resumed) == [2] and set(full[2]) == set(resumed[2])
    for name, value in full[2].items():
        assert resumed[2][name] == pytest.approx(value, rel=1e-5, abs=1e-5), name
