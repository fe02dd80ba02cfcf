"""Voice management: list, rename, delete to trash, zip export/import (hostile zips too), and
import of official GPT-SoVITS files."""

from __future__ import annotations

import functools
import io
import os
import pickle
import shutil
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from gpt_sovits.checkpoint.s1 import load_s1
from gpt_sovits.checkpoint.s1_official import export_official_s1
from gpt_sovits.checkpoint.s2_official import export_official_s2, load_any_s2, save_s2
from gpt_sovits.data.project import Project, Workspace
from gpt_sovits.errors import AudioFormatError, CheckpointError, ProjectError
from gpt_sovits.voice_format import (
    REFERENCE_WAV,
    S1_FILE,
    S2G_FILE,
    VoiceManifest,
    read_voice_dir,
    write_manifest,
)
from gpt_sovits.voices import (
    delete_voice,
    export_voice_zip,
    import_official,
    import_voice_zip,
    list_voices,
    rename_voice,
    voice_folder_name,
)

SR = 32000


@functools.lru_cache(maxsize=2)
def _tiny_weights(ssl_dim: int) -> tuple:
    """Seeded random tiny S1 + S2 generator (no posterior encoder), like a tiny trained voice."""
    from gpt_sovits.models.s1.config import S1_PRESETS
    from gpt_sovits.models.s1.model import Text2Semantic
    from gpt_sovits.models.s2.config import S2_PRESETS
    from gpt_sovits.models.s2.model import SynthesizerTrn
    from gpt_sovits.tiny_base import TINY_S2_CHANGES

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(ssl_dim)
        s1 = Text2Semantic(S1_PRESETS["tiny"])
        s2_config = S2_PRESETS["tiny"].replace(ssl_dim=ssl_dim, **TINY_S2_CHANGES)
        s2 = SynthesizerTrn(s2_config, with_posterior=False)
    return s1.config, s1.state_dict(), s2_config, s2.state_dict()


def write_reference(path: Path, seconds: float = 4.0) -> Path:
    t = np.arange(int(SR * seconds)) / SR
    sf.write(path, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), SR, subtype="PCM_16")
    return path


