"""Reference (style) encoder: linear spectrogram of a reference clip → global timbre vector ``ge``.

MelStyleEncoder layout of the original (names kept for weight compatibility):
``spectral`` (Linear+Mish+Dropout ×2) → ``temporal`` (2 × residual Conv1d-GLU, kernel 5) →
``slf_attn`` (2-head self-attention, scores divided by sqrt(hidden), residual) → ``fc`` →
masked mean over time → ``[B, out_dim, 1]``. v2 feeds it the first 704 of the 1025 bins.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


class LinearNorm(nn.Module):
    """A ``Linear`` wrapped as ``.fc`` (the original's parameter naming)."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


class ConvNorm(nn.Module):
    """A "same"-padded ``Conv1d`` wrapped as ``.conv``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, padding=(kernel_size - 1) // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class Mish(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.tanh(F.softplus(x))


class Conv1dGLU(nn.Module):
    """Residual gated conv: ``x + dropout(a * sigmoid(b))`` with ``[a, b] = conv1(x)``."""

    def __init__(self, channels: int, kernel_size: int, dropout: float) -> None:
        super().__init__()
        self.conv1 = ConvNorm(channels, 2 * channels, kernel_size)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.conv1(x).chunk(2, dim=1)
        return x + self.dropout(a * torch.sigmoid(b))


class StyleAttention(nn.Module):
    """Self-attention with ``Linear`` projections ``w_qs/w_ks/w_vs/fc`` and a residual."""

    def __init__(self, n_heads: int, d_model: int, dropout: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.d_head = d_model // n_heads
        self.temperature = math.sqrt(d_model)  # the original scales by sqrt(d_model)
        self.w_qs = nn.Linear(d_model, d_model)
        self.w_ks = nn.Linear(d_model, d_model)
        self.w_vs = nn.Linear(d_model, d_model)
        self.fc = nn.Linear(d_model, d_model)
        self.attn_dropout = nn.Dropout(dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, pad: torch.Tensor | None) -> torch.Tensor:
        """``x`` ``[B, T, D]``; ``pad`` ``[B, T]`` True on padding frames (masked as keys)."""
        b, t, _ = x.shape
        q, k, v = (
            proj(x).view(b, t, self.n_heads, self.d_head).transpose(1, 2)
            for proj in (self.w_qs, self.w_ks, self.w_vs)
        )
        scores = torch.matmul(q, k.transpose(-2, -1)) / self.temperature  # [B, H, T, T]
        if pad is not None:
            scores = scores.masked_fill(pad[:, None, None, :], float("-inf"))
        attn = self.attn_dropout(F.softmax(scores, dim=-1))
        out = torch.matmul(attn, v).transpose(1, 2).reshape(b, t, -1)
        return self.dropout(self.fc(out)) + x


class MelStyleEncoder(nn.Module):
    """Spectrogram ``[B, in_dim, T]`` (+ mask ``[B, 1, T]``) → style vector ``[B, out_dim, 1]``."""

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        hidden: int = 128,
        kernel_size: int = 5,
        n_heads: int = 2,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.spectral = nn.Sequential(
            LinearNorm(in_dim, hidden), Mish(), nn.Dropout(dropout),
            LinearNorm(hidden, hidden), Mish(), nn.Dropout(dropout),
        )
        self.temporal = nn.Sequential(
            Conv1dGLU(hidden, kernel_size, dropout), Conv1dGLU(hidden, kernel_size, dropout)
        )
        self.slf_attn = StyleAttention(n_heads, hidden, dropout)
        self.fc = LinearNorm(hidden, out_dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        pad = None if mask is None else mask.squeeze(1) == 0  # [B, T], True = padding
        h = self.spectral(x.transpose(1, 2))  # [B, T, hidden]
        h = self.temporal(h.transpose(1, 2)).transpose(1, 2)
        if pad is not None:
            h = h.masked_fill(pad.unsqueeze(-1), 0.0)
        h = self.fc(self.slf_attn(h, pad))  # [B, T, out]
        if pad is None:
            pooled = h.mean(dim=1)
        else:
            lengths = (~pad).sum(dim=1).view(-1, 1, 1).to(h.dtype)
            pooled = (h.masked_fill(pad.unsqueeze(-1), 0.0) / lengths).sum(dim=1)
        return pooled.unsqueeze(-1)
