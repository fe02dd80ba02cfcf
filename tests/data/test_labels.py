""".list reading/writing in the original format and proofreading operations with undo."""

from __future__ import annotations

import numpy as np
import pytest

from gpt_sovits.audio.io import read_wav, write_wav
from gpt_sovits.data import labels as lab
from gpt_sovits.data.labels import LabelEntry
from gpt_sovits.data.project import Workspace
from gpt_sovits.errors import ProjectError

SR = 32000


def test_parse_accepts_the_original_language_variants():
    text = "\ufeff" + "\n".join([
        "/abs/a.wav|spk|ZH|你好",
        "b.wav|spk|zh|再见",
        "c.wav|spk|En|hello",
        "d.wav|spk|en|x|y",
        "e.wav|spk|JP|こんにちは",
        "f.wav|spk|ja|はい",
        "g.wav|spk|Ko|안녕",
        "h.wav|spk|Yue|你好",
        "i.wav|spk|FR|bonjour",
        "broken line",
        "",
    ])
    entries, warnings = lab.parse_list(text)
    assert [e.lang for e in entries] == ["zh", "zh", "en", "en", "ja", "ja", "ko", "yue"]
    assert entries[3].text == "x|y" and entries[0].name == "a.wav"
    assert len(warnings) == 2 and "FR" in warnings[0] and "line 10" in warnings[1]


def test_write_uses_upper_case_and_sanitises_fields(tmp_path):
    entries = [LabelEntry("slices/a.wav", "me|you", "zh", "你好|\n世界"), LabelEntry("C:\\x\\b.wav", "me", "en", "hi")]
    lab.write_list(tmp_path / "l.list", entries)
    lines = (tmp_path / "l.list").read_text("utf-8").splitlines()
    assert lines == ["slices/a.wav|me you|ZH|你好 世界", "C:\\x\\b.wav|me|EN|hi"]
    assert lab.read_list(tmp_path / "l.list")[0][1].name == "b.wav"


def test_parse_slice_name():
    assert lab.parse_slice_name("take_1_0000000100_0000032100.wav") == ("take_1", 100, 32100)
    assert lab.parse_slice_name("x_0000000100_0000032100_2.wav") == ("x", 100, 32100)
    assert lab.parse_slice_name("free.wav") is None


@pytest.fixture
def project(tmp_path):
    project = Workspace(tmp_path / "ws").create_project("proof")
    entries = []
    for k, (text, seconds) in enumerate([("第一句", 1.0), ("第二句", 1.5), ("第三句", 2.0)]):
        start = k * 100000
        name = f"rec_{start:010d}_{start + int(seconds * SR):010d}.wav"
        write_wav(project.slices_dir / name, np.full(int(seconds * SR), 0.1 * (k + 1), np.float32), SR)
        entries.append(LabelEntry(f"slices/{name}", "proof", "zh", text))
    lab.save_labels(project.root, entries)
    return project


def names(project):
    return [e.name for e in lab.load_labels(project.root)]


def snapshot(project):
    files = {p.name: p.read_bytes() for p in project.slices_dir.iterdir()}
    return project.labels_path.read_text("utf-8"), files


def test_edit_and_undo(project):
    before = snapshot(project)
    first = names(project)[0]
    lab.edit_text(project, first, "改过的|文本")
    assert lab.load_labels(project.root)[0].text == "改过的 文本"
    assert lab.history(project) == [f"edit text of {first}"]
    assert lab.undo(project) == f"edit text of {first}"
    assert snapshot(project) == before
    assert lab.undo(project) is None


def test_delete_moves_to_trash_and_undo_restores(project):
    before = snapshot(project)
    victim = names(project)[1]
    lab.delete_slice(project, victim)
    assert victim not in names(project) and not (project.slices_dir / victim).exists()
    trashed = [p for p in project.trash_dir.iterdir() if p.name.endswith(victim)]
    assert len(trashed) == 1 and trashed[0].read_bytes() == before[1][victim]
    lab.undo(project)
    assert snapshot(project) == before


