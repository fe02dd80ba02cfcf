"""Token-to-phone alignment: monotonic, every pronounced phone gets tokens, sensible fallbacks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from gpt_sovits.features.token_align import (
    align_tokens,
    monotonic_path,
    pronounced_positions,
    proportional_alignment,
)
from gpt_sovits.text.symbols import phones_to_ids, symbols


class _Readout(nn.Module):
    """Hears phone ``said[t]`` at token ``t`` (a stand-in for a trained token readout)."""

    def __init__(self, said: list[int], codes: int = 16) -> None:
        super().__init__()
        self.embed = nn.Embedding(codes, 4)
        self.said = said

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        logits = torch.zeros(1, tokens.shape[1], len(symbols()) + 1)
        logits[0, :, 0] = 20.0  # the blank wins everywhere, as between CTC spikes
        for t, phone in enumerate(self.said):
            logits[0, t, phone + 1] = 5.0
        return logits


def test_monotonic_path_gives_every_column_a_run_in_order():
    rng = np.random.default_rng(0)
    for n, q in [(5, 5), (12, 4), (30, 11), (1, 1)]:
        path = monotonic_path(rng.normal(size=(n, q)))
        assert path[0] == 0 and path[-1] == q - 1
        assert np.all(np.diff(path) >= 0) and np.all(np.diff(path) <= 1)
        assert sorted(set(path.tolist())) == list(range(q))
    with pytest.raises(ValueError, match="cannot align"):
        monotonic_path(np.zeros((2, 3)))


def test_alignment_follows_what_the_readout_hears_and_skips_silent_symbols():
    phones = phones_to_ids("n i2 , h ao3 .".split())
    n, i2, h, ao3 = phones[0], phones[1], phones[3], phones[4]
    heard = [n, n, i2, i2, i2, i2, h, ao3, ao3]
    alignment = align_tokens(_Readout(heard), torch.arange(9), phones)
    assert alignment == [0, 0, 1, 1, 1, 1, 3, 4, 4]


def test_fallbacks_spread_tokens_evenly():
    phones = phones_to_ids("n i2 , h ao3 .".split())
    too_few = align_tokens(_Readout([]), torch.arange(3), phones)  # 3 tokens, 4 phones
    assert too_few == proportional_alignment(3, phones) == [0, 1, 3]
    outside = align_tokens(_Readout([]), torch.tensor([0, 99, 1, 2, 3]), phones)  # not the readout's codebook
    assert outside == proportional_alignment(5, phones)
    assert set(outside) <= set(pronounced_positions(phones))
    assert proportional_alignment(2, phones_to_ids([",", "."])) == [0, 0]
    assert align_tokens(_Readout([]), torch.zeros(0, dtype=torch.long), phones) == []
