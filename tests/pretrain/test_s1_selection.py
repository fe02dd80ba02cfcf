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
    held_out = [reading.utterance_text(item) for item in items[60:]]
    floor = sum(e for e, _ in (reading.phone_errors(readout, i.semantic, i.phone_ids.tolist()) for i in items[60:]))
    floor /= sum(len(i.phone_ids) for i in held_out)
    seen = []

    def writes(answer):
        def fake_generate(model, phones, bert, prompt, *, options, generator, pointer=None):
            seen.append((options.top_k, options.repetition_penalty, prompt))
            return SimpleNamespace(tokens=answer(phones)[None])
        return fake_generate

    by_phones = {tuple(i.phone_ids.tolist()): i.semantic for i in items[60:]}
    monkeypatch.setattr(generate_module, "generate", writes(lambda phones: by_phones[tuple(phones.tolist())]))
    assert reading.reading_error(readout, None, held_out) == pytest.approx(floor)  # says its own text
    assert floor < 0.3
    assert set(seen) == {(1, 1.0, None)}
    monkeypatch.setattr(generate_module, "generate", writes(lambda phones: items[60].semantic))
    assert reading.reading_error(readout, None, held_out) > 0.5  # says the same sentence every time


def test_prompted_reading_goes_on_after_the_prompt_and_reads_only_the_text(monkeypatch) -> None:
    import gpt_sovits.models.s1.generate as generate_module

    items = _items(80, seed=3)
    readout = reading.run_readout(items[:60], CODES, epochs=10)
    held_out = [reading.utterance_text(item) for item in items[60:66]]
    prompts = items[:2]
    seen = []

    def fake_generate(model, phones, bert, prompt, *, options, generator, pointer=None):
        seen.append((len(phones), bert.shape[1], None if prompt is None else prompt.tolist()))
        text = by_phones[tuple(phones.tolist()[len(phones) - 5:])]  # every text has 5 phones
        return SimpleNamespace(tokens=text[None])  # the new tokens only, as generate returns them

    by_phones = {tuple(i.phone_ids.tolist()): i.semantic for i in items[60:66]}
    monkeypatch.setattr(generate_module, "generate", fake_generate)
    alone = reading.reading_error(readout, None, held_out)  # an S1 that says each text: the readout's floor
    assert alone < 0.3 and all(s[2] is None and s[0] == 5 for s in seen)
    seen.clear()
    assert reading.reading_error(readout, None, held_out, prompts) == pytest.approx(alone)
    # text i after prompt i mod 2: its phones and BERT behind the prompt's, the prompt's tokens first
    assert [s[2] for s in seen] == [prompts[i % 2].semantic.tolist() for i in range(6)]
    assert all(n == b == 10 for n, b, _ in seen)
    # an S1 that says the prompt again instead of the text reads badly
    monkeypatch.setattr(generate_module, "generate",
                        lambda model, phones, bert, prompt, **k: SimpleNamespace(tokens=prompt[None]))
    assert reading.reading_error(readout, None, held_out, prompts) > 0.5


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
    assert best_s1(tmp_path) == {"step": 5, "ce": 2.0, "read_error": 0.25, "scored_on": ""}
    assert float(next(trainer.model.parameters()).detach().view(-1)[0]) == 0.5  # training weights restored
    on_event(_event(20, ce=2.3, read_error=0.125))  # higher CE, reads better: kept
    assert best_s1(tmp_path)["step"] == 20 and best_s1(tmp_path)["read_error"] == 0.125
    assert float(load_any_s1(tmp_path / BEST_S1_FILE)[1][next(iter(trainer.model.state_dict()))].view(-1)[0]) == 0.5
    on_event(_event(30, ce=1.0, read_error=0.2))
    assert best_s1(tmp_path)["step"] == 20 and trainer.validated == 1
    infos = [e.message for e in events if isinstance(e, InfoEvent)]
    assert infos == ["the kept S1 (step 5) was chosen by another rule or on other texts; scored again: "
                     "validation read_error 0.2500",
                     "best S1 so far: validation read_error 0.1250 at step 20"]
    assert sum(isinstance(e, ValidationEvent) for e in events) == 3  # every event still reaches the log


def test_a_run_that_selects_by_ce_keeps_the_lowest_ce(tmp_path) -> None:
    trainer = _Trainer()
    on_event = keeping_best_s1(tmp_path, trainer, lambda e: None)
    for step, ce in ((1, 3.0), (2, 2.5), (3, 2.7)):
        on_event(_event(step, ce))
    assert best_s1(tmp_path) == {"step": 2, "ce": 2.5, "scored_on": ""} and trainer.validated == 0


