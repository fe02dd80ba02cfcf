"""VITS-style transformer encoder on ``[B, C, T]`` tensors.

Building blocks (parameter names as in the original, so official weights load unchanged):

- :class:`ChannelLayerNorm` — LayerNorm over the channel axis (``gamma``/``beta``).
- :class:`MultiHeadAttention` — 1x1-conv projections (``conv_q/k/v/o``), optional relative
  position embeddings shared by all heads (``emb_rel_k``/``emb_rel_v``, ``[1, 2w+1, C/h]``).
  Relative logits are added for offsets ``|j - i| <= w`` only; masked scores become -1e4.
- :class:`FFN` — conv(k) → ReLU → conv(k) with "same" padding and masking.
- :class:`Encoder` — post-norm residual stack of attention + FFN.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

MASK_VALUE = -1e4


class ChannelLayerNorm(nn.Module):
    """LayerNorm over dimension 1 of ``[B, C, T]``."""

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.channels = channels
        self.eps = eps
        self.gamma = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.layer_norm(x.transpose(1, -1), (self.channels,), self.gamma, self.beta, self.eps)
        return y.transpose(1, -1)


def _band_index(length: int, window: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Index tables mapping relative offsets to absolute positions (0 = "outside the band").

    ``to_abs[i, j] = j - i + window + 1`` if ``|j - i| <= window`` else 0   (shape [T, T])
    ``to_rel[i, r] = i + r - window + 1`` if ``0 <= i + r - window < T`` else 0  (shape [T, 2w+1])
    """
    pos = torch.arange(length, device=device)
    offset = pos.unsqueeze(0) - pos.unsqueeze(1)  # [i, j] -> j - i
    to_abs = torch.where(offset.abs() <= window, offset + window + 1, torch.zeros_like(offset))
    rel = torch.arange(2 * window + 1, device=device)
    target = pos.unsqueeze(1) + rel.unsqueeze(0) - window  # [i, r] -> absolute column
    inside = (target >= 0) & (target < length)
    to_rel = torch.where(inside, target + 1, torch.zeros_like(target))
    return to_abs, to_rel


