"""The prompted validation CE: targets read after a same-voice training prompt, as synthesis does."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from gpt_sovits.pretrain.prompted import prompted_ce, voice_prompts

EOS, VOCAB = 9, 10


def _item(slice_id: str, frames: int, tokens: list[int]) -> SimpleNamespace:
    phones = torch.arange(1, len(tokens) // 2 + 2)
    return SimpleNamespace(slice_id=slice_id, frames=frames, phone_ids=phones, bert=torch.zeros(4, len(phones)),
                           semantic=torch.tensor(tokens))


class Oracle(torch.nn.Module):
    """Row j of its logits predicts tokens[j] (the end token after the last), confidently where
    ``sure_from`` <= j, uniformly before: the CE of a correctly sliced target part is ~0."""

    def __init__(self, sure_from: int = 0) -> None:
        super().__init__()
        self.config, self.sure_from, self.calls = SimpleNamespace(eos=EOS), sure_from, []

    def forward(self, phones, phone_lens, bert, tokens, token_lens):
        self.calls.append((phones[0].tolist(), bert.shape, tokens[0].tolist()))
        answers = tokens[0].tolist() + [EOS]
        logits = torch.zeros(1, len(answers), VOCAB)
        for j, token in enumerate(answers):
            if j >= self.sure_from:
                logits[0, j, token] = 50.0
        return logits


def test_prompts_are_same_voice_training_utterances_of_two_to_eight_seconds() -> None:
    train = [_item("a_00001", 60, [1, 2]), _item("a_00002", 200, [1, 2]), _item("a_00003", 300, [1, 2]),
             _item("b_00001", 900, [3, 4]), _item("c_00001", 200, [5, 6])]
    wanted = [_item("a_00009", 150, [1, 2]), _item("b_00009", 150, [3, 4]), _item("d_00009", 150, [7, 8])]
    prompts = voice_prompts(train + wanted[:1], wanted)
    assert {voice: item.slice_id for voice, item in prompts.items()} == {"a": "a_00002", "b": "b_00001"}


def test_prompted_ce_scores_the_target_and_its_end_after_the_prompt() -> None:
    prompt, target = _item("a_00001", 200, [1, 2, 3, 4, 5, 6]), _item("a_00009", 100, [7, 8, 7])
    lonely = _item("z_00001", 100, [1, 1])  # no prompt for its voice: left out
    model = Oracle(sure_from=len(prompt.semantic))  # unsure about the prompt part only
    assert prompted_ce(model, [target, lonely], {"a": prompt}) == pytest.approx(0.0, abs=1e-6)
    phones, bert_shape, tokens = model.calls[0]
    assert phones == prompt.phone_ids.tolist() + target.phone_ids.tolist()
    assert tokens == [1, 2, 3, 4, 5, 6, 7, 8, 7] and bert_shape == (1, 4, len(phones))
    unsure = Oracle(sure_from=len(prompt.semantic) + 1)  # the target's first token is a guess among 10
    expected = torch.log(torch.tensor(float(VOCAB))).item() / (len(target.semantic) + 1)
    assert prompted_ce(unsure, [target], {"a": prompt}) == pytest.approx(expected, rel=1e-4)
    assert prompted_ce(model, [lonely], {"a": prompt}) is None
