from __future__ import annotations

import json
import shutil

import soundfile as sf

from gpt_sovits.cli import main
from gpt_sovits.infer import pipeline
from tests.infer.conftest import tiny_models  # noqa: F401
from tests.infer.test_pipeline import plausible_generate


def reference_free_voice(tiny_models, tmp_path):  # noqa: F811
    folder = tmp_path / "voice"
    shutil.copytree(tiny_models.voice_dir, folder)
    manifest = json.loads((folder / "voice.json").read_text(encoding="utf-8"))
    (folder / "voice.json").write_text(json.dumps({**manifest, "reference_text": ""}), encoding="utf-8")
    return folder


def test_synth_writes_audio_and_prints_a_json_summary(tiny_models, tmp_path, capsys, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setattr(pipeline, "generate", plausible_generate())
    voice = reference_free_voice(tiny_models, tmp_path)
    text_file = tmp_path / "story.txt"
    text_file.write_text("今天天气很好，我们去公园散步吧。Hello world!", encoding="utf-8")
    out = tmp_path / "out" / "story.wav"
    code = main(["synth", "--voice", str(voice), "--text-file", str(text_file), "--out", str(out),
                 "--seed", "7", "--noise-scale", "0.3", "--speed", "1.25", "--top-k", "10", "--pause", "0.2"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"audio_seconds", "wall_seconds", "rtf", "first_audio_latency", "segments", "retries"} <= set(summary)
    assert summary["segments"] == 3 and summary["retries"] == 0
    audio, sr = sf.read(out)
    assert sr == 32000 and abs(len(audio) / sr - summary["audio_seconds"]) < 0.01


def test_synth_compressed_format_and_bad_options(tiny_models, tmp_path, capsys, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setattr(pipeline, "generate", plausible_generate())
    voice = reference_free_voice(tiny_models, tmp_path)
    out = tmp_path / "hi.ogg"
    assert main(["synth", "--voice", str(voice), "--text", "Hello there, my friend.", "--out", str(out)]) == 0
    assert out.read_bytes()[:4] == b"OggS"
    assert main(["synth", "--voice", str(voice), "--text", "hi", "--out", str(out), "--top-p", "7"]) == 2
    assert "top_p" in capsys.readouterr().err
    assert main(["synth", "--base", "starter", "--text", "hi", "--out", str(out)]) == 2


def test_keeping_the_reference_pitch_is_on_unless_turned_off() -> None:
    import argparse

    from gpt_sovits.cli.synth import _options, add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    base = ["--base", "starter", "--text", "hi", "--out", "x.wav"]
    assert _options(parser.parse_args(base), {}).keep_reference_pitch is True
    assert _options(parser.parse_args([*base, "--no-keep-reference-pitch"]), {}).keep_reference_pitch is False