class MultiHeadAttention(nn.Module):
    """Multi-head attention over channels-first tensors, optionally with relative positions."""

    def __init__(
        self,
        channels: int,
        out_channels: int,
        n_heads: int,
        p_dropout: float = 0.0,
        window_size: int | None = None,
    ) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.k_channels = channels // n_heads
        self.window_size = window_size
        self.conv_q = nn.Conv1d(channels, channels, 1)
        self.conv_k = nn.Conv1d(channels, channels, 1)
        self.conv_v = nn.Conv1d(channels, channels, 1)
        self.conv_o = nn.Conv1d(channels, out_channels, 1)
        self.drop = nn.Dropout(p_dropout)
        if window_size is not None:
            std = self.k_channels**-0.5
            shape = (1, 2 * window_size + 1, self.k_channels)
            self.emb_rel_k = nn.Parameter(torch.randn(shape) * std)
            self.emb_rel_v = nn.Parameter(torch.randn(shape) * std)
        for conv in (self.conv_q, self.conv_k, self.conv_v):
            nn.init.xavier_uniform_(conv.weight)

    def forward(
        self, x: torch.Tensor, c: torch.Tensor, attn_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Queries from ``x`` ``[B, C, Tq]``, keys/values from ``c`` ``[B, C, Tk]``.

        ``attn_mask`` ``[B, 1, Tq, Tk]`` (1 = attend). Returns ``[B, out_channels, Tq]``.
        """
        q = self._heads(self.conv_q(x))  # [B, H, Tq, d]
        k = self._heads(self.conv_k(c))
        v = self._heads(self.conv_v(c))
        q = q / math.sqrt(self.k_channels)
        scores = torch.matmul(q, k.transpose(-2, -1))  # [B, H, Tq, Tk]
        band = None
        if self.window_size is not None:
            if q.shape[2] != k.shape[2]:
                raise ValueError("relative attention needs queries and keys of equal length")
            band = _band_index(q.shape[2], self.window_size, q.device)
            rel_logits = torch.matmul(q, self.emb_rel_k.transpose(-2, -1))  # [B, H, T, 2w+1]
            scores = scores + _gather_padded(rel_logits, band[0])
        if attn_mask is not None:
            scores = scores.masked_fill(attn_mask == 0, MASK_VALUE)
        p_attn = self.drop(F.softmax(scores, dim=-1))
        out = torch.matmul(p_attn, v)
        if band is not None:
            rel_weights = _gather_padded(p_attn, band[1])  # [B, H, T, 2w+1]
            out = out + torch.matmul(rel_weights, self.emb_rel_v)
        b, h, t, d = out.shape
        return self.conv_o(out.transpose(2, 3).reshape(b, h * d, t))

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, _, t = x.shape
        return x.view(b, self.n_heads, self.k_channels, t).transpose(2, 3)


def _gather_padded(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``out[..., i, j] = x[..., i, index[i, j] - 1]``, or 0 where ``index`` is 0."""
    padded = F.pad(x, (1, 0))
    return torch.gather(padded, -1, index.expand(*x.shape[:-1], index.shape[-1]))


class FFN(nn.Module):
    """Position-wise conv feed-forward block with masking ("same" padding)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        filter_channels: int,
        kernel_size: int,
        p_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.pad = ((kernel_size - 1) // 2, kernel_size // 2)
        self.conv_1 = nn.Conv1d(in_channels, filter_channels, kernel_size)
        self.conv_2 = nn.Conv1d(filter_channels, out_channels, kernel_size)
        self.drop = nn.Dropout(p_dropout)

    def forward(self, x: torch.Tensor, x_mask: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.conv_1(F.pad(x * x_mask, self.pad)))
        x = self.conv_2(F.pad(self.drop(x) * x_mask, self.pad))
        return x * x_mask


class Encoder(nn.Module):
    """Stack of (relative MHA → add & norm → FFN → add & norm) layers."""

    def __init__(
        self,
        hidden_channels: int,
        filter_channels: int,
        n_heads: int,
        n_layers: int,
        kernel_size: int = 1,
        p_dropout: float = 0.0,
        window_size: int = 4,
    ) -> None:
        super().__init__()
        self.n_layers = n_layers
        self.drop = nn.Dropout(p_dropout)
        self.attn_layers = nn.ModuleList()
        self.norm_layers_1 = nn.ModuleList()
        self.ffn_layers = nn.ModuleList()
        self.norm_layers_2 = nn.ModuleList()
        for _ in range(n_layers):
            self.attn_layers.append(
                MultiHeadAttention(
                    hidden_channels, hidden_channels, n_heads, p_dropout, window_size
                )
            )
            self.norm_layers_1.append(ChannelLayerNorm(hidden_channels))
            self.ffn_layers.append(
                FFN(hidden_channels, hidden_channels, filter_channels, kernel_size, p_dropout)
            )
            self.norm_layers_2.append(ChannelLayerNorm(hidden_channels))

    def forward(self, x: torch.Tensor, x_mask: torch.Tensor) -> torch.Tensor:
        """``x`` ``[B, C, T]``, ``x_mask`` ``[B, 1, T]`` → ``[B, C, T]`` (masked)."""
        attn_mask = x_mask.unsqueeze(2) * x_mask.unsqueeze(-1)  # [B, 1, T, T]
        x = x * x_mask
        layers = zip(
            self.attn_layers, self.norm_layers_1, self.ffn_layers, self.norm_layers_2, strict=True
        )
        for attn, norm1, ffn, norm2 in layers:
            x = norm1(x + self.drop(attn(x, x, attn_mask)))
            x = norm2(x + self.drop(ffn(x, x_mask)))
        return x * x_mask
