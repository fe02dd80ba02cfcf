"""Preallocated key/value cache for one attention layer."""

from __future__ import annotations

import torch
from torch import nn


class KVCache(nn.Module):
    """Keys and values of the positions seen so far, in buffers of fixed size.

    Buffers are ``[batch, heads, max_len, head_dim]`` and non-persistent, so attaching a cache to
    a layer never changes the model's ``state_dict``. They are allocated uninitialised: only
    positions written by :meth:`update` are ever read.
    """

    def __init__(
        self,
        batch: int,
        heads: int,
        max_len: int,
        head_dim: int,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        shape = (batch, heads, max_len, head_dim)
        self.register_buffer("k", torch.empty(shape, dtype=dtype, device=device), persistent=False)
        self.register_buffer("v", torch.empty(shape, dtype=dtype, device=device), persistent=False)

    @property
    def max_len(self) -> int:
        return self.k.shape[2]

    def update(self, pos: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Store ``k, v`` ``[B, H, T, Dh]`` at positions ``[pos, pos + T)``.

        Returns views of all keys and values up to ``pos + T`` (``[B, H, pos + T, Dh]``).
        """
        end = pos + k.shape[2]
        if end > self.max_len:
            raise ValueError(f"KV cache overflow: position {end} > capacity {self.max_len}")
        self.k[:, :, pos:end] = k
        self.v[:, :, pos:end] = v
        return self.k[:, :, :end], self.v[:, :, :end]

    def select_rows(self, rows: torch.Tensor) -> None:
        """Keep only the batch rows ``rows`` (used when items of a batch finish early)."""
        self.k = self.k.index_select(0, rows)
        self.v = self.v.index_select(0, rows)
