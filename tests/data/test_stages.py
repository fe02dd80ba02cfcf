"""Import -> clean -> slice -> label stages: results, idempotence and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from gpt_sovits.asr import Transcript
from gpt_sovits.audio.io import read_wav
from gpt_sovits.audio.loudness import integrated_loudness
from gpt_sovits.audio.slicer import SlicerConfig
from gpt_sovits.data import labels as lab
from gpt_sovits.data.project import Project, Workspace
from gpt_sovits.data.stages import (
    CleanOptions,
    ImportOptions,
    LabelOptions,
    clean_stage,
    import_stage,
    label_stage,
    slice_stage,
)
from gpt_sovits.errors import AudioFormatError, ProjectError

SR = 44100


def speechlike(seconds: float, sr: int = SR, seed: int = 0, level: float = 0.05) -> np.ndarray:
    """Syllable-like harmonic bursts, a 0.6 s pause every 2.5 s."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * sr), np.float32)
    t = np.arange(int(0.18 * sr)) / sr
    pos = int(0.3 * sr)
    while pos + t.size < out.size:
        if (pos / sr) % 3.1 > 2.5:
            pos += int(0.6 * sr)
            continue
        f0 = rng.uniform(110, 200)
        burst = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6)) * np.hanning(t.size)
        out[pos : pos + t.size] = level * burst
        pos += t.size + int(0.05 * sr)
    return out


class FakeASR:
    """Returns canned transcripts; counts calls."""

    def __init__(self, text: str = "你好世界今天天气很好", language: str = "zh") -> None:
        self.text, self.language, self.calls = text, language, 0

    def transcribe(self, audio, sr, language="auto"):
        self.calls += 1
        text = "" if self.calls == 2 else self.text  # one empty transcript to be flagged
        return Transcript(text, self.language, -0.3, 0.01, audio.shape[0] / sr)


@pytest.fixture
def project(tmp_path):
    return Workspace(tmp_path / "ws").create_project("stage test", languages=["zh"])


def write(path, audio, sr=SR, **kw):
    sf.write(path, audio, sr, **kw)
    return str(path)


def run_all(project, files, asr=None):
    imp = import_stage(project, ImportOptions(paths=[str(f) for f in files]))
    cln = clean_stage(project, CleanOptions())
    slc = slice_stage(project, SlicerConfig())
    lbl = label_stage(project, LabelOptions(language="zh"), asr=asr or FakeASR())
    return imp, cln, slc, lbl


def test_full_pipeline_and_idempotence(project, tmp_path):
    stereo = np.stack([speechlike(20.0), speechlike(20.0)], axis=1)
    files = [write(tmp_path / "take one.flac", stereo), write(tmp_path / "b.wav", speechlike(14.0, seed=1))]
    events = []
    imp = import_stage(project, ImportOptions(paths=files), progress=lambda f, m: events.append((f, m)))
    assert imp.imported == ["take-one.flac", "b.wav"] and events[-1][0] == 1.0
    assert all(0.0 <= f <= 1.0 for f, _ in events)

    cln = clean_stage(project, CleanOptions())
    assert sorted(cln.cleaned) == ["b.wav", "take-one.flac"] and cln.seconds == pytest.approx(34.0, abs=0.1)
    audio, sr = read_wav(project.clean_dir / "take-one.wav")
    assert sr == 32000 and sf.info(project.clean_dir / "take-one.wav").subtype == "FLOAT"
    assert integrated_loudness(audio, sr) == pytest.approx(-20.0, abs=1.0)
    assert np.abs(audio).max() <= 10 ** (-1 / 20) + 1e-6

    slc = slice_stage(project, SlicerConfig())
    assert slc.slices == len(slc.new) >= 4 and 25.0 < slc.seconds <= 34.0
    assert all(lab.parse_slice_name(n)[0] in ("take-one", "b") for n in slc.new)
    assert all(0.6 <= sf.info(project.slices_dir / n).duration <= 12.0 for n in slc.new)
    assert not slc.too_short and any("1-3 minutes" in w for w in slc.warnings)

    asr = FakeASR()
    lbl = label_stage(project, LabelOptions(language="zh"), asr=asr)
    entries = lab.load_labels(project.root)
    assert len(entries) == slc.slices and asr.calls == slc.slices
    assert lbl.labelled == slc.slices - 1 and list(lbl.flagged.values()) == ["empty transcript: no speech recognised"]
    line = project.labels_path.read_text("utf-8").splitlines()[0]
    assert line.startswith("slices/") and "|stage-test|ZH|" in line

    mtimes = {p: p.stat().st_mtime_ns for p in project.root.rglob("*.wav")}
    assert clean_stage(project, CleanOptions()).skipped == ["take-one.flac", "b.wav"]
    again = slice_stage(project, SlicerConfig())
    assert again.new == [] and again.slices == slc.slices
    relabel = label_stage(project, LabelOptions(language="zh"), asr=FakeASR())
    assert relabel.transcribed == list(lbl.flagged)  # only the slice whose transcript was empty
    assert {p: p.stat().st_mtime_ns for p in project.root.rglob("*.wav")} == mtimes
    dup = import_stage(project, ImportOptions(paths=files[:1]))
    assert dup.duplicates == ["take-one.flac"] and dup.imported == []


