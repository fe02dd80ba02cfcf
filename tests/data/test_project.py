"""Workspace and project folders: names, uploads, duplicates, locking, rename and delete."""

from __future__ import annotations

import json
import multiprocessing

import pytest

from gpt_sovits.data.project import (
    SUBDIRS,
    Project,
    Workspace,
    folder_name_for,
    safe_upload_name,
    validate_display_name,
)
from gpt_sovits.errors import ProjectError


@pytest.fixture
def ws(tmp_path):
    return Workspace(tmp_path / "workspace")


def test_create_project_layout_and_metadata(ws):
    project = ws.create_project("Alice's Voice", languages=["zh", "en"], base_profile="gsv-v2")
    assert project.root.name == "alice-s-voice"
    for sub in SUBDIRS:
        assert (project.root / sub).is_dir()
    meta = json.loads((project.root / "project.json").read_text("utf-8"))
    assert meta["name"] == "Alice's Voice" and meta["languages"] == ["zh", "en"]
    assert meta["base_profile"] == "gsv-v2" and meta["created"] and meta["pipeline"] == {}
    assert project.features_dir("gsv-v2") == project.root / "features" / "gsv-v2"
    with pytest.raises(ProjectError):
        project.features_dir("../x")


@pytest.mark.parametrize("name", ["小明的声音", "🎤 🎤", "my voice 🎤", "  spaced   name  "])
def test_unicode_display_names_get_safe_unique_folders(ws, name):
    a = ws.create_project(name)
    b = ws.create_project(name)
    assert a.root != b.root
    for p in (a, b):
        assert p.root.parent == ws.root
        assert p.root.name.isascii() and "/" not in p.root.name
        assert p.meta.name == name.strip()
    assert ws.open_project(name.strip()).root == a.root


@pytest.mark.parametrize("bad", ["", "   ", "a/b", "..", ".", "x\\y", "tab\tname", "x" * 81])
def test_bad_display_names_are_rejected(ws, bad):
    with pytest.raises(ProjectError):
        ws.create_project(bad)


def test_name_helpers():
    assert validate_display_name("  Wait...  ") == "Wait..."
    assert folder_name_for("CON") != "con"
    assert folder_name_for("Émilie Ünïcode") == "emilie-unicode"
    assert folder_name_for("我的声音 2") == "wo-de-sheng-yin-2"


@pytest.mark.parametrize(("original", "expected"), [
    ("my recording.WAV", "my-recording.wav"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\x\\voice memo.m4a", "voice-memo.m4a"),
    ("录音 🎤.mp3", "lu-yin.mp3"),
    ("🎤.mp3", "upload.mp3"),
    ("..", "upload"),
    ("take|1.flac", "take-1.flac"),
])
def test_upload_names_are_sanitised(original, expected):
    assert safe_upload_name(original, set()) == expected


def test_upload_names_are_deduplicated_by_stem():
    assert safe_upload_name("a.mp3", {"a", "a_2"}) == "a_3.mp3"
    assert safe_upload_name("A.wav", {"a"}) == "A_2.wav"


def test_import_copies_bytes_and_recognises_duplicates(ws, tmp_path):
    project = ws.create_project("p")
    src = tmp_path / "take one.wav"
    src.write_bytes(b"RIFF-not-really-audio-but-bytes")
    first = project.import_file(src)
    assert not first.duplicate and first.name == "take-one.wav"
    assert (project.raw_dir / first.name).read_bytes() == src.read_bytes()
    again = project.import_file(src, original_name="other name.wav")
    assert again.duplicate and again.name == first.name
    assert len(list(project.raw_dir.iterdir())) == 1
    other = tmp_path / "x" / "take one.wav"
    other.parent.mkdir()
    other.write_bytes(b"different bytes")
    third = project.import_file(other)
    assert third.name == "take-one_2.wav" and len(project.raw_files()) == 2
    assert project.meta.raw[first.name]["original_name"] == "take one.wav"


def _try_lock(root, queue):
    try:
        with Project(root).lock("other process"):
            queue.put("acquired")
    except ProjectError as exc:
        queue.put(str(exc))


def test_lock_blocks_a_second_holder_with_a_clear_error(ws):
    project = ws.create_project("busy")
    with project.lock("slicing"):
        with project.lock("nested is fine"):
            pass
        with pytest.raises(ProjectError, match="busy .*slicing"):
            with Project(project.root).lock():
                pass
        queue = multiprocessing.get_context("fork").Queue()
        proc = multiprocessing.get_context("fork").Process(target=_try_lock, args=(project.root, queue))
        proc.start()
        proc.join(60)
        assert "busy" in queue.get(timeout=60)
    with Project(project.root).lock():
        pass


def test_list_rename_delete(ws):
    a = ws.create_project("First")
    ws.create_project("Second")
    assert {m.name for m in ws.list_projects()} == {"First", "Second"}
    (a.raw_dir / "keep.wav").write_bytes(b"data")
    renamed = ws.rename_project("first", "Renamed 🎤")
    assert renamed.root.name == "renamed" and not a.root.exists()
    assert (renamed.raw_dir / "keep.wav").read_bytes() == b"data"
    assert renamed.meta.name == "Renamed 🎤" and renamed.meta.folder == "renamed"
    with pytest.raises(ProjectError, match="confirm=True"):
        ws.delete_project("renamed")
    assert renamed.root.exists()
    ws.delete_project("renamed", confirm=True)
    assert not renamed.root.exists()
    with pytest.raises(ProjectError, match="no project"):
        ws.open_project("renamed")
    with pytest.raises(ProjectError):
        ws.open_project("../workspace")


def test_rename_refused_while_busy(ws):
    project = ws.create_project("Busy one")
    with project.lock("training"):
        with pytest.raises(ProjectError, match="busy"):
            ws.rename_project("busy-one", "New")
    assert project.root.exists()


def test_meta_roundtrip_and_state(ws):
    project = ws.create_project("s")
    project.set_state("clean", {"a.wav": {"status": "ok"}})
    assert project.state("clean") == {"a.wav": {"status": "ok"}}
    assert Project(project.root).meta.pipeline["clean"]["a.wav"]["status"] == "ok"
    with pytest.raises(ProjectError, match="not a project folder"):
        Project(ws.root)
