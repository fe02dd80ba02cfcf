"""Length masks and random training segments (time axis helpers shared by S2 modules)."""

from __future__ import annotations

import torch


def sequence_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """Boolean mask ``[B, max_len]``: True where the position is inside the item's length."""
    if max_len is None:
        max_len = int(lengths.max())
    positions = torch.arange(max_len, dtype=lengths.dtype, device=lengths.device)
    return positions.unsqueeze(0) < lengths.unsqueeze(1)


def length_mask(lengths: torch.Tensor, max_len: int, dtype: torch.dtype) -> torch.Tensor:
    """Float mask ``[B, 1, max_len]`` (1 inside, 0 in the padding)."""
    return sequence_mask(lengths, max_len).unsqueeze(1).to(dtype)


def slice_segments(x: torch.Tensor, starts: torch.Tensor, size: int) -> torch.Tensor:
    """Cut ``x[b, :, starts[b] : starts[b] + size]`` for every item: ``[B, C, size]``."""
    offsets = torch.arange(size, device=x.device)
    index = (starts.to(x.device).long().unsqueeze(1) + offsets).unsqueeze(1)  # [B, 1, size]
    return torch.gather(x, 2, index.expand(x.shape[0], x.shape[1], size))


def rand_slice_segments(
    x: torch.Tensor,
    lengths: torch.Tensor,
    size: int,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random window of ``size`` frames inside each item's valid length.

    Start ``= floor(u * (length - size + 1))`` with ``u ~ U[0, 1)``, as in the original.
    Items shorter than ``size`` start at 0 (and the slice then reaches into the padding).
    Returns ``(segments [B, C, size], starts [B])``.
    """
    batch = x.shape[0]
    max_start = (lengths - size + 1).clamp(min=1)
    u = torch.rand(batch, generator=generator)
    starts = (u.to(lengths.device) * max_start).long()
    return slice_segments(x, starts, size), starts
