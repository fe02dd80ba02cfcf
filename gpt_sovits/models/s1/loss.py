"""Training targets, summed cross-entropy and the top-3 accuracy metric of S1."""

from __future__ import annotations

import torch
import torch.nn.functional as F

IGNORE_INDEX = -100


def make_targets(semantic: torch.Tensor, semantic_lens: torch.Tensor, eos: int) -> torch.Tensor:
    """``semantic + [EOS]`` per item, ``IGNORE_INDEX`` after it: [B, Y] -> [B, Y+1]."""
    batch, length = semantic.shape
    positions = torch.arange(length + 1, device=semantic.device).unsqueeze(0)
    lens = semantic_lens.unsqueeze(1)
    padded = F.pad(semantic, (0, 1), value=eos)
    targets = torch.where(positions < lens, padded, torch.full_like(padded, eos))
    return torch.where(positions > lens, torch.full_like(targets, IGNORE_INDEX), targets)


def s1_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross entropy summed over all real target positions (the original's ``reduction="sum"``).

    logits [B, Y+1, V], targets [B, Y+1] from :func:`make_targets`.
    """
    return F.cross_entropy(logits.transpose(1, 2).float(), targets, ignore_index=IGNORE_INDEX, reduction="sum")


def top_k_accuracy(logits: torch.Tensor, targets: torch.Tensor, eos: int, k: int = 3) -> float:
    """Share of targets (EOS and padding excluded) that are among the ``k`` largest logits."""
    keep = (targets != eos) & (targets != IGNORE_INDEX)
    if not bool(keep.any()):
        return 0.0
    top = logits.topk(k, dim=-1).indices  # [B, Y+1, k]
    hits = (top == targets.unsqueeze(-1)).any(-1)
    return float(hits[keep].float().mean())
