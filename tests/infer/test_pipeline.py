from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest
import torch

from gpt_sovits.errors import UnsupportedText
from gpt_sovits.infer import pipeline
from gpt_sovits.infer.options import SynthesisOptions
from gpt_sovits.infer.results import collect
from gpt_sovits.models.s1.generate import GenerateResult

TEXT = "今天天气很好，我们去公园散步吧。Hello world, how are you?"


def plausible_generate(calls: list[dict] | None = None, per_phone: float = 2.5):
    """A fast S1 stand-in: ~2.5 tokens per input phone, ends on EOS, records its inputs."""

    def fake(model, phones, bert, prompt=None, *, options=None, generator=None, **kwargs):
        if calls is not None:
            calls.append({"phones": phones.clone(), "bert": bert.clone(), "prompt": prompt, "options": options})
        n = max(12, int(per_phone * phones.shape[-1]))
        tokens = torch.randint(0, 1024, (n,), generator=generator)
        return GenerateResult(tokens=tokens, idx=n, eos=True, prompt_len=0 if prompt is None else len(prompt))

    return fake


def test_same_seed_same_audio_and_other_seed_differs(tiny_voice) -> None:
    text = "今天天气很好，Hello world!"
    a = collect(pipeline.synthesize(tiny_voice, text, SynthesisOptions(seed=11)))
    b = collect(pipeline.synthesize(tiny_voice, text, SynthesisOptions(seed=11)))
    c = collect(pipeline.synthesize(tiny_voice, text, SynthesisOptions(seed=12)))
    assert a.audio.dtype == np.float32 and a.sample_rate == 32000 and a.audio.size > 0
    assert np.array_equal(a.audio, b.audio) and a.seeds == b.seeds
    assert a.audio.shape != c.audio.shape or not np.array_equal(a.audio, c.audio)


def test_one_chunk_per_segment_with_pause_between(tiny_voice, monkeypatch) -> None:
    monkeypatch.setattr(pipeline, "generate", plausible_generate())
    chunks = list(pipeline.synthesize(tiny_voice, TEXT, SynthesisOptions(seed=1, pause=0.25)))
    assert [c.text for c in chunks] == ["今天天气很好，", "我们去公园散步吧。", "Hello world,", "how are you?"]
    assert [c.index for c in chunks] == [0, 1, 2, 3] and chunks[-1].is_last
    assert all(c.pause_samples == 8000 and not c.audio[-8000:].any() for c in chunks[:-1])
    assert chunks[-1].pause_samples == 0
    assert all(np.abs(c.audio).max() <= 1.0 for c in chunks)


def test_prompt_rules_and_short_segment_prefix(tiny_voice, monkeypatch) -> None:
    calls: list[dict] = []
    monkeypatch.setattr(pipeline, "generate", plausible_generate(calls))
    list(pipeline.synthesize(tiny_voice, "好。", SynthesisOptions(seed=1)))
    prompt_phones = len(tiny_voice.prompt_ids)
    assert tiny_voice.prompt_text == "今天天气很好。" and calls[0]["prompt"] is tiny_voice.prompt
    target = calls[0]["phones"][prompt_phones:].tolist()
    from gpt_sovits.text import to_phones

    assert target == to_phones(".好。", "auto").ids  # < 6 phones: re-run with a "." prefix
    assert calls[0]["bert"].shape == (1024, prompt_phones + len(target))
    assert not calls[0]["bert"].any()  # no BERT featurizer: zeros
    assert calls[0]["options"].max_new_tokens <= 1500


class OnesBert:
    dim = 1024

    def phone_features(self, norm_text, word2ph):
        return torch.ones(self.dim, sum(word2ph))


