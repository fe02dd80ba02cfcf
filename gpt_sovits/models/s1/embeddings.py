"""Token embeddings and the alpha-scaled sinusoidal positions of S1.

Parameter names follow the original (``word_embeddings.weight``, ``alpha``) so that official
weights load unchanged.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class TokenEmbedding(nn.Module):
    """``nn.Embedding`` followed by dropout (the official v2 config uses dropout 0)."""

    def __init__(self, vocab_size: int, dim: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        # ids [B, T] -> [B, T, D]
        return self.dropout(self.word_embeddings(ids))


def sinusoid_table(length: int, dim: int) -> torch.Tensor:
    """[length, dim] table: sin on even channels, cos on odd ones, base 10000 (float32)."""
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    inv_freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * -(math.log(10000.0) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(position * inv_freq)
    table[:, 1::2] = torch.cos(position * inv_freq)
    return table


class SinePositionalEmbedding(nn.Module):
    """Adds ``alpha * sinusoid[position]`` (learnable scalar alpha, no sqrt(d) scaling), then dropout.

    Each stream (text, audio) has its own instance and its positions start at 0.
    """

    def __init__(self, dim: int, dropout: float = 0.1, max_positions: int = 4000) -> None:
        super().__init__()
        self.dim = dim
        self.alpha = nn.Parameter(torch.ones(1))
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("table", sinusoid_table(max_positions, dim), persistent=False)

    def reserve(self, length: int) -> None:
        """Make sure positions ``[0, length)`` exist (call before decoding, not per token)."""
        if length > self.table.shape[0]:
            table = sinusoid_table(length, self.dim)
            self.table = table.to(device=self.table.device, dtype=self.table.dtype)

    def forward(self, x: torch.Tensor, offset: int = 0) -> torch.Tensor:
        # x [B, T, D] -> x + alpha * table[offset : offset + T]
        end = offset + x.shape[1]
        self.reserve(end)
        return self.dropout(x + self.alpha * self.table[offset:end])
