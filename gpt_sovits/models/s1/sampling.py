"""Next-token sampling for S1, in the original's order of operations.

``logits_to_probs``: repetition penalty over every token seen so far (prompt included), top-p
(always keeping at least one token), temperature ``max(t, 1e-5)``, top-k, softmax.
``sample``: the exponential-race trick ``argmax(p / Exp(1))`` with an explicit generator.
"""

from __future__ import annotations

import torch


def token_presence(tokens: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """[B, N] token ids -> [B, vocab_size] bool mask of the ids that occur in each row."""
    seen = torch.zeros(tokens.shape[0], vocab_size, dtype=torch.bool, device=tokens.device)
    if tokens.numel():
        seen.scatter_(1, tokens.long(), True)
    return seen


def apply_repetition_penalty_(logits: torch.Tensor, seen: torch.Tensor, penalty: float) -> torch.Tensor:
    """In place: for every seen token, negative logits are multiplied by ``penalty``, positive ones
    divided by it (once per distinct token, however often it occurred). logits [B, V'] with
    V' <= seen.shape[1] (the EOS column may have been dropped)."""
    if penalty == 1.0:
        return logits
    penalised = torch.where(logits < 0, logits * penalty, logits / penalty)
    return logits.copy_(torch.where(seen[:, : logits.shape[1]], penalised, logits))


def logits_to_probs(
    logits: torch.Tensor,
    seen: torch.Tensor | None = None,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    repetition_penalty: float = 1.0,
) -> torch.Tensor:
    """[B, V'] float logits -> [B, V'] probabilities.

    Like the original, the repetition penalty is written into ``logits`` **in place** (the
    generation loop's "argmax is EOS" stop rule reads the penalised logits). ``seen`` is a
    [B, >= V'] bool mask of previous tokens (see :func:`token_presence`). ``top_k`` None or
    <= 0 and ``top_p`` None or >= 1 disable those filters.
    """
    if seen is not None:
        apply_repetition_penalty_(logits, seen, repetition_penalty)
    if top_p is not None and top_p < 1.0:
        sorted_logits, sorted_index = torch.sort(logits, descending=True)
        cumulative = torch.cumsum(torch.softmax(sorted_logits, dim=-1), dim=-1)
        remove_sorted = cumulative > top_p
        remove_sorted[:, 0] = False  # keep at least one option
        remove = remove_sorted.scatter(1, sorted_index, remove_sorted)
        logits = logits.masked_fill(remove, float("-inf"))
    logits = logits / max(temperature, 1e-5)
    if top_k is not None and top_k > 0:
        pivot = torch.topk(logits, min(top_k, logits.shape[-1])).values[:, -1:]
        logits = torch.where(logits < pivot, float("-inf"), logits)
    return torch.softmax(logits, dim=-1)


def sample(probs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw one token per row: ``argmax(p / q)`` with ``q ~ Exp(1)``. [B, V] -> [B, 1] int64.

    Equivalent to sampling from ``probs``; deterministic when only one probability is non-zero.
    """
    race = torch.empty_like(probs).exponential_(1.0, generator=generator)
    return torch.argmax(probs / race, dim=-1, keepdim=True)
