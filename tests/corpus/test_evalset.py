"""Evaluation sets (`corpus eval-set`): layout, durations, held-out texts, determinism, guards."""

from __future__ import annotations

import argparse
import gzip
import json

import pytest
import soundfile as sf

from gpt_sovits.corpus import evalset
from gpt_sovits.corpus.evalset import (
    EN_ROOT,
    EN_TRANSCRIPTS,
    HELDOUT_MIX,
    HELDOUT_SPEAKER,
    EvalSetError,
    asterisk_candidates,
    clean_prompt_text,
    heldout_kokoro_voice,
    make_eval_set,
    read_prompt_transcripts,
    text_fits,
)
from gpt_sovits.corpus.sources import EvaluationSourceError, check_training_path
from gpt_sovits.data.labels import read_list
from gpt_sovits.evaluation.cloning import resolve_train_inputs

from .conftest import tone

PROMPTS = {  # name -> (text, seconds)
    **{f"prompt-{i:02d}": (f"Please hold the line number {w} while we connect your call.", 2.5 + 0.4 * (i % 8))
       for i, w in enumerate(("one two three four five six seven eight nine ten eleven twelve thirteen "
                              "fourteen fifteen sixteen seventeen eighteen nineteen twenty").split())},
    "beep": ("[this is a simple beep tone]", 3.0),
    "at-tone": ("At the sound of the tone, the time will be exactly...", 4.0),
    "digits-in-text": ("Press 1 for sales.", 3.0),
    "too-long": ("This prompt is far too long to be a training clip for us.", 12.0),
    "Thanks": ("Thank you.", 1.0),
}


@pytest.fixture
def fake_asterisk(tmp_path):
    """A tiny stand-in for the asterisk prompts: 8 kHz tone wavs and a gzipped transcript file."""
    root = tmp_path / "sounds"
    root.mkdir()
    lines = ["; Core Asterisk Sounds in English", ""]
    for i, (name, (text, seconds)) in enumerate(sorted(PROMPTS.items())):
        sf.write(root / f"{name}.wav", tone(220.0, seconds, 8000, seed=i), 8000, subtype="PCM_16")
        lines.append(f"{name}: {text}")
    transcripts = tmp_path / "core-sounds-en.txt.gz"
    transcripts.write_bytes(gzip.compress("\n".join(lines).encode("utf-8")))
    return root, transcripts


def test_prompt_transcripts_and_cleaning(fake_asterisk):
    root, transcripts = fake_asterisk
    found = read_prompt_transcripts(transcripts)
    assert found["beep"] == "[this is a simple beep tone]" and len(found) == len(PROMPTS)
    assert clean_prompt_text("Press 1 for sales.") is None and clean_prompt_text("Goodbye.") is None
    assert clean_prompt_text("Agent logged in.") == "Agent logged in."
    names = {name for name, _, _ in asterisk_candidates(root, transcripts)}
    assert "beep" not in names and "at-tone" not in names and "digits-in-text" not in names
    assert len(names) == 22  # 20 prompts + too-long + Thanks (their durations are checked later)
    with pytest.raises(EvalSetError, match="asterisk-core-sounds-en-wav"):
        asterisk_candidates(root / "missing", transcripts)


def _check_set(out, lang, seconds):
    labels, warnings = read_list(out / "train.list")
    assert not warnings and labels and all(e.lang == lang for e in labels)
    inputs = resolve_train_inputs([out / "train.list"])  # what eval-clone --train reads
    assert len(inputs.files) == len(labels)
    durations = []
    for path in inputs.files:
        info = sf.info(str(path))
        assert info.samplerate == 32000 and info.channels == 1
        durations.append(info.duration)
    assert all(2.0 <= d <= 8.0 for d in durations)
    assert seconds <= sum(durations) <= seconds + 8.0
    ref = sf.info(str(out / "ref.wav"))
    assert ref.samplerate == 32000 and 3.0 <= ref.duration <= 8.0
    ref_text = (out / "ref.txt").read_text(encoding="utf-8").strip()
    assert ref_text and ref_text not in {e.text for e in labels}
    texts = (out / "texts.txt").read_text(encoding="utf-8").splitlines()
    assert len(texts) == evalset.TEXT_COUNT == len(set(texts)) and all(text_fits(t, lang) for t in texts)
    assert not set(texts) & ({e.text for e in labels} | {ref_text})
    summary = json.loads((out / "evalset.json").read_text(encoding="utf-8"))
    assert summary["train_clips"] == len(labels)
    assert summary["commands"]["finetune"].startswith(f"python -m gpt_sovits eval-clone --train {out}/train.list")
    return labels, texts


