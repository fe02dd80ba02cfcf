from __future__ import annotations

import numpy as np
import pytest
import torch

from gpt_sovits.infer import pipeline
from gpt_sovits.infer.asr_check import AsrCheck, phone_error_rate
from gpt_sovits.infer.guard import GuardConfig, check_tokens, find_loop, token_bounds
from gpt_sovits.infer.options import SynthesisOptions
from gpt_sovits.infer.results import collect
from gpt_sovits.models.s1.generate import GenerateResult

CFG = GuardConfig()


def speechlike_tokens(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 1024, n)


def test_bounds_scale_with_phones_and_respect_the_cap() -> None:
    assert token_bounds(20, CFG).low == 18 and token_bounds(20, CFG).high == 145
    assert token_bounds(1000, CFG).high == 1500


def test_find_loop_catches_repeated_blocks_only() -> None:
    assert find_loop(speechlike_tokens(300), CFG) is None
    block = [5, 9, 300, 41, 77, 12]
    looped = np.concatenate([speechlike_tokens(40), block * 6, speechlike_tokens(30, 1)])
    loop = find_loop(looped, CFG)
    assert loop is not None and loop.period == 6 and loop.repeats >= 6 and loop.start == 40
    stutter = np.concatenate([speechlike_tokens(40), [3, 4] * 2, speechlike_tokens(40, 2)])
    assert find_loop(stutter, CFG) is None  # a short stutter is not a loop
    pause = np.concatenate([speechlike_tokens(40), [486] * 30, speechlike_tokens(40, 3)])
    assert find_loop(pause, CFG) is None  # a 1.2 s silence is fine
    hang = np.concatenate([speechlike_tokens(40), [486] * 80])
    assert find_loop(hang, CFG).period == 1


def test_check_tokens_reasons() -> None:
    assert check_tokens(speechlike_tokens(50), 20, True, CFG).ok
    short = check_tokens(speechlike_tokens(10), 20, True, CFG)
    assert not short.ok and "too short" in short.issues[0]
    endless = check_tokens(speechlike_tokens(145), 20, False, CFG)
    assert not endless.ok and "no end of speech" in endless.issues[0]
    assert check_tokens(np.array([1, 2, 3, 4] * 20), 40, True, CFG).issues[0].startswith("repetition loop")


def looping_then_fine(calls: list[int], bad_takes: int = 1):
    """S1 stand-in whose first ``bad_takes`` takes loop on a 4-token block forever (no EOS)."""

    def fake(model, phones, bert, prompt=None, *, options=None, generator=None, **kwargs):
        calls.append(int(generator.initial_seed()))
        if len(calls) <= bad_takes:
            tokens = torch.tensor([7, 8, 9, 10] * (options.max_new_tokens // 4))
            return GenerateResult(tokens=tokens, idx=len(tokens), eos=False, prompt_len=0)
        n = int(2.5 * phones.shape[-1])
        return GenerateResult(tokens=torch.randint(0, 1024, (n,), generator=generator), idx=n, eos=True,
                              prompt_len=0)

    return fake


def test_forced_repetition_loop_is_caught_and_retried(tiny_voice, monkeypatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(pipeline, "generate", looping_then_fine(calls))
    chunks = list(pipeline.synthesize(tiny_voice, "今天天气很好。", SynthesisOptions(seed=3, max_retries=2)))
    assert len(chunks) == 1 and len(calls) == 2 and calls[0] != calls[1]
    chunk = chunks[0]
    assert chunk.retries == 1 and chunk.seed == calls[1]
    assert any("repetition loop" in issue for issue in chunk.issues)
    result = collect(iter(chunks))
    assert result.retries == 1 and result.summary()["retries"] == 1


def test_retries_are_bounded_and_the_least_bad_take_is_kept(tiny_voice, monkeypatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(pipeline, "generate", looping_then_fine(calls, bad_takes=99))
    chunk = next(pipeline.synthesize(tiny_voice, "今天天气很好。", SynthesisOptions(seed=3, max_retries=2)))
    assert len(calls) == 3 and chunk.retries == 2 and len(chunk.issues) >= 3
    assert chunk.audio.size > 0


class ScriptedASR:
    def __init__(self, texts: list[str]) -> None:
        self.texts = texts

    def transcribe(self, audio, sr, language="auto"):
        class T:
            text = self.texts.pop(0)

        return T()


def test_asr_check_regenerates_drifting_takes(tiny_voice, monkeypatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(pipeline, "generate", looping_then_fine(calls, bad_takes=0))
    asr = AsrCheck(ScriptedASR(["今天", "今天天汽很好"]))
    chunks = list(pipeline.synthesize(tiny_voice, "今天天气很好。", SynthesisOptions(seed=1, asr_check=True), asr=asr))
    assert len(calls) == 2 and chunks[0].retries == 1
    assert chunks[0].asr_text == "今天天汽很好" and chunks[0].asr_error == pytest.approx(0.0)
    assert "ASR heard" in chunks[0].issues[0]


def test_phone_error_rate_ignores_spelling_but_not_missing_words() -> None:
    assert phone_error_rate("今天天气很好。", "今天天汽很好", "zh") == 0.0  # homophone
    assert phone_error_rate("I have 2 cats.", "I have two cats", "en") == 0.0
    assert phone_error_rate("今天天气很好。", "今天", "zh") > 0.5
