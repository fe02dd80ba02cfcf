"""Fixtures: espeak-ng clips of two voices, a tiny corpus folder, a pretrained/ folder with
Whisper-base (linked) and the built-in tiny profile, and light stand-ins for the scorers."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

SENTENCES = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Today the weather is very nice, and we are going for a long walk.",
    "She sells sea shells by the sea shore every summer morning.",
    "A journey of a thousand miles begins with a single step forward.",
]


@dataclass
class Clips:
    """``male[i]`` / ``female[i]``: SENTENCES[i] read by two espeak-ng voices; ``corpus``: a corpus folder."""

    male: list[Path]
    female: list[Path]
    corpus: Path


def _espeak(path: Path, text: str, voice: str) -> Path:
    subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(path), text], check=True, capture_output=True)
    return path


@pytest.fixture(scope="package", autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """One CPU thread while these tests run (small LSTM calls crawl with two on a busy machine)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Clips:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install -y espeak-ng)")
    root = tmp_path_factory.mktemp("clips")
    male = [_espeak(root / f"m{i}.wav", s, "en") for i, s in enumerate(SENTENCES)]
    female = [_espeak(root / f"f{i}.wav", s, "en-us+f3") for i, s in enumerate(SENTENCES[:2])]
    corpus = root / "corpus"
    (corpus / "slices").mkdir(parents=True)
    lines = []
    for speaker, wavs in (("espeak_m", male[2:]), ("espeak_f", female)):
        for i, wav in enumerate(wavs):
            shutil.copy(wav, corpus / "slices" / f"{speaker}_{i:05d}.wav")
            lines.append(f"slices/{speaker}_{i:05d}.wav|{speaker}|EN|text {i}\n")
    (corpus / "labels.list").write_text("".join(lines), encoding="utf-8")
    return Clips(male=male, female=female, corpus=corpus)


@pytest.fixture(scope="session")
def pretrained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pretrained/ folder with Whisper-base (linked) and the tiny profile."""
    from gpt_sovits import whisper_assets
    from gpt_sovits.registry import default_pretrained_root
    from gpt_sovits.tiny_base import ensure_tiny_profile

    if not whisper_assets.inspect(default_pretrained_root()).usable:
        pytest.skip("Whisper-base is not installed (pip install -r requirements.txt)")
    whisper = whisper_assets.ensure(default_pretrained_root())  # assembles it on a fresh checkout
    root = tmp_path_factory.mktemp("pretrained")
    os.symlink(whisper, root / "whisper-base")
    ensure_tiny_profile(root)
    return root


class FakeASR:
    """Hears ``text`` in anything; counts its calls."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls = 0

    def transcribe(self, audio: np.ndarray, sr: int, language: str = "auto"):
        from gpt_sovits.asr import Transcript

        self.calls += 1
        return Transcript(text=self.text, language="en" if language == "auto" else language, avg_logprob=-0.1,
                          no_speech_prob=0.01, duration=audio.shape[0] / sr)


class FakeEmbedder:
    """Unit vector of log band energies: deterministic, cheap, differs between signals."""

    def embed(self, audio: np.ndarray, sr: int) -> np.ndarray | None:
        if audio.size == 0 or not np.abs(audio).max() > 0:
            return None
        spectrum = np.abs(np.fft.rfft(audio[: sr * 4]))
        bands = np.log1p(np.array([band.mean() for band in np.array_split(spectrum, 16)]))
        return bands / np.linalg.norm(bands)


class FakeDnsmos:
    def score(self, audio: np.ndarray, sr: int):
        from gpt_sovits.evaluation.dnsmos import DnsmosScore

        return DnsmosScore(ovrl=3.0, sig=3.5, bak=4.0, p808=3.2)