def test_changed_slicer_options_retire_old_slices_to_trash(project, tmp_path):
    run_all(project, [write(tmp_path / "a.wav", speechlike(20.0))])
    old = sorted(p.name for p in project.slices_dir.iterdir())
    lab.edit_text(project, old[0], "edited")
    result = slice_stage(project, SlicerConfig(max_length_s=5.0))
    assert len(result.new) > len(old)
    trashed = [p.name.split("_", 1)[1] for p in project.trash_dir.iterdir() if p.name.startswith("reslice-")]
    assert sorted(trashed) == old
    assert sorted(p.name for p in project.slices_dir.iterdir()) == sorted(result.new)
    assert lab.load_labels(project.root) == [] and lab.history(project) == []


def test_proofreading_survives_rerunning_the_pipeline(project, tmp_path):
    files = [write(tmp_path / "a.wav", speechlike(20.0))]
    run_all(project, files)
    first, second = [e.name for e in lab.load_labels(project.root)][:2]
    merged = lab.merge_slices(project, [first, second])
    lab.edit_text(project, merged, "人工校对")
    _, _, slc, lbl = run_all(project, files, asr=FakeASR())
    texts = {e.name: e.text for e in lab.load_labels(project.root)}
    assert texts[merged] == "人工校对" and slc.new == [] and first not in texts


def test_label_without_asr_writes_empty_labels_to_fill_in(project, tmp_path):
    import_stage(project, ImportOptions(paths=[write(tmp_path / "a.wav", speechlike(15.0))]))
    clean_stage(project, CleanOptions())
    slc = slice_stage(project, SlicerConfig())
    result = label_stage(project, LabelOptions(language="en", asr=False))
    assert result.labelled == 0 and len(result.flagged) == slc.slices
    assert all(e.lang == "en" and e.text == "" for e in lab.load_labels(project.root))


def test_auto_language_uses_detected_language(project, tmp_path):
    import_stage(project, ImportOptions(paths=[write(tmp_path / "a.wav", speechlike(15.0))]))
    clean_stage(project, CleanOptions())
    slice_stage(project, SlicerConfig())
    label_stage(project, LabelOptions(language="auto"), asr=FakeASR("hello there my friend how are you", "en"))
    assert {e.lang for e in lab.load_labels(project.root)} == {"en"}


def test_auto_language_outside_zh_and_en_is_read_again_in_the_project_language(project, tmp_path):
    """Whisper sometimes hears a Chinese slice as Korean; a language we cannot train is transcribed
    again in the project's language instead of leaving the slice out of training."""

    class KoreanFirst:
        def __init__(self) -> None:
            self.asked: list[str] = []

        def transcribe(self, audio, sr, language="auto"):
            self.asked.append(language)
            heard = ("그 외엔 량으로", "ko") if language == "auto" else ("今天天气很好我们去公园", language)
            return Transcript(heard[0], heard[1], -0.2, 0.01, audio.shape[0] / sr)

    import_stage(project, ImportOptions(paths=[write(tmp_path / "a.wav", speechlike(15.0))]))
    clean_stage(project, CleanOptions())
    slices = slice_stage(project, SlicerConfig()).slices
    asr = KoreanFirst()
    label_stage(project, LabelOptions(language="auto"), asr=asr)
    entries = lab.load_labels(project.root)
    assert asr.asked == ["auto", "zh"] * slices
    assert {e.lang for e in entries} == {"zh"} and all(e.text == "今天天气很好我们去公园" for e in entries)


# --- bad input --------------------------------------------------------------------------------