def test_a_best_read_on_other_texts_is_read_again_before_it_is_compared(tmp_path) -> None:
    trainer = _Trainer()
    trainer.set_marker(0.3)  # the kept S1, which reads these texts with 0.3
    save_s1(tmp_path / BEST_S1_FILE, trainer.model, extra={"step": "5"})
    (tmp_path / BEST_S1_META).write_text(json.dumps({"step": 5, "ce": 2.0, "read_error": 0.1, "scored_on": "8"}))
    trainer.set_marker(0.2)
    on_event = keeping_best_s1(tmp_path, trainer, lambda e: None, "read_error", scored_on="40")
    on_event(_event(10, ce=2.1, read_error=0.2))  # worse than 0.1 on the old texts, better than 0.3 on these
    assert best_s1(tmp_path) == {"step": 10, "ce": 2.1, "read_error": 0.2, "scored_on": "40"}
    on_event(_event(20, ce=2.1, read_error=0.25))
    assert best_s1(tmp_path)["step"] == 10 and trainer.validated == 1


def test_held_out_reading_texts_are_new_sentences_in_the_corpus_languages() -> None:
    from gpt_sovits.corpus.sentences import SentencePool
    from gpt_sovits.text import to_phones

    taken = SentencePool("en", 5).sentence(reading.TEXTS_VOICE, 0)  # the first English draw
    corpus = [(taken, "EN"), ("今天天气很好。", "ZH")]
    texts = reading.held_out_texts(corpus, 12, seed=5, symbols="v2", bert_dim=16, tokens_per_phone=2.5)
    again = reading.held_out_texts(corpus, 12, seed=5, symbols="v2", bert_dim=16, tokens_per_phone=2.5)
    assert [t.phone_ids.tolist() for t in texts] == [t.phone_ids.tolist() for t in again]
    assert len(texts) == 12
    english = {tuple(to_phones(SentencePool("en", 5).sentence(reading.TEXTS_VOICE, i), "en", "v2").ids)
               for i in range(0, 40, 2)}
    said = [tuple(t.phone_ids.tolist()) for t in texts]
    assert tuple(to_phones(taken, "en", "v2").ids) not in said  # a corpus text is never a reading text
    assert 4 <= sum(s in english for s in said) <= 8  # the languages take turns
    assert len(set(said)) == 12
    for text in texts:
        assert text.bert.shape == (16, len(text.phone_ids)) and not text.bert.any()
        assert text.tokens == max(1, round(2.5 * len(text.phone_ids)))
    assert len(reading.held_out_texts([(taken, "en")], 3, 5, "v2", 16, 2.5)) == 3


def test_the_reading_score_adds_held_out_texts_only_without_bert() -> None:
    from gpt_sovits.pretrain.best_s1 import reading_texts
    from gpt_sovits.pretrain.config import PretrainConfig

    train, val = _items(30, seed=3), _items(2, seed=4)
    corpus = [("A corpus sentence.", "en")]
    cfg = PretrainConfig.preset("tiny").replace(s1_reading_texts=5)
    texts = reading_texts(cfg, (train, val), corpus)
    assert len(texts) == 7 and texts[0].tokens == len(val[0].semantic)
    assert len(reading_texts(cfg.replace(s1_reading_texts=0), (train, val), corpus)) == 2
    for item in val:
        item.bert = torch.ones(1, len(item.phone_ids))  # a run with BERT: its features are not zero
    assert len(reading_texts(cfg, (train, val), corpus)) == 2


def test_the_reading_digest_changes_with_the_texts_and_with_the_prompts_they_follow() -> None:
    texts = [reading.utterance_text(item) for item in _items(3, seed=4)]
    prompt = [SimpleNamespace(slice_id="voice-a_00001")]
    plain = reading.texts_digest(texts)
    assert plain == reading.texts_digest(texts, ())  # runs that read without a prompt keep their digest
    assert reading.texts_digest(texts[:2]) != plain
    assert reading.texts_digest(texts, prompt) != plain
    assert reading.texts_digest(texts, prompt) != reading.texts_digest(texts, [SimpleNamespace(slice_id="voice-a_00007")])


def test_a_readout_trained_on_other_tokens_has_another_fingerprint(tmp_path) -> None:
    items = _items(40, seed=6)
    first = reading.run_readout(items, CODES, epochs=1, cache=tmp_path / "a.pt")
    assert first.trained_on and reading.run_readout(items, CODES, epochs=1, cache=tmp_path / "a.pt").trained_on == first.trained_on
    grown = reading.run_readout(items + _items(5, seed=7), CODES, epochs=1, cache=tmp_path / "a.pt")
    assert grown.trained_on != first.trained_on  # a grown corpus: the kept S1's score no longer compares
