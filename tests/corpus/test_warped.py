"""Warped voices: a corpus voice resampled into a new speaker (pitch and formants × factor), built
only when asked for."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from gpt_sovits.corpus.build import build_corpus, read_manifest
from gpt_sovits.corpus.sources import Voice
from gpt_sovits.corpus.warped import WarpedSource, warp


class ToneSource:
    """One Mandarin "voice" that says every sentence as 2 s of a 220 Hz tone at 16 kHz."""

    name = "tone"
    licence = "test"

    def unavailable(self):
        return None

    def voices(self):
        return [Voice("tone-zh", "tone", "zh")]

    def synthesize(self, voice, text):
        t = np.arange(16000 * 2) / 16000
        return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000


def _peak_hz(path) -> float:
    audio, sr = sf.read(str(path))
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
    return float(np.argmax(spectrum) * sr / len(audio))


def test_a_warped_voice_is_higher_and_faster_by_its_factor() -> None:
    t = np.arange(16000) / 16000
    tone = np.sin(2 * np.pi * 200 * t).astype(np.float32)
    up = warp(tone, 16000, 1.12)
    assert len(up) == pytest.approx(16000 / 1.12, abs=2)
    spectrum = np.abs(np.fft.rfft(up * np.hanning(len(up))))
    assert np.argmax(spectrum) * 16000 / len(up) == pytest.approx(224, abs=2)
    with pytest.raises(ValueError, match="outside"):
        warp(tone, 16000, 2.0)
    for factors in ((1.0,), (0.88, 0.881), (0.5,)):
        with pytest.raises(ValueError, match="warp factors"):
            WarpedSource(ToneSource(), factors)


def test_warped_voices_are_built_only_when_named(tmp_path) -> None:
    warped = WarpedSource(ToneSource(), (0.88, 1.12))
    assert [v.id for v in warped.voices()] == ["warp088-tone-zh", "warp112-tone-zh"]
    plain = build_corpus(tmp_path / "a", hours=1, per_voice=1, sources=[ToneSource(), warped], seed=3)
    assert set(plain.hours_by_voice) == {"tone-zh"}  # opt-in: not part of a default build
    asked = build_corpus(tmp_path / "b", hours=1, per_voice=2, voices=["tone", "warp112"],
                         sources=[ToneSource(), warped], seed=3)
    assert set(asked.hours_by_voice) == {"tone-zh", "warp112-tone-zh"}
    entries = read_manifest(tmp_path / "b")
    by_voice = {e["voice"]: e for e in entries}
    assert _peak_hz(tmp_path / "b" / "slices" / f"{by_voice['tone-zh']['id']}.wav") == pytest.approx(220, abs=3)
    assert _peak_hz(tmp_path / "b" / "slices" / f"{by_voice['warp112-tone-zh']['id']}.wav") == pytest.approx(246.4, abs=3)
    own = {e["text"] for e in entries if e["voice"] == "warp112-tone-zh"}
    assert own and not own & {e["text"] for e in entries if e["voice"] == "tone-zh"}  # its own sentences
    assert by_voice["warp112-tone-zh"]["source"] == "warp"
