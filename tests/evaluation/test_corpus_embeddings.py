"""eval-clone's corpus speakers: picked and embedded by the same code as ``corpus speakers``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from gpt_sovits.evaluation.clone import corpus_embeddings
from gpt_sovits.evaluation.cloning import EvalInputError
from gpt_sovits.evaluation.speaker import embed_files
from tests.evaluation.conftest import FakeEmbedder

SR = 16000


def _corpus(root: Path, speakers: dict[str, float], count: int = 4) -> Path:
    """``count`` clips per speaker: a tone of that frequency (0 = silence), a different length each."""
    (root / "slices").mkdir(parents=True)
    lines = []
    for speaker, freq in speakers.items():
        for i in range(count):
            name = f"slices/{speaker}_{i:05d}.wav"
            t = np.arange(int((0.5 + 0.1 * i) * SR)) / SR
            sf.write(root / name, (0.5 * np.sin(2 * np.pi * freq * (1 + 0.05 * i) * t)).astype(np.float32), SR)
            lines.append(f"{name}|{speaker}|EN|sentence {i}\n")
    (root / "labels.list").write_text("".join(lines), encoding="utf-8")
    return root


def test_means_use_the_spread_utterances_and_skip_silent_speakers(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "c", {"low": 220.0, "high": 1800.0, "mute": 0.0})
    embedder = FakeEmbedder()
    means = corpus_embeddings(embedder, corpus, per_speaker=2)
    assert sorted(means) == ["high", "low"]  # "mute" has no embedding at all
    slices = corpus / "slices"
    expected = embed_files(embedder, [slices / "low_00000.wav", slices / "low_00003.wav"])  # first and last
    assert np.allclose(means["low"], expected)
    assert not np.allclose(means["low"], embed_files(embedder, [slices / "low_00000.wav", slices / "low_00001.wav"]))
    assert np.linalg.norm(means["high"]) == pytest.approx(1.0, abs=1e-6)


def test_a_corpus_without_wavs_is_an_input_error(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "c", {"a": 300.0}, count=1)
    (corpus / "slices" / "a_00000.wav").unlink()
    with pytest.raises(EvalInputError, match="--corpus: .*names no existing wav"):
        corpus_embeddings(FakeEmbedder(), corpus, per_speaker=3)
