"""``pretrain-melody``: what it refuses, with the reason, and that it never overwrites a file."""

from __future__ import annotations

from gpt_sovits.cli import main
from gpt_sovits.data.project import Workspace
from gpt_sovits.registry import default_pretrained_root

READOUT = default_pretrained_root() / "starter" / "token-readout.safetensors"


def test_an_existing_output_is_never_overwritten(tmp_path, capsys) -> None:
    out = tmp_path / "melody.safetensors"
    out.write_bytes(b"the user's file")
    assert main(["pretrain-melody", str(tmp_path), "--out", str(out), "--readout", str(READOUT)]) == 1
    assert "exists" in capsys.readouterr().err and out.read_bytes() == b"the user's file"


def test_a_missing_readout_a_bad_blend_and_a_corpus_without_features_are_explained(tmp_path, capsys) -> None:
    out = tmp_path / "melody.safetensors"
    assert main(["pretrain-melody", str(tmp_path), "--out", str(out), "--readout", str(tmp_path / "none.safetensors")]) == 1
    assert "token-readout" in capsys.readouterr().err
    assert main(["pretrain-melody", str(tmp_path), "--out", str(out), "--readout", str(READOUT), "--blend", "1.5"]) == 1
    assert "outside 0..1" in capsys.readouterr().err
    assert main(["pretrain-melody", str(tmp_path), "--out", str(out), "--readout", str(READOUT)]) == 1
    assert "not a project folder" in capsys.readouterr().err
    corpus = Workspace(tmp_path / "ws").create_project("corpus", ["zh"]).root  # a project with no features yet
    assert main(["pretrain-melody", str(corpus), "--out", str(out), "--readout", str(READOUT)]) == 1
    assert "build its features first" in capsys.readouterr().err and not out.exists()
