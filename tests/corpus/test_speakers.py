"""Speaker distinctness (`corpus speakers`): matrix, nearest speakers, flags, CLI output."""

from __future__ import annotations

import argparse
import json
import shutil

import numpy as np
import pytest

from gpt_sovits.corpus.speakers import (
    SpeakerEmbeddings,
    check_distinctness,
    compare_with_speakers,
    flag_pairs,
    format_table,
    pick_utterances,
    similarity_matrix,
    spread,
)
from gpt_sovits.errors import ProjectError


def test_spread_keeps_first_and_last():
    assert spread(list(range(10)), 3) == [0, 4, 9] or spread(list(range(10)), 3) == [0, 5, 9]
    assert spread([1, 2], 5) == [1, 2]
    assert spread([7, 8, 9], 1) == [7]


def test_similarity_matrix_and_flags():
    e = np.eye(3, dtype=np.float32)
    near = (e[0] + 0.1 * e[1]) / np.linalg.norm(e[0] + 0.1 * e[1])
    matrix = similarity_matrix([e[0], near, e[2], None])  # [4, 4]
    assert matrix.shape == (4, 4)
    assert np.allclose(np.diag(matrix)[:3], 1.0) and np.isnan(matrix[3]).all()
    assert np.allclose(matrix, matrix.T, equal_nan=True)
    assert flag_pairs(["x", "y", "z", "w"], matrix, 0.9) == [["x", "y", pytest.approx(0.995, abs=1e-3)]]
    assert flag_pairs(["x", "y", "z", "w"], matrix, 0.999) == []


def test_pick_utterances_spreads_and_checks(tone_corpus, tmp_path):
    picked = pick_utterances(tone_corpus, 2)
    assert sorted(picked) == ["a", "b", "c"]
    assert [p.name for p in picked["a"]] == ["a_00000.wav", "a_00003.wav"]
    (tone_corpus / "slices" / "c_00000.wav").unlink()
    assert len(pick_utterances(tone_corpus, 10)["c"]) == 3
    with pytest.raises(ProjectError, match="labels.list"):
        pick_utterances(tmp_path / "nowhere", 2)


def test_check_distinctness_finds_the_twin(tone_corpus, fake_embedder):
    report = check_distinctness(tone_corpus, per_speaker=4, threshold=0.9, embedder=fake_embedder)
    assert fake_embedder.calls == 12
    assert report.speakers == ["a", "b", "c"]
    rows = {r.speaker: r for r in report.rows}
    assert rows["a"].nearest == "b" and rows["b"].nearest == "a"
    assert rows["a"].nearest_similarity > 0.9 > rows["c"].nearest_similarity
    assert all(r.utterances == 4 and r.self_similarity > 0.95 for r in report.rows)
    assert [pair[:2] for pair in report.flagged] == [["a", "b"]]
    assert report.matrix[0][2] < 0.2 and report.matrix[2][0] == report.matrix[0][2]
    assert report.same_speaker["count"] == 3 and report.different_speaker["count"] == 3
    table = format_table(report)
    assert "a ~ b" in table and "1 pair(s) above 0.90" in table
    json.dumps(report.to_dict())  # serialisable


def test_compare_with_speakers_reports_margin():
    e = np.eye(4, dtype=np.float32)
    target = SpeakerEmbeddings("new", ["1", "2"], [e[0], e[0]])
    other = SpeakerEmbeddings("old", ["3"], [(e[0] + e[1]) / np.sqrt(2)])
    far = SpeakerEmbeddings("far", ["4"], [e[2]])
    result = compare_with_speakers(target, [far, other])
    assert result["nearest"] == "old" and list(result["others"]) == ["old", "far"]
    assert result["self_similarity"] == pytest.approx(1.0)
    assert result["margin"] == pytest.approx(1 - 1 / np.sqrt(2), abs=1e-3)


def _cli_args(corpus, **overrides):
    from gpt_sovits.cli import corpus as cli

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    argv = ["speakers", str(corpus)] + [f"--{k.replace('_', '-')}={v}" for k, v in overrides.items()]
    return cli, parser.parse_args(argv)


def test_cli_prints_table_and_json(tone_corpus, fake_embedder, monkeypatch, capsys):
    from gpt_sovits.evaluation import speaker

    monkeypatch.setattr(speaker, "SpeakerEncoder", lambda: fake_embedder)
    cli, args = _cli_args(tone_corpus, per_speaker=3, threshold=0.9)
    assert cli.run(args) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out.strip().splitlines()[-1])
    assert data["per_speaker"] == 3 and data["flagged"][0][:2] == ["a", "b"]
    assert "nearest" in captured.err and "a ~ b" in captured.err


def test_cli_fails_cleanly_without_labels(tmp_path, capsys):
    cli, args = _cli_args(tmp_path)
    assert cli.run(args) == 1
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["ok"] is False


@pytest.mark.slow
def test_resemblyzer_tells_espeak_voices_apart(tmp_path):
    """Real encoder on two espeak-ng voices: each voice is closer to itself than to the other
    (measured: self 0.94-0.95, cross 0.59)."""
    pytest.importorskip("resemblyzer")
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed")
    import subprocess

    root = tmp_path / "c"
    (root / "slices").mkdir(parents=True)
    lines = []
    texts = ("The quick brown fox jumps over the lazy dog.", "Please close the window before you leave.",
             "My brother bought three green apples today.", "We walked along the river until it got dark.")
    for voice, pitch in (("en-us+m1", "15"), ("en-us+f2", "90")):
        for i, text in enumerate(texts):
            name = f"slices/{voice.replace('+', '-')}_{i}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-p", pitch, "-w", str(root / name), text], check=True)
            lines.append(f"{name}|{voice}|EN|{text}")
    (root / "labels.list").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = check_distinctness(root, per_speaker=4, threshold=0.85)
    cross = report.matrix[0][1]
    assert all(r.self_similarity > cross for r in report.rows), (report.rows, cross)
