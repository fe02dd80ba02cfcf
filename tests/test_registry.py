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
    assert "S2D" in " ".join(Registry(tmp_path).profiles()[1].missing)


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
    assert prof.title == "Mine" and not prof.can_train  # no discriminator
    (folder / "profile.json").write_text("{not json")
    broken = next(p for p in Registry(tmp_path).profiles() if p.name == "myvoicebase")
    assert not broken.available and "profile.json" in broken.fix


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
