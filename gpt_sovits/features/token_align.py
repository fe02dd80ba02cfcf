"""Which phone does each semantic token say? Token-to-phone alignment by a token readout.

S1 with a phone pointer (:class:`~gpt_sovits.models.s1.config.S1Config` ``phone_pointer``) is
told, at every audio position, which phone it is speaking; training needs that phone for every
token of the corpus (and of a user's clips when fine-tuning), synthesis for every token of the
reference prompt. The token readout (:mod:`gpt_sovits.pretrain.token_readout`, a small CTC phone
recogniser on tokens) scores how much each token sounds like each phone; a monotonic alignment
search (the Glow-TTS/VITS "MAS") then gives every *pronounced* phone a run of at least one token,
in order, maximising the summed log-probability. The CTC blank is left out of the scores (it
dominates every frame between the recogniser's spikes and says nothing about which phone it is),
so pauses go to a neighbouring phone; punctuation and other silent symbols get no tokens.

When the alignment cannot exist (fewer tokens than pronounced phones) or there is nothing to
align, :func:`proportional_alignment` spreads the tokens evenly over the pronounced phones.

Shapes: n = tokens, p = phones of the sequence (silent ones included), q = pronounced phones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch


def pronounced_positions(phone_ids: Sequence[int]) -> list[int]:
    """Indices into ``phone_ids`` of the pronounced phones (silent symbols left out)."""
    from gpt_sovits.pretrain.phone_space import silent_ids

    silent = silent_ids()
    return [i for i, s in enumerate(phone_ids) if int(s) not in silent]


def monotonic_path(scores: np.ndarray) -> np.ndarray:
    """Best monotonic path through ``scores`` [n, q] (n >= q): every column gets >= 1 row, rows in
    order, the first row in column 0 and the last in column q-1. Returns the column of each row [n]."""
    n, q = scores.shape
    if q == 0 or n < q:
        raise ValueError(f"cannot align {q} phones to {n} tokens")
    total = np.full((n, q), -np.inf)
    total[0, 0] = scores[0, 0]
    for t in range(1, n):
        stay = total[t - 1]
        move = np.concatenate([[-np.inf], total[t - 1, :-1]])
        total[t] = np.maximum(stay, move) + scores[t]
    path = np.empty(n, dtype=np.int64)
    column = q - 1
    for t in range(n - 1, -1, -1):
        path[t] = column
        if t > 0 and column > 0 and (column == t or total[t - 1, column - 1] >= total[t - 1, column]):
            column -= 1
    return path


def proportional_alignment(tokens: int, phone_ids: Sequence[int]) -> list[int]:
    """Tokens spread evenly over the pronounced phones (indices into ``phone_ids``); all-silent
    sequences point at their first symbol."""
    positions = pronounced_positions(phone_ids) or [0]
    return [positions[min(len(positions) - 1, t * len(positions) // max(tokens, 1))] for t in range(tokens)]


@torch.no_grad()
def align_tokens(readout: Any | None, tokens: torch.Tensor, phone_ids: Sequence[int]) -> list[int]:
    """For each token of ``tokens`` [n], the index into ``phone_ids`` of the phone it says.

    Falls back to :func:`proportional_alignment` without a readout or when it cannot align them
    (fewer tokens than pronounced phones, or token ids outside its codebook).
    """
    tokens = tokens.reshape(-1).long()
    positions = pronounced_positions(phone_ids)
    n = tokens.numel()
    if readout is None or not positions or n < len(positions):
        return proportional_alignment(n, phone_ids)
    if int(tokens.min()) < 0 or int(tokens.max()) >= readout.embed.num_embeddings:
        return proportional_alignment(n, phone_ids)
    logits = readout(tokens[None])[0, :, 1:].float()  # blank left out
    log_probs = torch.log_softmax(logits, dim=-1)
    classes = torch.tensor([int(phone_ids[i]) for i in positions], dtype=torch.long)
    path = monotonic_path(log_probs[:, classes].numpy().astype(np.float64))
    return [positions[int(c)] for c in path]