def test_merge_neighbours_concatenates_with_gap(project):
    before = snapshot(project)
    a, b, c = names(project)
    with pytest.raises(ProjectError, match="neighbouring"):
        lab.merge_slices(project, [a, c])
    new = lab.merge_slices(project, [a, b], gap_s=0.25)
    assert new == "rec_0000000000_0000148000.wav"
    assert names(project) == [new, c]
    assert lab.load_labels(project.root)[0].text == "第一句第二句"
    audio, sr = read_wav(project.slices_dir / new)
    assert audio.shape[0] == int(1.0 * SR) + int(0.25 * SR) + int(1.5 * SR)
    assert np.allclose(audio[int(1.1 * SR)], 0.0) and audio[-1] == pytest.approx(0.2, abs=1e-3)
    assert not (project.slices_dir / a).exists()
    lab.undo(project)
    assert snapshot(project) == before


def test_merge_joins_english_with_spaces(project):
    entries = [e.__class__(e.path, e.speaker, "en", t) for e, t in zip(lab.load_labels(project.root),
                                                                      ["Hello", "world", "again"], strict=True)]
    lab.save_labels(project.root, entries)
    new = lab.merge_slices(project, names(project)[1:])
    assert lab.load_labels(project.root)[1].text == "world again" and names(project)[1] == new


def test_split_and_undo(project):
    before = snapshot(project)
    target = names(project)[2]
    left, right = lab.split_slice(project, target, 0.5, texts=("第三", "句"))
    assert left == "rec_0000200000_0000216000.wav" and right == "rec_0000216000_0000264000.wav"
    assert read_wav(project.slices_dir / left)[0].shape[0] == 16000
    assert read_wav(project.slices_dir / right)[0].shape[0] == 48000
    assert [e.text for e in lab.load_labels(project.root)][2:] == ["第三", "句"]
    with pytest.raises(ProjectError, match="inside"):
        lab.split_slice(project, left, 0.01)
    lab.undo(project)
    assert snapshot(project) == before


def test_split_without_texts_leaves_right_empty(project):
    left, right = lab.split_slice(project, names(project)[0], 0.4)
    texts = {e.name: e.text for e in lab.load_labels(project.root)}
    assert texts[left] == "第一句" and texts[right] == ""


def test_undo_history_survives_reopening_and_is_lifo(project):
    from gpt_sovits.data.project import Project

    before = snapshot(project)
    a = names(project)[0]
    lab.edit_text(project, a, "one")
    lab.delete_slice(project, names(project)[1])
    lab.merge_slices(project, names(project))
    reopened = Project(project.root)
    assert len(lab.history(reopened)) == 3
    for _ in range(3):
        lab.undo(reopened)
    assert snapshot(project) == before


def test_ops_refuse_while_project_busy(project):
    from gpt_sovits.data.project import Project

    with Project(project.root).lock("labelling"):
        with pytest.raises(ProjectError, match="busy"):
            lab.edit_text(project, names(project)[0], "x")


def test_export_absolute_and_relative_then_import(project, tmp_path):
    out = lab.export_list(project.root, tmp_path / "exp" / "abs.list", absolute=True)
    entries, _ = lab.read_list(out)
    assert all(e.path.startswith(str(project.slices_dir.resolve())) for e in entries)
    rel = lab.export_list(project.root, tmp_path / "rel.list", absolute=False)
    rel_entries, _ = lab.read_list(rel)
    assert (tmp_path / rel_entries[0].path).resolve() == (project.slices_dir / entries[0].name).resolve()
    assert "|ZH|" in rel.read_text("utf-8")

    other = Workspace(tmp_path / "ws2").create_project("other")
    count, warnings = lab.import_list(other.root, rel)
    assert count == 3 and not warnings
    assert [e.text for e in lab.load_labels(other.root)] == ["第一句", "第二句", "第三句"]
    assert all((other.slices_dir / e.name).is_file() for e in lab.load_labels(other.root))


def test_import_with_audio_dir_uses_basenames_and_skips_bad_audio(project, tmp_path):
    listing = tmp_path / "orig.list"
    good = names(project)[0]
    (tmp_path / "bad.wav").write_text("not audio")
    listing.write_text(f"D:/elsewhere/{good}|spk|zh|你好\nD:/elsewhere/bad.wav|spk|EN|bad\n", "utf-8")
    other = Workspace(tmp_path / "ws3").create_project("o")
    count, warnings = lab.import_list(other.root, listing, audio_dir=project.slices_dir)
    assert count == 1 and len(warnings) == 1 and "bad.wav" in warnings[0]
    assert lab.load_labels(other.root)[0].path == f"slices/{good}"
