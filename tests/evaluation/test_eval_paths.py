"""eval-paths with the tiny base: each recording heard as itself, through S2's posterior and through
its prior path with the recording's own tokens; bad readings are left out with a note, none is an error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from gpt_sovits.evaluation.cloning import EvalInputError
from gpt_sovits.evaluation.metrics import corpus_rate, error_count
from gpt_sovits.evaluation.paths import PATHS, read_readings, score_paths
from tests.evaluation.conftest import SENTENCES, FakeASR


class LengthASR(FakeASR):
    """Hears ``text`` and keeps the length (seconds) of everything it heard."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.seconds: list[float] = []

    def transcribe(self, audio: np.ndarray, sr: int, language: str = "auto"):
        assert audio.ndim == 1 and np.isfinite(audio).all()
        self.seconds.append(audio.shape[0] / sr)
        return super().transcribe(audio, sr, language)


def _readings(clips, tmp_path: Path) -> Path:
    short = tmp_path / "short.wav"
    audio, sr = sf.read(clips.male[2])
    sf.write(short, audio[: sr // 2], sr)  # 0.5 s: too short for a reference
    listing = tmp_path / "readings.list"
    listing.write_text(f"{clips.male[0]}|v|EN|{SENTENCES[0]}\n{clips.male[1]}|v|EN|{SENTENCES[1]}\n"
                       f"short.wav|v|EN|{SENTENCES[2]}\ngone.wav|v|EN|nothing\n{clips.male[3]}|v|ZH|你好\n",
                       encoding="utf-8")
    return listing


def test_each_recording_is_heard_on_every_path_at_its_own_length(clips, pretrained: Path, tmp_path: Path) -> None:
    readings, notes = read_readings(_readings(clips, tmp_path), "en")
    assert [r.text for r in readings] == [SENTENCES[0], SENTENCES[1], SENTENCES[2]]  # short.wav relative to the list
    assert any("gone.wav" in n and "no such audio" in n for n in notes)
    assert any("language zh" in n for n in notes)
    asr = LengthASR("the quick brown fox")
    scores = score_paths("tiny", readings, "en", pretrained_root=pretrained, asr=asr)
    data = scores.to_dict()
    assert list(data["paths"]) == list(PATHS) and data["readings"] == 2
    assert any("short.wav" in n and "0.5 s" in n for n in data["notes"])
    seconds = np.array(asr.seconds).reshape(2, len(PATHS))  # per reading, in the order of PATHS
    for recording, posterior, prior in seconds:  # each path renders the recording itself, at its length
        assert posterior == pytest.approx(recording, abs=0.05)
        assert recording <= prior <= recording + 0.7  # its tokens include the reference's 0.3 s of trailing silence
    expected = corpus_rate(error_count(t, "the quick brown fox", "en") for t in SENTENCES[:2])
    assert all(rates["wer"] == pytest.approx(expected, abs=1e-4) for rates in data["paths"].values())
    assert data["items"][0]["prior"] == "the quick brown fox"


def test_readings_that_cannot_be_used_get_a_clear_error(clips, pretrained: Path, tmp_path: Path) -> None:
    from gpt_sovits.cli import main

    with pytest.raises(EvalInputError, match="not found"):
        read_readings(tmp_path / "none.list", "en")
    (tmp_path / "gone.list").write_text("gone.wav|v|ZH|你好\n", encoding="utf-8")
    with pytest.raises(EvalInputError, match="lists no existing zh recording"):
        read_readings(tmp_path / "gone.list", "zh")
    readings, _ = read_readings(_readings(clips, tmp_path), "en")
    with pytest.raises(EvalInputError, match="3-10 s"):
        score_paths("tiny", readings[2:], "en", pretrained_root=pretrained, asr=FakeASR("x"))
    assert main(["eval-paths", "--readings", str(tmp_path / "missing.list"), "--lang", "en"]) == 1


class RecordingOnlyEmbedder:
    """Embeds the first audio it sees of each reading (the recording) as one direction and every
    rendered path as another at a known angle, so the reported similarity is exactly known."""

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, audio: np.ndarray, sr: int) -> np.ndarray | None:
        self.calls += 1
        first_of_reading = (self.calls - 1) % len(PATHS) == 0
        return np.array([1.0, 0.0]) if first_of_reading else np.array([0.6, 0.8])


def test_each_rendered_path_reports_its_likeness_to_the_recording(clips, pretrained: Path, tmp_path: Path) -> None:
    readings, _ = read_readings(_readings(clips, tmp_path), "en")
    embedder = RecordingOnlyEmbedder()
    data = score_paths("tiny", readings[:2], "en", pretrained_root=pretrained, asr=FakeASR("x"),
                       embedder=embedder).to_dict()
    assert embedder.calls == 2 * len(PATHS)  # the recording once, then each rendered path
    assert "similarity" not in data["paths"]["recording"]
    for path in ("posterior", "prior"):
        assert data["paths"][path]["similarity"] == pytest.approx(0.6)
    plain = score_paths("tiny", readings[:1], "en", pretrained_root=pretrained, asr=FakeASR("x")).to_dict()
    assert all("similarity" not in rates for rates in plain["paths"].values())
