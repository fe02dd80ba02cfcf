"""The probe's text-reliance numbers: S1's teacher-forced CE with each utterance's own text vs the
next utterance's text (a model blind to the text scores both alike)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gpt_sovits.models.s1.config import S1_PRESETS
from gpt_sovits.models.s1.model import Text2Semantic
from gpt_sovits.pretrain.probe import text_reliance


@dataclass
class Item:
    phone_ids: torch.Tensor
    bert: torch.Tensor
    semantic: torch.Tensor


def _items(same_text: bool) -> list[Item]:
    gen = torch.Generator().manual_seed(3)
    out = []
    for length, frames in ((6, 18), (9, 25), (4, 12)):
        phones = torch.arange(1, 7) if same_text else torch.randint(1, 60, (length,), generator=gen)
        out.append(Item(phones, torch.zeros(8, phones.shape[0]), torch.randint(0, 1000, (frames,), generator=gen)))
    return out


def test_text_reliance_swaps_only_the_text() -> None:
    torch.manual_seed(0)
    model = Text2Semantic(S1_PRESETS["tiny"].replace(bert_dim=8)).eval()
    same = text_reliance(model, _items(same_text=True))
    assert same["own_text"] == same["other_text"] > 0  # identical texts: swapping changes nothing
    differ = text_reliance(model, _items(same_text=False))
    assert differ["own_text"] != differ["other_text"]
    assert text_reliance(model, _items(same_text=False)[:1]) == {}
