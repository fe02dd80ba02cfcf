"""``python -m gpt_sovits prepare``: JSON summary, exit codes and bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from gpt_sovits.cli import main

SR = 32000


def speechlike(seconds: float, seed: int = 0) -> np.ndarray:
    """Syllable-like harmonic bursts with a 0.6 s pause every 2.5 s."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * SR), np.float32)
    t = np.arange(int(0.18 * SR)) / SR
    pos = int(0.3 * SR)
    while pos + t.size < out.size:
        if (pos / SR) % 3.1 > 2.5:
            pos += int(0.6 * SR)
            continue
        f0 = rng.uniform(110, 200)
        out[pos : pos + t.size] = 0.05 * sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6)) * np.hanning(t.size)
        pos += t.size + int(0.05 * SR)
    return out


def run_cli(capsys, *argv: str) -> tuple[int, dict, str]:
    code = main(["prepare", *argv])
    captured = capsys.readouterr()
    last = captured.out.strip().splitlines()[-1]
    return code, json.loads(last), captured.err


def test_prepare_without_asr(tmp_path, capsys):
    wav = tmp_path / "my take 🎤.wav"
    sf.write(wav, speechlike(16.0), SR)
    code, summary, err = run_cli(capsys, "My Voice", str(wav), "--lang", "zh", "--no-asr",
                                 "--workspace", str(tmp_path / "ws"))
    assert code == 0 and summary["ok"] is True
    assert summary["project"] == "my-voice" and summary["slices"] >= 3
    assert 12.0 < summary["speech_seconds"] <= 16.0
    assert summary["labelled"] == 0 and summary["flagged"] == summary["slices"]
    assert "[slice" in err and "1-3 minutes" in " ".join(summary["warnings"])
    labels = (tmp_path / "ws" / "my-voice" / "labels.list").read_text("utf-8").splitlines()
    assert len(labels) == summary["slices"] and all("|my-voice|ZH|" in line for line in labels)
    # re-running with no new files reuses the project and changes nothing
    again = run_cli(capsys, "My Voice", "--no-asr", "--lang", "zh", "--workspace", str(tmp_path / "ws"))
    assert again[0] == 0 and again[1]["slices"] == summary["slices"]


def test_not_audio_exits_nonzero_and_keeps_project(tmp_path, capsys):
    good = tmp_path / "good.wav"
    sf.write(good, speechlike(16.0), SR)
    ws = str(tmp_path / "ws")
    assert run_cli(capsys, "p", str(good), "--no-asr", "--workspace", ws)[0] == 0
    raw_before = sorted(p.name for p in (tmp_path / "ws" / "p" / "raw").iterdir())
    junk = tmp_path / "junk.mp3"
    junk.write_text("not audio at all")
    code, summary, err = run_cli(capsys, "p", str(junk), "--no-asr", "--workspace", ws)
    assert code == 0 and "junk.mp3" in summary["rejected"]  # the project still has good audio
    assert sorted(p.name for p in (tmp_path / "ws" / "p" / "raw").iterdir()) == raw_before
    fresh = run_cli(capsys, "q", str(junk), "--no-asr", "--workspace", ws)
    assert fresh[0] == 1 and fresh[1]["ok"] is False and "not a readable audio" in fresh[1]["error"]
    assert "error:" in fresh[2]


def test_too_little_speech_is_fatal_with_advice(tmp_path, capsys):
    wav = tmp_path / "short.wav"
    sf.write(wav, speechlike(4.0), SR)
    code, summary, err = run_cli(capsys, "short", str(wav), "--no-asr", "--workspace", str(tmp_path / "ws"))
    assert code == 1 and "too short to train on" in summary["error"] and "1-3 minutes" in err
    assert (tmp_path / "ws" / "short" / "raw" / "short.wav").is_file()


def test_silence_and_bad_options(tmp_path, capsys):
    wav = tmp_path / "quiet.wav"
    sf.write(wav, np.zeros(5 * SR, np.float32), SR)
    code, summary, _ = run_cli(capsys, "s", str(wav), "--no-asr", "--workspace", str(tmp_path / "ws"))
    assert code == 1 and "silent" in summary["error"]
    code, summary, _ = run_cli(capsys, "s", str(wav), "--denoise", "3", "--workspace", str(tmp_path / "ws"))
    assert code == 1 and "--denoise" in summary["error"]
    code, summary, _ = run_cli(capsys, "s", str(tmp_path / "missing.wav"), "--workspace", str(tmp_path / "ws"))
    assert code == 1 and "not found" in summary["error"]


def test_prepare_with_real_asr_on_english_speech(tmp_path, capsys):
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not installed (apt-get install -y espeak-ng)")
    text = ("The quick brown fox jumps over the lazy dog. Today the weather is very nice. " * 3)
    wav = tmp_path / "en.wav"
    subprocess.run([exe, "-v", "en", "-s", "150", "-w", str(wav), text], check=True, capture_output=True)
    code, summary, _ = run_cli(capsys, "eng", str(wav), "--lang", "en", "--workspace", str(tmp_path / "ws"),
                               "--pretrained", str(tmp_path / "pretrained"))
    assert code == 0, summary
    assert summary["labelled"] >= 1
    labels = (tmp_path / "ws" / "eng" / "labels.list").read_text("utf-8").lower()
    assert "|en|" in labels and "fox" in labels
    assert (tmp_path / "pretrained" / "whisper-base" / "model.bin").is_file()


def test_module_entry_point_exit_code(tmp_path):
    junk = tmp_path / "a.wav"
    junk.write_text("x")
    proc = subprocess.run([sys.executable, "-m", "gpt_sovits", "prepare", "p", str(junk), "--no-asr",
                           "--workspace", str(tmp_path / "ws")], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert proc.returncode == 1
    assert json.loads(proc.stdout.strip().splitlines()[-1])["ok"] is False
    assert "not a readable audio" in proc.stderr