def make_tiny_voice(folder: Path, name: str = "Tiny voice", ssl_dim: int = 512) -> Path:
    """A complete voice folder as training exports it (tiny random weights, official copies)."""
    s1_config, s1_state, s2_config, s2_state = _tiny_weights(ssl_dim)
    folder.mkdir(parents=True)
    from gpt_sovits.checkpoint.s1 import save_s1

    save_s1(folder / S1_FILE, (s1_config, s1_state))
    save_s2(folder / S2G_FILE, "s2g", s2_config, s2_state)
    write_reference(folder / REFERENCE_WAV)
    (folder / "official").mkdir()
    export_official_s1(folder / "official" / "tiny.ckpt", s1_config, s1_state, epoch=3)
    export_official_s2(folder / "official" / "tiny.pth", s2_config, s2_state, 2, 10)
    manifest = VoiceManifest(
        name=name, profile="tiny", content_encoder="whisper-base" if ssl_dim == 512 else "hubert",
        languages=["en"], reference_text="A tone.", reference_language="en", data_seconds=12.5,
        steps={"s1": 4, "s2": 6}, official={"s1": "official/tiny.ckpt", "s2g": "official/tiny.pth"})
    write_manifest(folder, manifest)
    return folder


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny voice folder built once for the module; tests copy it."""
    return make_tiny_voice(tmp_path_factory.mktemp("template") / "tiny-voice")


@pytest.fixture(scope="module")
def voice_zip(template: Path) -> Path:
    """The template voice exported as a zip."""
    return export_voice_zip(template, template.parent)


def copy_voice(template: Path, folder: Path, name: str) -> Path:
    shutil.copytree(template, folder)
    manifest = read_voice_dir(folder)
    manifest.name = name
    write_manifest(folder, manifest)
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Workspace(tmp_path / "ws").create_project("voices", languages=["en"])


def _folder_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------------------- list / rename / delete
def test_list_voices_skips_incomplete_and_staging_folders(project: Project, template: Path) -> None:
    copy_voice(template, project.voices_dir / "alice", "Alice")
    (project.voices_dir / "broken").mkdir()
    (project.voices_dir / "broken" / "voice.json").write_text("{not json", encoding="utf-8")
    (project.voices_dir / ".import-1").mkdir()
    voices = list_voices(project)
    assert [(name, m.name, m.steps) for name, m in voices] == [("alice", "Alice", {"s1": 4, "s2": 6})]


def test_voice_folder_names_are_safe_and_distinct() -> None:
    assert voice_folder_name("My voice") == "My-voice"
    chinese = voice_folder_name("小明的声音")  # spelt in pinyin, so a person can tell folders apart
    assert chinese.startswith("xiao-ming-de-sheng-yin-") and chinese != voice_folder_name("小红的声音")
    assert voice_folder_name("李") != voice_folder_name("理")  # same pinyin, different names
    assert voice_folder_name("我的声音-20261205").startswith("wo-de-sheng-yin-20261205-")  # the default name
    assert voice_folder_name("Alice 声音") != voice_folder_name("Alice 你好")
    with pytest.raises(ValueError, match="empty"):
        voice_folder_name("   ")


def test_rename_moves_folder_and_updates_manifest(project: Project, template: Path) -> None:
    copy_voice(template, project.voices_dir / "alice", "Alice")
    before = _folder_files(project.voices_dir / "alice")
    assert rename_voice(project, "alice", "Alice studio") == "Alice-studio"
    assert not (project.voices_dir / "alice").exists()
    moved = project.voices_dir / "Alice-studio"
    assert read_voice_dir(moved).name == "Alice studio"
    assert (moved / "reference.txt").read_text(encoding="utf-8").strip() == "A tone."
    after = _folder_files(moved)
    assert {k: v for k, v in after.items() if k != "voice.json"} == {k: v for k, v in before.items()
                                                                      if k != "voice.json"}


def test_rename_refuses_collisions_and_changes_nothing(project: Project, template: Path) -> None:
    copy_voice(template, project.voices_dir / "alice", "Alice")
    copy_voice(template, project.voices_dir / "bob", "Bob")
    snapshot = {n: _folder_files(project.voices_dir / n) for n in ("alice", "bob")}
    with pytest.raises(ProjectError, match="already exists"):
        rename_voice(project, "alice", "bob")  # Bob's folder
    with pytest.raises(ProjectError, match="already exists"):
        rename_voice(project, "alice", "BOB")  # Bob's display name, any case
    with pytest.raises(ProjectError, match="not a voice"):
        rename_voice(project, "../alice", "Carol")
    assert {n: _folder_files(project.voices_dir / n) for n in ("alice", "bob")} == snapshot
    with Project(project.root).lock("training"):
        with pytest.raises(ProjectError, match="busy"):
            rename_voice(project, "alice", "Carol")
    assert (project.voices_dir / "alice").is_dir()


def test_delete_needs_confirmation_and_moves_to_trash(project: Project, template: Path) -> None:
    copy_voice(template, project.voices_dir / "alice", "Alice")
    before = _folder_files(project.voices_dir / "alice")
    with pytest.raises(ProjectError, match="confirm"):
        delete_voice(project, "alice")
    assert (project.voices_dir / "alice").is_dir()
    trashed = delete_voice(project, "alice", confirm=True)
    assert not (project.voices_dir / "alice").exists() and list_voices(project) == []
    assert trashed.parent == project.trash_dir and _folder_files(trashed) == before
    with pytest.raises(ProjectError, match="no voice"):
        delete_voice(project, "alice", confirm=True)


# ---------------------------------------------------------------------------- zip export / import
def test_zip_round_trip_never_overwrites(project: Project, template: Path, voice_zip: Path) -> None:
    with zipfile.ZipFile(voice_zip) as archive:
        assert sorted(archive.namelist()) == sorted(
            f"tiny-voice/{n}" for n in ("voice.json", "s1.safetensors", "s2g.safetensors", "reference.wav",
                                        "reference.txt", "official/tiny.ckpt", "official/tiny.pth"))
    first = import_voice_zip(project, voice_zip)
    second = import_voice_zip(project, voice_zip)
    assert (first, second) == ("tiny-voice", "tiny-voice-2")
    names = {folder: m.name for folder, m in list_voices(project)}
    assert names == {"tiny-voice": "Tiny voice", "tiny-voice-2": "Tiny voice (2)"}
    original = _folder_files(template)
    imported = _folder_files(project.voices_dir / "tiny-voice")
    assert imported == original
    assert not any((project.root / ".staging").iterdir())


def test_a_voice_with_a_token_readout_travels_with_it_and_a_wrong_one_is_refused(
        project: Project, template: Path, tmp_path: Path) -> None:
    from gpt_sovits.pretrain.token_readout import TokenReadout, save_readout
    from gpt_sovits.text.symbols import symbols
    from gpt_sovits.voice_format import READOUT_FILE

    folder = copy_voice(template, tmp_path / "reading-voice", "Reading voice")
    save_readout(TokenReadout(1024, len(symbols()) + 1), folder / READOUT_FILE)
    with zipfile.ZipFile(export_voice_zip(folder, tmp_path)) as archive:
        assert "reading-voice/token-readout.safetensors" in archive.namelist()
    imported = import_voice_zip(project, tmp_path / "reading-voice.zip")
    assert (project.voices_dir / imported / READOUT_FILE).read_bytes() == (folder / READOUT_FILE).read_bytes()
    save_readout(TokenReadout(64, len(symbols()) + 1), folder / READOUT_FILE)  # another codebook
    with pytest.raises(CheckpointError, match="another codebook"):
        import_voice_zip(project, export_voice_zip(folder, tmp_path / "wrong.zip"))
    assert [f for f, _ in list_voices(project)] == [imported]


def _zip_with(path: Path, voice_zip: Path, extra: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    """A copy of the good voice zip plus hostile entries."""
    with zipfile.ZipFile(voice_zip) as good, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bad:
        for info in good.infolist():
            bad.writestr(info, good.read(info))
        for info, data in extra:
            bad.writestr(info, data)
    return path


def _symlink_entry(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


@pytest.mark.parametrize("entry, match", [
    (("../evil.txt", b"x"), "unsafe path"),
    (("tiny-voice/../../evil.txt", b"x"), "unsafe path"),
    (("/tmp/evil.txt", b"x"), "unsafe path"),
    (("tiny-voice\\..\\evil.txt", b"x"), "unsafe path"),
    (_symlink_entry("tiny-voice/official/link.ckpt", "/etc/passwd"), "symbolic link"),
    (("tiny-voice/official/zeros.ckpt", bytes(8 << 20)), "zip bomb"),
])
def test_hostile_zips_are_refused_before_writing(project: Project, voice_zip: Path, tmp_path: Path,
                                                 entry: tuple, match: str) -> None:
    bad = _zip_with(tmp_path / "bad.zip", voice_zip, [entry])
    with pytest.raises(CheckpointError, match=match):
        import_voice_zip(project, bad)
    assert list_voices(project) == [] and not (tmp_path / "evil.txt").exists()
    assert not any(project.voices_dir.iterdir())


def test_oversize_and_malformed_zips_are_refused(project: Project, voice_zip: Path, tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="GB"):
        import_voice_zip(project, voice_zip, max_bytes=1 << 20)
    (tmp_path / "not.zip").write_bytes(b"hello")
    with pytest.raises(CheckpointError, match="not a readable zip"):
        import_voice_zip(project, tmp_path / "not.zip")
    with zipfile.ZipFile(tmp_path / "empty.zip", "w") as archive:
        archive.writestr("readme.txt", "no voice here")
    with pytest.raises(CheckpointError, match="exactly one voice"):
        import_voice_zip(project, tmp_path / "empty.zip")
    assert not any(project.voices_dir.iterdir())


def test_zip_with_bad_weights_or_pickled_code_is_refused(project: Project, voice_zip: Path,
                                                         tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    buffer = io.BytesIO()
    torch.save({"weight": {}, "config": Evil()}, buffer, pickle_module=pickle)
    for name, data, match in [("s1.safetensors", b"garbage", "not a valid weights file"),
                              ("official/tiny.ckpt", buffer.getvalue(), "refused to load")]:
        bad = tmp_path / "bad.zip"
        with zipfile.ZipFile(voice_zip) as good, zipfile.ZipFile(bad, "w") as out:
            for info in good.infolist():
                out.writestr(info, data if info.filename == f"tiny-voice/{name}" else good.read(info))
        with pytest.raises(CheckpointError, match=match):
            import_voice_zip(project, bad)
    assert not marker.exists()
    assert not any(project.voices_dir.iterdir())


# ---------------------------------------------------------------------------- official files
def test_import_official_files_of_a_tiny_voice(project: Project, template: Path, tmp_path: Path) -> None:
    source = template
    ckpt, pth = source / "official" / "tiny.ckpt", source / "official" / "tiny.pth"
    ref = write_reference(tmp_path / "ref.wav", seconds=5.0)
    folder = import_official(project, ckpt, pth, ref, " Hello there. ", "小明 voice", reference_language="en")
    voice = project.voices_dir / folder
    manifest = read_voice_dir(voice)
    assert (manifest.name, manifest.profile, manifest.content_encoder, manifest.bert) == (
        "小明 voice", "custom", "whisper-base", None)
    assert manifest.reference_text == "Hello there." and manifest.reference_language == "en"
    assert (voice / manifest.official["s1"]).read_bytes() == ckpt.read_bytes()
    assert (voice / manifest.official["s2g"]).read_bytes() == pth.read_bytes()
    s1_config, s1_state, s2_config, s2_state = _tiny_weights(512)
    config, state = load_s1(voice / S1_FILE)
    assert config == s1_config
    assert all(torch.equal(state[k], s1_state[k].half().float()) for k in s1_state)  # fp16 official copy
    s2 = load_any_s2(voice / S2G_FILE)
    assert s2.source == "ours" and not s2.has_enc_q and s2.config.ssl_dim == 512
    assert all(torch.equal(s2.state_dict[k], s2_state[k].half().float()) for k in s2_state)
    assert sf.info(str(voice / REFERENCE_WAV)).samplerate == SR
    again = import_official(project, ckpt, pth, ref, "Hello there.", "小明 voice")
    assert again != folder and {m.name for _, m in list_voices(project)} == {"小明 voice", "小明 voice (2)"}


def test_import_official_v2_shapes_use_hubert_and_roberta(project: Project, tmp_path: Path) -> None:
    source = make_tiny_voice(tmp_path / "trained", ssl_dim=768)
    folder = import_official(project, source / "official" / "tiny.ckpt", source / "official" / "tiny.pth",
                             source / REFERENCE_WAV, "A tone.", "v2 voice")
    manifest = read_voice_dir(project.voices_dir / folder)
    assert (manifest.profile, manifest.content_encoder, manifest.bert) == ("gsv-v2", "hubert", "roberta")


def test_import_official_refuses_bad_reference_and_swapped_files(project: Project, template: Path,
                                                                  tmp_path: Path) -> None:
    source = template
    ckpt, pth = source / "official" / "tiny.ckpt", source / "official" / "tiny.pth"
    with pytest.raises(AudioFormatError, match="1.0 s long"):
        import_official(project, ckpt, pth, write_reference(tmp_path / "short.wav", 1.0), "Hi.", "short")
    with pytest.raises(CheckpointError):
        import_official(project, pth, ckpt, source / REFERENCE_WAV, "Hi.", "swapped")
    assert list_voices(project) == [] and not any(project.voices_dir.iterdir())
