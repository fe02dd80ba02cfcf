"""Which S1 a pretraining run keeps: the one that reads best (token readout), not the lowest CE."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import torch

from gpt_sovits.checkpoint.s1 import load_any_s1, save_s1
from gpt_sovits.models.s1.config import S1_PRESETS
from gpt_sovits.models.s1.model import Text2Semantic
from gpt_sovits.pretrain import reading
from gpt_sovits.pretrain.best_s1 import BEST_S1_FILE, BEST_S1_META, best_s1, keeping_best_s1
from gpt_sovits.text.symbols import phones_to_ids
from gpt_sovits.train.events import InfoEvent, ValidationEvent

PHONES = phones_to_ids(["AA1", "B", "K", "S", "IY1", "M", "a1", "i4"])
CODES = 64


def _items(count: int, seed: int) -> list[SimpleNamespace]:
    """Utterances whose phones each own 8 of the 64 codes (2-4 tokens per phone), like a codebook."""
    gen = torch.Generator().manual_seed(seed)
    items = []
    for _ in range(count):
        picks = [int(p) for p in torch.randperm(len(PHONES), generator=gen)[:5]]
        tokens = torch.cat([8 * p + torch.randint(0, 8, (int(torch.randint(2, 5, (1,), generator=gen)),),
                                                  generator=gen) for p in picks])
        items.append(SimpleNamespace(semantic=tokens, phone_ids=torch.tensor([PHONES[p] for p in picks]),
                                     bert=torch.zeros(1, 5)))
    return items


def test_the_run_readout_is_trained_once_and_again_only_for_other_tokens(tmp_path, monkeypatch) -> None:
    items, cache = _items(60, seed=1), tmp_path / reading.READOUT_FILE
    first = reading.run_readout(items, CODES, epochs=2, cache=cache)
    assert cache.is_file()

    def no_training(*args, **kwargs):
        raise AssertionError("the cached readout should have been used")

    with monkeypatch.context() as patch:
        patch.setattr(reading, "fit_token_readout", no_training)
        again = reading.run_readout(items, CODES, epochs=2, cache=cache)
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), again.state_dict().values(),
                                                  strict=True))
    items[0].semantic = items[0].semantic.flip(0)  # a rebuilt codebook: other tokens, a new readout
    calls = []
    monkeypatch.setattr(reading, "fit_token_readout", lambda *a, **k: calls.append(1) or first)
    reading.run_readout(items, CODES, epochs=2, cache=cache)
    reading.run_readout(items, CODES, epochs=3, cache=cache)  # other epochs: not the same readout either
    cache.write_bytes(b"torn file")
    reading.run_readout(items, CODES, epochs=3, cache=cache)
    assert len(calls) == 3


def test_reading_error_decodes_greedily_without_prompt_and_scores_the_phones(monkeypatch) -> None:
    import gpt_sovits.models.s1.generate as generate_module

    items = _items(80, seed=2)
    readout = reading.run_readout(items[:60], CODES, epochs=10)
    held_out = items[60:]
    floor = sum(e for e, _ in (reading.phone_errors(readout, i.semantic, i.phone_ids.tolist()) for i in held_out))
    floor /= sum(len(i.phone_ids) for i in held_out)
    seen = []

    def writes(answer):
        def fake_generate(model, phones, bert, prompt, *, options, generator):
            seen.append((options.top_k, options.repetition_penalty, prompt))
            return SimpleNamespace(tokens=answer(phones)[None])
        return fake_generate

    by_phones = {tuple(i.phone_ids.tolist()): i.semantic for i in held_out}
    monkeypatch.setattr(generate_module, "generate", writes(lambda phones: by_phones[tuple(phones.tolist())]))
    assert reading.reading_error(readout, None, held_out) == pytest.approx(floor)  # says its own text
    assert floor < 0.3
    assert set(seen) == {(1, 1.0, None)}
    monkeypatch.setattr(generate_module, "generate", writes(lambda phones: held_out[0].semantic))
    assert reading.reading_error(readout, None, held_out) > 0.5  # says the same sentence every time


class _Trainer:
    """An S1 whose validation 'reading error' is written in its first weight."""

    def __init__(self) -> None:
        torch.manual_seed(0)
        self.model = Text2Semantic(S1_PRESETS["tiny"])
        self.validated = 0

    def set_marker(self, value: float) -> None:
        with torch.no_grad():
            next(self.model.parameters()).view(-1)[0] = value

    def validate(self) -> dict[str, float]:
        self.validated += 1
        return {"ce": 2.0, "read_error": float(next(self.model.parameters()).detach().view(-1)[0])}


def _event(step: int, ce: float, read_error: float | None = None) -> ValidationEvent:
    losses = {"ce": ce} | ({} if read_error is None else {"read_error": read_error})
    return ValidationEvent(stage="s1", step=step, epoch=0, losses=losses)


def test_the_best_s1_is_the_one_that_reads_best_and_a_ce_best_is_scored_again(tmp_path) -> None:
    trainer, events = _Trainer(), []
    trainer.set_marker(0.25)  # an old run's best, kept by CE before reading was scored
    save_s1(tmp_path / BEST_S1_FILE, trainer.model, extra={"step": "5"})
    (tmp_path / BEST_S1_META).write_text(json.dumps({"step": 5, "ce": 2.4}))
    trainer.set_marker(0.5)
    on_event = keeping_best_s1(tmp_path, trainer, events.append, "read_error")

    on_event(_event(10, ce=2.1, read_error=0.5))  # lower CE, but reads worse than the saved best
    assert best_s1(tmp_path) == {"step": 5, "ce": 2.0, "read_error": 0.25}
    assert float(next(trainer.model.parameters()).detach().view(-1)[0]) == 0.5  # training weights restored
    on_event(_event(20, ce=2.3, read_error=0.125))  # higher CE, reads better: kept
    assert best_s1(tmp_path)["step"] == 20 and best_s1(tmp_path)["read_error"] == 0.125
    assert float(load_any_s1(tmp_path / BEST_S1_FILE)[1][next(iter(trainer.model.state_dict()))].view(-1)[0]) == 0.5
    on_event(_event(30, ce=1.0, read_error=0.2))
    assert best_s1(tmp_path)["step"] == 20 and trainer.validated == 1
    infos = [e.message for e in events if isinstance(e, InfoEvent)]
    assert infos == ["the kept S1 (step 5) was chosen by another rule; scored again: validation read_error 0.2500",
                     "best S1 so far: validation read_error 0.1250 at step 20"]
    assert sum(isinstance(e, ValidationEvent) for e in events) == 3  # every event still reaches the log


def test_a_run_that_selects_by_ce_keeps_the_lowest_ce(tmp_path) -> None:
    trainer = _Trainer()
    on_event = keeping_best_s1(tmp_path, trainer, lambda e: None)
    for step, ce in ((1, 3.0), (2, 2.5), (3, 2.7)):
        on_event(_event(step, ce))
    assert best_s1(tmp_path) == {"step": 2, "ce": 2.5} and trainer.validated == 0
