"""Preallocated key/value cache for one attention layer."""

from __future__ import annotations

import torch
from torch import nn


class KVCache(nn.Module):
    """Keys and values of the positions seen so far, in buffers of fixed size.

    One non-persistent buffer ``kv`` [2, batch, heads, max_len, head_dim] holds keys (``k`` =
    ``kv[0]``) and values (``v`` = ``kv[1]``), so attaching a cache to a layer never changes the
    model's ``state_dict``, and a decoding step can store a new key and value with one copy
    (:meth:`write_step`). It is allocated uninitialised: only written positions are ever read.
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
        shape = (2, batch, heads, max_len, head_dim)
        self.register_buffer("kv", torch.empty(shape, dtype=dtype, device=device), persistent=False)

    @property
    def k(self) -> torch.Tensor:
        """Keys [B, H, max_len, Dh] (a view of ``kv``)."""
        return self.kv[0]

    @property
    def v(self) -> torch.Tensor:
        """Values [B, H, max_len, Dh] (a view of ``kv``)."""
        return self.kv[1]

    @property
    def max_len(self) -> int:
        return self.kv.shape[3]

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

    def write_step(self, pos: int, kv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Store one position: ``kv`` [2, B, H, Dh] (key, value) at slot ``pos`` (no bounds check
        beyond indexing). Returns keys and values up to ``pos + 1`` ([B, H, pos + 1, Dh] each)."""
        self.kv[:, :, :, pos].copy_(kv)
        valid = self.kv[:, :, :, : pos + 1]
        return valid[0], valid[1]

    def select_rows(self, rows: torch.Tensor) -> None:
        """Keep only the batch rows ``rows`` (used when items of a batch finish early)."""
        self.kv = self.kv.index_select(1, rows)
