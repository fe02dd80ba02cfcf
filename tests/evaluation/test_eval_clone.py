"""eval_clone end to end with the tiny base: zero-shot through the CLI with the real scorers, and
fine-tuning (a few steps) through the Python API with stand-in scorers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import soundfile as sf

from gpt_sovits.evaluation.clone import EvalCloneConfig, eval_clone
from gpt_sovits.evaluation.cloning import resolve_train_inputs
from tests.evaluation.conftest import SENTENCES, FakeASR, FakeDnsmos, FakeEmbedder

TEXTS = ["Hello world, this is a test.", "The 3 cats sat on the mat."]


def _check_takes(out: Path, texts: list[dict]) -> None:
    assert sorted(p.name for p in out.iterdir()) == ["01.wav", "02.wav", "report.json"]
    for i, item in enumerate(texts, start=1):
        assert item["index"] == i and item["text"] == TEXTS[i - 1] and item["wav"] == str(out / f"{i:02d}.wav")
        info = sf.info(item["wav"])
        assert info.samplerate == 32000 and info.duration == pytest.approx(item["audio_seconds"], abs=1e-3)
        assert item["synth_seconds"] > 0 and item["rtf"] > 0
        assert item["units"] == len(TEXTS[i - 1].split()) and item["wer"] >= 0


def test_zero_shot_cli_with_real_scorers(clips, pretrained: Path, tmp_path: Path, capsys) -> None:
    pytest.importorskip("resemblyzer")
    from gpt_sovits.cli import main

    texts = tmp_path / "texts.txt"
    texts.write_text(f"{TEXTS[0]}\n\n  \n{TEXTS[1]}\n", encoding="utf-8")
    out = tmp_path / "out"
    code = main(["eval-clone", "--zero-shot", "--lang", "en", "--texts", str(texts), "--ref", str(clips.male[1]),
                 "--train", str(clips.male[0]), "--base", "tiny", "--pretrained", str(pretrained),
                 "--corpus", str(clips.corpus), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out.strip().splitlines()[-1])
    assert report == json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert (report["base"], report["lang"], report["zero_shot"], report["metric"]) == ("tiny", "en", True, "wer")
    _check_takes(out, report["texts"])
    assert "[01 seed 1234] wer=" in captured.err and "[02 seed 1234] wer=" in captured.err
    assert any("reference transcript by ASR" in n and "weather" in n for n in report["notes"])  # Whisper heard the ref
    agg = report["aggregate"]
    for item in report["texts"]:
        assert -1 <= item["similarity_ref"] <= 1 and -1 <= item["similarity_train"] <= 1
        assert item["corpus_closest"] in {"espeak_m", "espeak_f"}
        assert item["dnsmos"] is None or 1 <= item["dnsmos"] <= 5
    assert agg["wer"] == pytest.approx(sum(t["edits"] for t in report["texts"]) / 13, abs=1e-4)
    assert set(agg["corpus_similarity"]) == {"espeak_m", "espeak_f"}
    assert agg["corpus_max_similarity"] == max(agg["corpus_similarity"].values())
    assert agg["closer_to_ref_than_any_corpus_voice"] == (agg["similarity_ref_mean"] > agg["corpus_max_similarity"])
    assert agg["prepare_seconds"] is None and agg["finetune_seconds"] is None and agg["voice_seconds"] > 0
    # the speaker's melody is the reference's (zero-shot): an espeak-ng male voice
    assert 70 < agg["speaker_pitch_median_hz"] < 200 and agg["speaker_pitch_spread"] > 0
    if agg["pitch_median_hz"] is not None:
        offset = 12 * math.log2(agg["pitch_median_hz"] / agg["speaker_pitch_median_hz"])
        assert agg["pitch_offset_semitones"] == pytest.approx(offset, abs=0.02)


def test_finetune_mode_runs_the_real_pipeline(clips, pretrained: Path, tmp_path: Path) -> None:
    from gpt_sovits.data.labels import load_labels

    asr = FakeASR("the quick brown fox")
    lines: list[str] = []
    config = EvalCloneConfig(texts=TEXTS, ref=str(clips.male[1]), lang="en", train=[str(p) for p in clips.male[:3]],
                             base="tiny", pretrained=str(pretrained), out=str(tmp_path / "out"),
                             workspace=str(tmp_path / "ws"), max_steps=1, s1_lr=5e-4, train_seed=7)
    report = eval_clone(config, asr=asr, embedder=FakeEmbedder(), dnsmos=FakeDnsmos(), log=lines.append)
    data = report.to_dict()
    recipe = ("fine-tune recipe: S2 epochs 1 (lr 0.0001, prior-path weight 0, Whisper weight 0), "
              "S1 epochs 1 (lr 0.0005), seed 7")
    assert recipe in data["notes"]  # what was trained, with the training seed asked for
    _check_takes(tmp_path / "out", data["texts"])
    project = tmp_path / "ws" / "eval-clone"
    labels = load_labels(project)
    assert len(labels) >= 3 and {e.text for e in labels} == {"the quick brown fox"}  # labelled by our ASR
    assert Path(report.voice).parent == project / "voices"
    assert asr.calls == len(labels) + len(TEXTS)  # training labels, then one transcript per take
    agg = data["aggregate"]
    assert agg["prepare_seconds"] > 0 and agg["finetune_seconds"] > 0 and agg["synth_seconds"] > 0
    assert agg["wer"] == pytest.approx((6 + 6) / 13, abs=1e-4)  # "the quick brown fox" vs each text
    assert agg["dnsmos_mean"] == 3.0 and agg["corpus_max_similarity"] is None
    assert all(0 < t["similarity_ref"] <= 1 for t in data["texts"])
    assert any(line.startswith("[s1 validation]") for line in lines)


def test_train_inputs_accept_files_folders_and_list(clips, tmp_path: Path) -> None:
    from gpt_sovits.evaluation.cloning import EvalInputError

    assert resolve_train_inputs([str(clips.male[0])]).files == [clips.male[0]]
    folder = resolve_train_inputs([str(clips.male[0].parent)])
    assert set(clips.male + clips.female) <= set(folder.files) and folder.list_path is None
    listing = tmp_path / "train.list"
    listing.write_text(f"{clips.male[0]}|spk|EN|{SENTENCES[0]}\nmissing.wav|spk|EN|gone\n", encoding="utf-8")
    parsed = resolve_train_inputs([str(listing)])
    assert parsed.files == [clips.male[0]] and parsed.list_path == listing
    with pytest.raises(EvalInputError, match="not both"):
        resolve_train_inputs([str(listing), str(clips.male[0])])
    (tmp_path / "empty").mkdir()
    with pytest.raises(EvalInputError, match="holds no audio"):
        resolve_train_inputs([str(tmp_path / "empty")])


def test_every_text_is_read_once_per_seed_and_each_seed_is_reported(clips, pretrained: Path, tmp_path: Path) -> None:
    """``--seed 1 2``: each text twice, the first seed's takes keep their plain names, the pooled
    rate is over all takes and each seed's own is beside it; a seed given twice is refused."""
    import numpy as np

    from gpt_sovits.evaluation.cloning import EvalInputError

    common = dict(texts=TEXTS, ref=str(clips.male[1]), lang="en", zero_shot=True, ref_text=SENTENCES[0],
                  base="tiny", pretrained=str(pretrained))
    with pytest.raises(EvalInputError, match="different synthesis seeds"):
        eval_clone(EvalCloneConfig(**common, seeds=[3, 3]), asr=FakeASR("hello"), embedder=FakeEmbedder())
    out = tmp_path / "out"
    data = eval_clone(EvalCloneConfig(**common, seeds=[1, 2], out=str(out)), asr=FakeASR("hello world"),
                      embedder=FakeEmbedder(), dnsmos=FakeDnsmos()).to_dict()
    assert sorted(p.name for p in out.iterdir()) == ["01.wav", "01_seed2.wav", "02.wav", "02_seed2.wav",
                                                     "report.json"]
    assert [(t["seed"], t["index"]) for t in data["texts"]] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    agg = data["aggregate"]
    assert agg["units"] == 2 * 13 and agg["wer"] == pytest.approx(agg["edits"] / 26, abs=1e-4)
    assert set(agg["seeds"]) == {"1", "2"}
    assert np.mean([s["wer"] for s in agg["seeds"].values()]) == pytest.approx(agg["wer"], abs=1e-3)
    first, other = sf.read(out / "01.wav")[0], sf.read(out / "01_seed2.wav")[0]
    assert first.shape != other.shape or not np.allclose(first, other)  # another seed, another take