def test_not_audio_is_rejected_and_nothing_is_lost(project, tmp_path):
    good = write(tmp_path / "good.wav", speechlike(12.0))
    import_stage(project, ImportOptions(paths=[good]))
    before = {p.name: p.read_bytes() for p in project.raw_dir.iterdir()}
    junk = tmp_path / "photo.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0" + bytes(2000))
    result = import_stage(project, ImportOptions(paths=[str(junk)], names=["my photo 📷.jpg"]))
    assert "my photo 📷.jpg" in result.rejected and "no audio" in result.rejected["my photo 📷.jpg"]
    assert {p.name: p.read_bytes() for p in project.raw_dir.iterdir()} == before


def test_only_bad_files_raise(project, tmp_path):
    junk = tmp_path / "x.wav"
    junk.write_text("hello")
    with pytest.raises(AudioFormatError, match="not a readable audio"):
        import_stage(project, ImportOptions(paths=[str(junk)]))
    assert list(project.raw_dir.iterdir()) == []


@pytest.mark.parametrize(("make", "message"), [
    (lambda: np.zeros(5 * SR, np.float32), "silent"),
    (lambda: 0.1 * np.random.default_rng(0).standard_normal(5 * SR).astype(np.float32), "steady noise"),
    (lambda: speechlike(0.4), "too short"),
])
def test_unusable_recordings_are_rejected_with_reason(project, tmp_path, make, message):
    import_stage(project, ImportOptions(paths=[write(tmp_path / "bad.wav", make(), subtype="FLOAT")]))
    with pytest.raises(AudioFormatError, match=message):
        clean_stage(project, CleanOptions())
    assert (project.raw_dir / "bad.wav").is_file()
    assert project.state("clean")["bad.wav"]["status"] == "rejected"


def test_nan_samples_rejected_but_other_files_cleaned(project, tmp_path):
    bad = speechlike(5.0)
    bad[1000:1010] = np.nan
    paths = [write(tmp_path / "nan.wav", bad, subtype="FLOAT"), write(tmp_path / "ok.wav", speechlike(12.0))]
    import_stage(project, ImportOptions(paths=paths))
    result = clean_stage(project, CleanOptions())
    assert result.cleaned == ["ok.wav"] and "NaN" in result.rejected["nan.wav"]


def test_clipping_is_warned(project, tmp_path):
    loud = np.clip(speechlike(12.0, level=3.0), -1, 1)
    import_stage(project, ImportOptions(paths=[write(tmp_path / "hot.wav", loud)]))
    result = clean_stage(project, CleanOptions())
    assert any("clipped" in w for w in result.warnings)


def test_eight_channels_192k_and_denoise(project, tmp_path):
    multi = np.tile(speechlike(12.0, sr=192000)[:, None], (1, 8))
    import_stage(project, ImportOptions(paths=[write(tmp_path / "m.wav", multi, sr=192000)]))
    result = clean_stage(project, CleanOptions(denoise=0.5))
    assert result.cleaned == ["m.wav"]
    assert sf.info(project.clean_dir / "m.wav").samplerate == 32000
    with pytest.raises(ValueError):
        CleanOptions(denoise=2.0)


def test_too_little_speech_is_reported(project, tmp_path):
    run = run_all(project, [write(tmp_path / "short.wav", speechlike(5.0))])
    slc = run[2]
    assert slc.too_short and "too short to train on" in slc.warnings[0] and "1-3 minutes" in slc.warnings[0]


def test_hours_long_upload_is_refused_with_the_limit(project, tmp_path):
    long = write(tmp_path / "podcast.wav", np.zeros(1000 * 31 * 60, np.int16), sr=1000)
    with pytest.raises(AudioFormatError, match="30 min limit"):
        import_stage(project, ImportOptions(paths=[long]))
    warn = write(tmp_path / "long.wav", np.zeros(1000 * 11 * 60, np.int16), sr=1000)
    assert "long" in import_stage(project, ImportOptions(paths=[warn])).warnings[0]


def test_odd_file_names_are_sanitised(project, tmp_path):
    odd = tmp_path / "我的 录音 🎤 (1).wav"
    write(odd, speechlike(12.0))
    result = import_stage(project, ImportOptions(paths=[str(odd)], names=["../../我的 录音 🎤 (1).wav"]))
    assert result.imported == ["wo-de-lu-yin-1.wav"]  # spelt in pinyin
    assert project.meta.raw["wo-de-lu-yin-1.wav"]["original_name"] == "../../我的 录音 🎤 (1).wav"
    clean_stage(project, CleanOptions())
    assert slice_stage(project, SlicerConfig()).new[0].startswith("wo-de-lu-yin-1_")


def test_stage_refuses_when_project_is_busy(project, tmp_path):
    with Project(project.root).lock("training"):
        with pytest.raises(ProjectError, match="busy"):
            clean_stage(project, CleanOptions())
