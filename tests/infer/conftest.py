"""Tiny random S1/S2 weights in our format, a voice folder, a fake content encoder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

SR = 32000


class FakeEncoder:
    """Deterministic stand-in for a content encoder: 16 kHz audio [n] -> [1, dim, n // 320]."""

    name = "fake"

    def __init__(self, dim: int = 768) -> None:
        self.dim = dim
        self.calls = 0
        self._proj = torch.randn(dim, 320, generator=torch.Generator().manual_seed(3)) * 0.1

    def encode(self, wav16k: np.ndarray) -> torch.Tensor:
        self.calls += 1
        frames = torch.from_numpy(np.asarray(wav16k, dtype=np.float32))
        frames = frames[: frames.shape[0] // 320 * 320].view(-1, 320)  # [t, 320]
        return (self._proj @ frames.T)[None]  # [1, dim, t]


def speechlike(seconds: float, seed: int = 0) -> np.ndarray:
    """Noise bursts shaped like syllables (4 per second) with short pauses: mono float32 at 32 kHz."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    envelope = np.clip(np.sin(2 * np.pi * 2 * t), 0, None) ** 2
    tone = np.sin(2 * np.pi * (140 + 30 * np.sin(2 * np.pi * 0.5 * t)) * t)
    return (0.3 * envelope * (tone + 0.3 * rng.standard_normal(n))).astype(np.float32)


@dataclass
class TinyModels:
    s1: Path
    s2g: Path
    voice_dir: Path
    reference: Path


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    from gpt_sovits.audio.io import write_wav
    from gpt_sovits.checkpoint.s1 import save_s1
    from gpt_sovits.checkpoint.s2_official import save_s2
    from gpt_sovits.models.s1.config import S1_PRESETS
    from gpt_sovits.models.s1.model import Text2Semantic
    from gpt_sovits.models.s2.config import S2_PRESETS
    from gpt_sovits.models.s2.model import SynthesizerTrn
    from gpt_sovits.voice_format import S1_FILE, S2G_FILE, VoiceManifest, write_manifest

    folder = tmp_path_factory.mktemp("tiny")
    torch.manual_seed(0)
    s1 = Text2Semantic(S1_PRESETS["tiny"]).eval()
    s2 = SynthesizerTrn(S2_PRESETS["tiny"], with_posterior=False).eval()
    voice_dir = folder / "voices" / "tiny-voice"
    voice_dir.mkdir(parents=True)
    save_s1(voice_dir / S1_FILE, s1)
    save_s2(voice_dir / S2G_FILE, "s2g", s2.cfg, s2.state_dict())
    write_wav(voice_dir / "reference.wav", speechlike(4.0), SR)
    write_manifest(voice_dir, VoiceManifest(name="tiny-voice", profile="tiny", content_encoder="hubert",
                                            reference_text="今天天气很好。", reference_language="zh"))
    reference = folder / "ref.wav"
    write_wav(reference, speechlike(5.0, seed=1), SR)
    return TinyModels(s1=voice_dir / S1_FILE, s2g=voice_dir / S2G_FILE, voice_dir=voice_dir, reference=reference)


@pytest.fixture
def caches():
    from gpt_sovits.infer.cache import InferenceCaches

    return InferenceCaches()


@pytest.fixture
def tiny_voice(tiny_models: TinyModels, caches):
    from gpt_sovits.infer.voice import load_voice

    return load_voice(tiny_models.voice_dir, encoder=FakeEncoder(), caches=caches)
