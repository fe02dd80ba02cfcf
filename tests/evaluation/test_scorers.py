"""The real scorers (resemblyzer, speechmos) on espeak-ng speech, and the report's aggregate."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from gpt_sovits.evaluation.metrics import ErrorCount
from gpt_sovits.evaluation.report import EvalReport, TextScore, aggregate
from gpt_sovits.evaluation.speaker import cosine, mean_embedding


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection fails the test (the scorers ship their weights)."""

    def refuse(*args, **kwargs):
        raise AssertionError("a scorer tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_cosine_and_mean_embedding() -> None:
    a, b = np.array([1.0, 0.0]), np.array([0.0, 2.0])
    assert cosine(a, a * 3) == pytest.approx(1.0)
    assert cosine(a, b) == pytest.approx(0.0)
    assert cosine(a, None) is None and cosine(a, np.zeros(2)) is None
    mean = mean_embedding([a, None, b / 2])
    assert np.allclose(mean, [2 ** -0.5, 2 ** -0.5])
    assert mean_embedding([None]) is None


def test_resemblyzer_tells_speakers_apart(clips, no_network) -> None:
    pytest.importorskip("resemblyzer")
    from gpt_sovits.evaluation.speaker import SpeakerEncoder, embed_files

    encoder = SpeakerEncoder()
    same = cosine(embed_files(encoder, [clips.male[0]]), embed_files(encoder, [clips.male[1]]))
    other = cosine(embed_files(encoder, [clips.male[0]]), embed_files(encoder, [clips.female[1]]))
    assert 0.0 < other < same <= 1.0
    assert encoder.embed(np.zeros(16000, np.float32), 16000) is None  # silence has no speaker


def test_dnsmos_prefers_speech_to_noise(clips, no_network) -> None:
    pytest.importorskip("speechmos")
    from gpt_sovits.audio.io import load_audio
    from gpt_sovits.evaluation.dnsmos import DnsmosScorer, dnsmos_unavailable

    assert dnsmos_unavailable() is None
    scorer = DnsmosScorer()
    speech = scorer.score(load_audio(clips.male[0], sr=16000), 16000)
    noise = scorer.score(np.random.default_rng(0).uniform(-0.5, 0.5, 48000).astype(np.float32), 16000)
    assert 1.0 <= noise.ovrl < speech.ovrl <= 5.0
    assert scorer.score(np.zeros(100, np.float32), 16000) is None


def _score(index: int, edits: int, units: int, ref: float, corpus: dict[str, float],
           train: float | None = None) -> TextScore:
    return TextScore(index=index, seed=1234, text="t", asr="a", errors=ErrorCount(edits, units), similarity_ref=ref,
                     similarity_train=train, similarity_corpus=corpus, dnsmos=None, synth_seconds=1.0,
                     audio_seconds=4.0)


def test_aggregate_compares_the_reference_with_the_closest_corpus_voice() -> None:
    texts = [_score(1, 1, 4, 0.80, {"a": 0.70, "b": 0.85}), _score(2, 0, 6, 0.90, {"a": 0.75, "b": 0.65})]
    report = EvalReport(base="tiny", lang="zh", zero_shot=True, voice="v", texts=texts)
    result = aggregate(report)
    assert result["cer"] == pytest.approx(0.1) and "wer" not in result
    assert result["cer_median"] == pytest.approx(0.125)  # per-text rates 0.25 and 0
    assert result["similarity_ref_mean"] == pytest.approx(0.85) and result["similarity_ref_min"] == 0.8
    assert result["corpus_closest_speaker"] == "b" and result["corpus_max_similarity"] == pytest.approx(0.75)
    assert result["closer_to_ref_than_any_corpus_voice"] is True
    assert result["takes_closer_to_ref"] == 1  # take 1 is nearer its corpus voice b (0.85) than the reference
    assert result["closer_to_speaker_than_any_corpus_voice"] is None and result["takes_closer_to_speaker"] is None
    versus_training_audio = aggregate(EvalReport(base="tiny", lang="zh", zero_shot=False, voice="v", texts=[
        _score(1, 0, 4, 0.70, {"a": 0.80}, train=0.85), _score(2, 0, 4, 0.72, {"a": 0.78}, train=0.76)]))
    assert versus_training_audio["closer_to_ref_than_any_corpus_voice"] is False
    assert versus_training_audio["closer_to_speaker_than_any_corpus_voice"] is True  # 0.805 > 0.79
    assert versus_training_audio["takes_closer_to_speaker"] == 1 and versus_training_audio["takes_closer_to_ref"] == 0
    assert result["rtf"] == pytest.approx(0.25) and result["dnsmos_mean"] is None
    looped = aggregate(EvalReport(base="tiny", lang="en", zero_shot=True, voice="v", texts=[
        _score(1, 0, 5, 0.8, {}), _score(2, 40, 5, 0.8, {}), _score(3, 1, 5, 0.8, {})]))
    assert looped["wer"] == pytest.approx(41 / 15, abs=1e-4) and looped["wer_median"] == pytest.approx(0.2)  # robust to a loop
    first = report.to_dict()["texts"][0]
    assert first["corpus_closest"] == "b" and first["cer"] == 0.25 and first["rtf"] == 0.25
    assert "pinyin_error" not in result and "pinyin_error" not in first  # scored without syllables
    texts[0].pinyin, texts[0].pinyin_toneless = ErrorCount(1, 4), ErrorCount(0, 4)
    texts[1].pinyin, texts[1].pinyin_toneless = ErrorCount(1, 6), ErrorCount(1, 6)
    result = aggregate(report)
    assert result["pinyin_error"] == pytest.approx(0.2) and result["pinyin_error_toneless"] == pytest.approx(0.1)
    first = report.to_dict()["texts"][0]
    assert first["pinyin_error"] == 0.25 and first["pinyin_error_toneless"] == 0.0