def test_a_chinese_report_splits_its_cer_by_pinyin_syllables(clips, pretrained: Path) -> None:
    """A zh take heard with one homophone (书 -> 输) and one tone (买 -> 卖) wrong: CER 2/6, syllables
    with the tone 1/6, without 0, per take and pooled."""
    config = EvalCloneConfig(texts=["我想买一本书。"], ref=str(clips.male[1]), lang="zh", zero_shot=True,
                             ref_text="今天天气很好。", base="tiny", pretrained=str(pretrained))
    data = eval_clone(config, asr=FakeASR("我想卖一本输"), embedder=FakeEmbedder()).to_dict()
    take, agg = data["texts"][0], data["aggregate"]
    assert (take["cer"], take["pinyin_error"], take["pinyin_error_toneless"]) == (0.3333, 0.1667, 0.0)
    assert (agg["cer"], agg["pinyin_error"], agg["pinyin_error_toneless"]) == (0.3333, 0.1667, 0.0)


def test_segmentation_is_the_callers_and_a_bad_one_is_refused_first(clips, pretrained: Path) -> None:
    """``--segmentation none`` reads "Hello world, this is a test." as one segment instead of two (no
    pause at the comma: another take), leaves the comma-free text as it was, and says so in the notes;
    an unknown method fails before any model work."""
    from gpt_sovits.evaluation.cloning import EvalInputError

    common = dict(texts=TEXTS, ref=str(clips.male[1]), lang="en", zero_shot=True, ref_text=SENTENCES[0],
                  base="tiny", pretrained=str(pretrained))
    asr = FakeASR("hello")
    with pytest.raises(EvalInputError, match="--segmentation: unknown text split method 'by_mood'"):
        eval_clone(EvalCloneConfig(**common, segmentation="by_mood"), asr=asr, embedder=FakeEmbedder())
    assert asr.calls == 0
    default = eval_clone(EvalCloneConfig(**common), asr=FakeASR("hello"), embedder=FakeEmbedder(),
                         dnsmos=FakeDnsmos()).to_dict()
    whole = eval_clone(EvalCloneConfig(**common, segmentation="cut0"), asr=FakeASR("hello"),
                       embedder=FakeEmbedder(), dnsmos=FakeDnsmos()).to_dict()
    first, second = (t["audio_seconds"] for t in default["texts"])
    assert whole["texts"][0]["audio_seconds"] != pytest.approx(first)
    assert whole["texts"][1]["audio_seconds"] == pytest.approx(second)
    assert "synthesis segmentation: none (given, not the voice's default)" in whole["notes"]
    assert not any("segmentation" in note or "pitch level" in note for note in default["notes"])


def test_the_decoders_own_pitch_level_can_be_asked_for_and_is_noted(clips, pretrained: Path) -> None:
    """``--no-keep-reference-pitch`` reaches synthesis's option and the report says the takes were made so
    (the tiny base's HiFi-GAN decoder cannot move its melody; the default adds no such note, see the
    segmentation test)."""
    common = dict(texts=TEXTS[:1], ref=str(clips.male[1]), lang="en", zero_shot=True, ref_text=SENTENCES[0],
                  base="tiny", pretrained=str(pretrained))
    own = eval_clone(EvalCloneConfig(**common, keep_reference_pitch=False), asr=FakeASR("hello"),
                     embedder=FakeEmbedder()).to_dict()
    assert any("decoder's own pitch level" in note for note in own["notes"])
    assert own["texts"][0]["audio_seconds"] > 0
