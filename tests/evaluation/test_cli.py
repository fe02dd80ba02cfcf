"""``python -m gpt_sovits eval-clone`` argument errors: clear messages, no model work, nothing overwritten."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gpt_sovits.cli import main


@pytest.fixture
def texts(tmp_path: Path) -> Path:
    path = tmp_path / "texts.txt"
    path.write_text("Hello there.\n", encoding="utf-8")
    return path


def _run(capsys, *args: str) -> tuple[int, str, dict]:
    code = main(["eval-clone", *args])
    captured = capsys.readouterr()
    return code, captured.err, json.loads(captured.out.strip().splitlines()[-1])


def test_help_lists_the_command(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0 and "eval-clone" in capsys.readouterr().out


def test_unknown_language_is_an_argument_error(clips, texts: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["eval-clone", "--lang", "fr", "--texts", str(texts), "--ref", str(clips.male[0]), "--zero-shot"])
    assert exc.value.code == 2 and "invalid choice: 'fr'" in capsys.readouterr().err


@pytest.mark.parametrize(("case", "expected"), [
    ("missing_texts", "--texts: .* not found"),
    ("empty_texts", "has no text"),
    ("missing_ref", "--ref: .* not found"),
    ("missing_train", "--train: not found"),
    ("no_train", "or use --zero-shot"),
    ("bad_corpus", "--corpus: .* corpus build"),
])
def test_bad_inputs_exit_2_with_a_message(case: str, expected: str, clips, texts: Path, tmp_path: Path,
                                          capsys) -> None:
    args = {"--lang": "en", "--texts": str(texts), "--ref": str(clips.male[0]), "--train": str(clips.male[1])}
    if case == "missing_texts":
        args["--texts"] = str(tmp_path / "nope.txt")
    elif case == "empty_texts":
        texts.write_text("\n   \n", encoding="utf-8")
    elif case == "missing_ref":
        args["--ref"] = str(tmp_path / "nope.wav")
    elif case == "missing_train":
        args["--train"] = str(tmp_path / "nope.wav")
    elif case == "no_train":
        del args["--train"]
    else:
        args["--corpus"] = str(tmp_path)
    code, err, report = _run(capsys, *[x for pair in args.items() for x in pair])
    assert code == 2 and report["ok"] is False
    assert re.search(expected, report["error"]), report["error"]
    assert err.startswith("error: ")


def test_non_empty_out_folder_is_refused_and_left_alone(clips, texts: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.wav").write_bytes(b"user data")
    code, _, report = _run(capsys, "--zero-shot", "--lang", "en", "--texts", str(texts), "--ref", str(clips.male[0]),
                           "--out", str(out))
    assert code == 2 and "not empty" in report["error"] and "new or empty folder" in report["error"]
    assert [p.name for p in out.iterdir()] == ["mine.wav"] and (out / "mine.wav").read_bytes() == b"user data"


def test_missing_base_gives_the_registry_fix(clips, texts: Path, tmp_path: Path, capsys) -> None:
    pytest.importorskip("resemblyzer")
    code, err, report = _run(capsys, "--zero-shot", "--lang", "en", "--texts", str(texts), "--ref",
                             str(clips.male[0]), "--base", "no-such-base", "--pretrained", str(tmp_path))
    assert code == 1 and "unknown base model 'no-such-base'" in report["error"] and "error:" in err


def test_fine_tune_overrides_reach_the_config(texts: Path) -> None:
    """The trial flags land in EvalCloneConfig; left out, they keep the base's recipe (None)."""
    import argparse

    from gpt_sovits.cli.eval_clone import add_arguments, build_config

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    common = ["--lang", "en", "--texts", str(texts), "--ref", "ref.wav"]
    config = build_config(parser.parse_args([*common, "--s2-prior-weight", "1", "--s2-freeze-decoder",
                                             "--train-seed", "7", "--seed", "3", "8", "--s2-decoder-only"]))
    assert (config.s2_prior_weight, config.s2_freeze_decoder, config.train_seed, config.seeds) == (1.0, True, 7, [3, 8])
    assert config.s2_decoder_only is True
    assert build_config(parser.parse_args([*common, "--no-s2-decoder-only"])).s2_decoder_only is False
    plain = build_config(parser.parse_args(common))
    assert (plain.s2_prior_weight, plain.s2_freeze_decoder, plain.train_seed, plain.s1_lr) == (None, None, None, None)
    assert plain.s2_decoder_only is None
    assert plain.seeds == [1234]