def test_bert_features_only_for_chinese(tiny_voice, monkeypatch) -> None:
    calls: list[dict] = []
    monkeypatch.setattr(pipeline, "generate", plausible_generate(calls))
    monkeypatch.setattr(tiny_voice, "bert", OnesBert())
    list(pipeline.synthesize(tiny_voice, "你好世界，Hello there my friend.", SynthesisOptions(seed=1)))
    p = len(tiny_voice.prompt_ids)
    zh, en = calls[0]["bert"][:, p:], calls[1]["bert"][:, p:]
    assert zh.all() and not en.any()


def test_errors_before_any_audio(tiny_voice) -> None:
    with pytest.raises(UnsupportedText):
        pipeline.synthesize(tiny_voice, "  ，。！ ", SynthesisOptions())
    with pytest.raises(ValueError, match="segmentation"):
        pipeline.synthesize(tiny_voice, "hello", SynthesisOptions(segmentation="cut9"))
    # a HiFi-GAN voice (as the official ones) cannot move its melody: say so rather than ignore the slider
    with pytest.raises(ValueError, match="cannot change pitch"):
        pipeline.synthesize(tiny_voice, "hello", SynthesisOptions(pitch=3.0))


def test_streams_first_chunk_before_later_segments_run(tiny_voice, monkeypatch) -> None:
    calls: list[dict] = []
    monkeypatch.setattr(pipeline, "generate", plausible_generate(calls))
    chunks = pipeline.synthesize(tiny_voice, TEXT, SynthesisOptions(seed=1))
    assert calls == []  # nothing runs before the first next()
    first = next(chunks)
    assert first.index == 0 and len(calls) == 1
    rest = list(chunks)
    assert len(calls) == 1 + len(rest) == 4


class NoiseS2:
    """S2 stand-in: 1280 samples of noise per token (the real tiny S2 costs ~0.25 s per second)."""

    controls_pitch = False

    def decode(self, codes, phones, refer_specs, noise_scale=0.5, length_scale=1.0, generator=None, pitch=None):
        return 0.1 * torch.randn(1, 1, codes.shape[-1] * 1280, generator=generator)


def test_long_text_streams_in_constant_memory(tiny_voice, monkeypatch) -> None:
    monkeypatch.setattr(pipeline, "generate", plausible_generate(per_phone=1.5))
    monkeypatch.setattr(tiny_voice, "s2", NoiseS2())
    sentence = "The weather is fine today, and we walk to the park. 今天天气很好，我们去公园散步吧。"
    text = (sentence * (3000 // len(sentence) + 1))[:3000]
    assert len(text) == 3000
    options = SynthesisOptions(seed=5, segmentation="every_50_chars", pause=0.1)
    warm_up = text[-200:]  # loads the front-end's dictionaries and OOV models first
    list(pipeline.synthesize(tiny_voice, warm_up, options))
    gc.collect()
    tracemalloc.start()
    usage: list[int] = []
    seen = 0
    try:
        for chunk in pipeline.synthesize(tiny_voice, text, options):
            seen += 1
            assert chunk.count > 40 and chunk.retries == 0
            del chunk
            gc.collect()
            usage.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    assert seen > 40
    warm = usage[5]
    assert max(usage[5:]) - warm < 2_000_000, f"memory grew from {warm} to {max(usage)} bytes: {usage}"


def test_target_alignment_counts_the_segments_own_phones_from_zero() -> None:
    """A phone-pointer S1 numbers phones after the prompt's; the text melody needs them per segment."""
    from gpt_sovits.infer.pipeline import target_alignment
    from gpt_sovits.models.s1.generate import GenerateResult

    result = GenerateResult(tokens=torch.tensor([7, 8, 9, 10, 11]), idx=5, eos=True, prompt_len=4,
                            alignment=torch.tensor([5, 5, 6, 7, -1]))  # -1: the pointer ran past the end
    assert target_alignment(result, prompt_phones=5, n_ids=3).tolist() == [0, 0, 1, 2, 2]
    plain = GenerateResult(tokens=torch.tensor([7, 8]), idx=2, eos=True, prompt_len=4)
    assert target_alignment(plain, prompt_phones=5, n_ids=3) is None
