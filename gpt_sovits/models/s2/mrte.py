"""MRTE ("multi-reference timbre encoder"): content frames attend to phone encodings.

``out = c_post((cross_attention(c_pre(content), text_pre(text)) + c_pre(content) + ge) * mask)``
where the queries are the semantic/content frames, keys/values the encoded phones, and ``ge`` the
global timbre vector broadcast over time. Attention here has no relative positions.
"""

from __future__ import annotations

import torch
from torch import nn

from gpt_sovits.models.s2.attentions import MultiHeadAttention


class MRTE(nn.Module):
    """Cross attention from content frames to phones, plus the timbre vector."""

    def __init__(
        self, content_channels: int = 192, hidden_size: int = 512, n_heads: int = 4
    ) -> None:
        super().__init__()
        self.cross_attention = MultiHeadAttention(hidden_size, hidden_size, n_heads)
        self.c_pre = nn.Conv1d(content_channels, hidden_size, 1)
        self.text_pre = nn.Conv1d(content_channels, hidden_size, 1)
        self.c_post = nn.Conv1d(hidden_size, content_channels, 1)

    def forward(
        self,
        content: torch.Tensor,
        content_mask: torch.Tensor,
        text: torch.Tensor,
        text_mask: torch.Tensor,
        ge: torch.Tensor | None,
    ) -> torch.Tensor:
        """``content`` ``[B, C, T]``, ``text`` ``[B, C, L]``, ``ge`` ``[B, hidden, 1]`` → ``[B, C, T]``."""
        attn_mask = text_mask.unsqueeze(2) * content_mask.unsqueeze(-1)  # [B, 1, T, L]
        c = self.c_pre(content * content_mask)
        t = self.text_pre(text * text_mask)
        x = self.cross_attention(c * content_mask, t * text_mask, attn_mask) + c
        if ge is not None:
            x = x + ge
        return self.c_post(x * content_mask)
