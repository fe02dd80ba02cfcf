"""Shared fixtures of the corpus tests: a fake speaker encoder and a tiny tone corpus."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

BANDS = 32


class ToneEmbedder:
    """Stand-in for resemblyzer: the unit vector of a clip's energy in 32 bands of 0-4 kHz, so
    clips of the same pitch embed alike and clips far apart in pitch are orthogonal."""

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, audio: np.ndarray, sr: int) -> np.ndarray | None:
        self.calls += 1
        spectrum = np.abs(np.fft.rfft(np.asarray(audio, np.float64))) ** 2  # [f]
        freqs = np.fft.rfftfreq(len(audio), 1.0 / sr)
        edges = np.linspace(0, 4000, BANDS + 1)
        bands = np.array([spectrum[(freqs >= lo) & (freqs < hi)].sum() for lo, hi in zip(edges[:-1], edges[1:], strict=True)])
        norm = np.linalg.norm(bands)
        return (bands / norm).astype(np.float32) if norm > 0 else None


def tone(freq: float, seconds: float, sr: int, seed: int) -> np.ndarray:
    """A tone with a little noise (different per seed), peak 0.5."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    audio = np.sin(2 * np.pi * freq * t) + 0.05 * rng.standard_normal(t.shape)
    return (0.5 * audio / np.abs(audio).max()).astype(np.float32)


@pytest.fixture
def fake_embedder() -> ToneEmbedder:
    return ToneEmbedder()


@pytest.fixture
def tone_corpus(tmp_path):
    """A corpus folder with speakers a (300 Hz), b (310 Hz: a near twin of a) and c (2.06 kHz),
    four utterances each, in the `corpus build` layout (labels.list + slices/)."""
    root = tmp_path / "corpus"
    (root / "slices").mkdir(parents=True)
    lines = []
    for speaker, freq in (("a", 300.0), ("b", 310.0), ("c", 2060.0)):
        for i in range(4):
            name = f"slices/{speaker}_{i:05d}.wav"
            sf.write(root / name, tone(freq, 1.0 + 0.1 * i, 32000, seed=10 * ord(speaker) + i), 32000)
            lines.append(f"{name}|{speaker}|EN|sentence {speaker} {i}")
    (root / "labels.list").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root
