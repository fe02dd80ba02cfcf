"""The phone pointer of S1: at every audio position the model is told which phone it is speaking.

A plain S1 must find its place in the text by attention alone, and on a small corpus it does not
learn to: it skips, repeats and stops early (pretrained/starter/MODEL_CARD.md, sessions 7-14).
With ``S1Config.phone_pointer`` (our extension, in the spirit of VALL-E R's monotonic alignment;
official files never have it) the audio position that predicts token ``t`` also receives the
embedding of token ``t``'s phone (its symbol plus a sinusoid of its index in the phone sequence),
and one more output column, the *advance* logit, says whether token ``t + 1`` moves on to the next
pronounced phone. Decoding keeps the pointer itself: it moves only forward, one pronounced phone
at a time, and decoding ends when it moves past the last phone, so every phone is read once, in
order, and the end of the text ends the speech.

Alignments (index into the phone sequence of each token's phone) come from the token readout
(:mod:`gpt_sovits.features.token_align`). ``END`` (-1) marks "after the last phone".

Shapes: b = batch, x = phones, y = tokens, d = model width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gpt_sovits.models.s1.embeddings import sinusoid_table

END = -1  # pointer value after the last phone (and on padding)
POINTER_KEYS = ("ar_pointer_embedding.", "ar_advance_layer.")  # state-dict prefixes a plain S1 lacks
MAX_TOKENS_PER_PHONE = 25  # decoding moves on after 1 s on one phone, whatever the model says


class PointerEmbedding(nn.Module):
    """Phone pointer ``[b, y]`` (indices into ``phones`` [b, x], ``END`` = -1) → ``[b, y, d]``:
    the phone's own embedding (a separate table; its last row stands for ``END``) plus ``alpha``
    times the sinusoid of its index. Both start at zero, so a pointer added to a trained S1
    changes nothing until training teaches it."""

    def __init__(self, phoneme_vocab_size: int, dim: int, max_positions: int = 4000) -> None:
        super().__init__()
        self.end_id = phoneme_vocab_size
        self.word_embeddings = nn.Embedding(phoneme_vocab_size + 1, dim)
        nn.init.zeros_(self.word_embeddings.weight)
        self.alpha = nn.Parameter(torch.zeros(1))
        self.register_buffer("table", sinusoid_table(max_positions, dim), persistent=False)

    def forward(self, phones: torch.Tensor, pointer: torch.Tensor) -> torch.Tensor:
        at_end = pointer < 0
        index = pointer.clamp(min=0)
        need = int(index.max()) + 1 if index.numel() else 0
        if need > self.table.shape[0]:
            self.table = sinusoid_table(need, self.table.shape[1]).to(self.table)
        ids = torch.where(at_end, torch.full_like(pointer, self.end_id), phones.gather(1, index.clamp(max=phones.shape[1] - 1)))
        position = self.table[index] * (~at_end).unsqueeze(-1).to(self.table.dtype)
        return self.word_embeddings(ids) + self.alpha * position


@dataclass(frozen=True)
class PointerPrompt:
    """What a pointer S1 needs besides the prompt tokens: the phone index of each prompt token
    (``alignment``, one per token) and where the target's phones start in the phone sequence."""

    alignment: Sequence[int]
    target_start: int


def pointer_inputs(alignment: Sequence[int]) -> list[int]:
    """Per audio input position ``t`` (holding token ``t``), the phone of token ``t + 1``: the
    alignment shifted left by one, ``END`` after the last token."""
    return [int(a) for a in alignment[1:]] + [END]


def advance_targets(alignment: Sequence[int]) -> list[float]:
    """Per output row ``r`` (row 0 = the text's last position; row ``r`` predicts token ``r``),
    1.0 when token ``r + 1`` is on another phone than token ``r`` (or there is none)."""
    following = [int(a) for a in alignment[1:]] + [END]
    return [float(int(a) != b) for a, b in zip(alignment, following, strict=True)]


def collate_pointer(alignments: Sequence[Sequence[int]], length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded (pointer inputs [b, length], advance targets [b, length + 1]; NaN = no target)."""
    pointer = torch.full((len(alignments), length), END, dtype=torch.long)
    advance = torch.full((len(alignments), length + 1), float("nan"))
    for i, alignment in enumerate(alignments):
        n = len(alignment)
        pointer[i, :n] = torch.tensor(pointer_inputs(alignment), dtype=torch.long)
        advance[i, :n] = torch.tensor(advance_targets(alignment))
    return pointer, advance


def advance_loss(advance_logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(summed binary cross-entropy over rows with a target, their number); logits and targets
    [b, y + 1] (NaN targets are skipped)."""
    keep = ~torch.isnan(targets)
    if not bool(keep.any()):
        zero = advance_logits.sum() * 0.0
        return zero, keep.sum()
    loss = F.binary_cross_entropy_with_logits(advance_logits[keep].float(), targets[keep], reduction="sum")
    return loss, keep.sum()


class PointerState:
    """The decoding pointer over one target: its pronounced phone positions, where it stands and
    how long it has stood there. :meth:`step` applies one advance decision and returns the
    phone the next token speaks (``END`` when the text is read)."""

    def __init__(self, positions: Sequence[int], max_per_phone: int = MAX_TOKENS_PER_PHONE) -> None:
        if not positions:
            raise ValueError("the target has no pronounced phone to read")
        self.positions, self.max_per_phone = list(positions), max_per_phone
        self.index, self.stay = 0, 0

    @property
    def phone(self) -> int:
        return self.positions[self.index] if self.index < len(self.positions) else END

    def step(self, advance_logit: float, generator: torch.Generator | None = None) -> int:
        """Move on with the model's probability ``sigmoid(advance_logit)`` (sampled: a threshold
        would never move when the model spreads its hazard over several tokens)."""
        self.stay += 1
        chance = float(torch.sigmoid(torch.tensor(float(advance_logit))))
        if float(torch.rand((), generator=generator)) < chance or self.stay >= self.max_per_phone:
            self.index, self.stay = self.index + 1, 0
        return self.phone