def test_english_set_from_prompts(fake_asterisk, tmp_path):
    root, transcripts = fake_asterisk
    make = lambda out, seed: make_eval_set(out, "en", seed=seed, seconds=20, en_root=root,  # noqa: E731
                                           en_transcripts=transcripts)
    summary = make(tmp_path / "a", 5)
    labels, texts = _check_set(tmp_path / "a", "en", 20)
    assert summary["speaker"] == "allison" and {e.speaker for e in labels} == {"allison"}
    assert summary["readings"] == 0 and not (tmp_path / "a" / "readings.list").exists()  # no voice to read them
    assert all(e.text.startswith("Please hold the line") for e in labels)
    make(tmp_path / "b", 5)
    for name in ("train.list", "texts.txt", "ref.txt"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    make(tmp_path / "c", 6)
    assert (tmp_path / "a" / "train.list").read_bytes() != (tmp_path / "c" / "train.list").read_bytes()
    with pytest.raises(EvalSetError, match="not empty"):
        make(tmp_path / "a", 5)
    with pytest.raises(EvalSetError, match="usable training clips"):
        make_eval_set(tmp_path / "d", "en", seconds=500, en_root=root, en_transcripts=transcripts)


class FakeZhSource:
    """Speaks every Chinese character as 0.22 s of a 330 Hz tone at 24 kHz."""

    name = "fake-kokoro"
    licence = "test"

    def __init__(self) -> None:
        self.voices_seen = set()

    def synthesize(self, voice, text):
        self.voices_seen.add(voice.id)
        return tone(330.0, 0.22 * len(text), 24000, seed=len(text)), 24000


def test_mandarin_set_with_heldout_voice(tmp_path, tone_corpus, fake_embedder):
    source = FakeZhSource()
    summary = make_eval_set(tmp_path / "zh", "zh", seed=3, seconds=15, source=source, corpus=tone_corpus,
                            embedder=fake_embedder)
    labels, _ = _check_set(tmp_path / "zh", "zh", 15)
    zh_speaker = HELDOUT_SPEAKER.format(lang="zh")
    assert source.voices_seen == {zh_speaker} and {e.speaker for e in labels} == {zh_speaker}
    assert str(list(HELDOUT_MIX[0])) in summary["source"].replace("(", "[").replace(")", "]")
    check = summary["speaker_check"]
    assert set(check["others"]) == {"a", "b", "c"} and check["nearest"] == "a"  # 330 Hz is near a's 300 Hz band
    assert check["self_similarity"] > 0.95 and check["ref_to_train"] > 0.95
    zero_shot = summary["commands"]["zero_shot"]
    assert f"--corpus {tone_corpus}" in zero_shot and zero_shot.endswith(f"--out {tmp_path / 'zh'}-zs")
    ref_text = (tmp_path / "zh" / "ref.txt").read_text(encoding="utf-8").strip()
    assert f"--ref-text '{ref_text}'" in zero_shot
    readings, _ = read_list(tmp_path / "zh" / "readings.list")  # the voice reading each test text, in order
    texts = (tmp_path / "zh" / "texts.txt").read_text(encoding="utf-8").splitlines()
    assert [e.text for e in readings] == texts and summary["readings"] == len(texts) == 30
    assert {e.speaker for e in readings} == {zh_speaker} and {e.lang for e in readings} == {"zh"}
    first = sf.info(tmp_path / "zh" / readings[0].path)
    assert first.samplerate == 32000 and first.duration == pytest.approx(0.22 * len(texts[0]), rel=0.1)
    assert summary["commands"]["eval_paths"].endswith(f"--readings {tmp_path / 'zh'}/readings.list --lang zh")


def test_english_set_with_the_heldout_kokoro_voice(tmp_path):
    """The full-band English counterpart of Allison: the same held-out mix speaking English."""
    source = FakeZhSource()  # one tone per character: long enough clips for English sentences too
    summary = make_eval_set(tmp_path / "en", "en", seed=3, seconds=15, source=source, voice="kokoro")
    labels, texts = _check_set(tmp_path / "en", "en", 15)
    assert source.voices_seen == {"kokoro-heldout-en"} and {e.speaker for e in labels} == {"kokoro-heldout-en"}
    assert all(t.isascii() for t in texts) and summary["speaker"] == "kokoro-heldout-en"
    with pytest.raises(EvalSetError, match="--voice allison has no zh evaluation set"):
        make_eval_set(tmp_path / "zh", "zh", source=source, voice="allison")
    assert not (tmp_path / "zh").exists()


def test_heldout_mix_is_not_a_corpus_voice():
    voice = heldout_kokoro_voice()
    assert voice.language == "zh" and voice.params["mix"] == HELDOUT_MIX
    assert len(HELDOUT_MIX) == 3 and len({w for _, w in HELDOUT_MIX}) == 3
    assert sum(w for _, w in HELDOUT_MIX) == pytest.approx(1.0)
    with pytest.raises(EvalSetError, match="corpus voice"):
        heldout_kokoro_voice(mix=(("jf_alpha", 0.5), ("jf_gongitsune", 0.5)))


def test_the_english_source_stays_out_of_training():
    with pytest.raises(EvaluationSourceError):
        check_training_path(EN_ROOT / "agent-pass.wav")
    with pytest.raises(EvaluationSourceError):
        check_training_path(EN_TRANSCRIPTS)


def test_real_asterisk_prompts_have_enough_clean_transcripts():
    if not EN_ROOT.is_dir() or not EN_TRANSCRIPTS.is_file():
        pytest.skip("asterisk-core-sounds-en-wav is not installed")
    found = asterisk_candidates(EN_ROOT, EN_TRANSCRIPTS)
    assert len(found) >= 60 and all(wav.is_file() for _, wav, _ in found)


def test_cli_eval_set(tmp_path, monkeypatch, capsys):
    from gpt_sovits.cli import corpus as cli

    real = evalset.make_eval_set
    monkeypatch.setattr(evalset, "make_eval_set", lambda *a, **k: real(*a, **k, source=FakeZhSource()))
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert cli.run(parser.parse_args(["eval-set", str(tmp_path / "o"), "--lang", "zh", "--seconds", "10"])) == 0
    data = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert data["lang"] == "zh" and data["train_seconds"] >= 10 and (tmp_path / "o" / "texts.txt").is_file()
    assert cli.run(parser.parse_args(["eval-set", str(tmp_path / "o"), "--lang", "zh"])) == 1
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["ok"] is False


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_text_pools_fit_and_leave_room(lang):
    """Every pooled test text is usable, none twice, none with digits, with room for corpus overlaps."""
    from gpt_sovits.corpus.eval_texts import EN_TEXTS, ZH_TEXTS

    pool = EN_TEXTS if lang == "en" else ZH_TEXTS
    assert all(text_fits(t, lang) and not any(c.isdigit() for c in t) for t in pool)
    assert len({evalset._key(t) for t in pool}) == len(pool) >= evalset.TEXT_COUNT + 10


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_corpus_that_says_one_test_text_changes_only_that_text(lang):
    """Numbers of sessions with corpora of other sizes stay comparable: excluding a chosen text
    replaces it by the next one and keeps the others, in their order."""
    import random

    plain = evalset.choose_texts(lang, random.Random("s"))
    fewer = evalset.choose_texts(lang, random.Random("s"), exclude=[plain[3]])
    assert fewer[:3] == plain[:3] and fewer[3:-1] == plain[4:] and fewer[-1] not in plain
    assert evalset.choose_texts(lang, random.Random("s"), exclude=["not a test text"]) == plain
