"""Post-norm transformer stack of S1 (parameter names as ``nn.TransformerEncoderLayer``).

One layer: ``x = norm1(x + SelfAttention(x)); x = norm2(x + Linear2(ReLU(Linear1(x))))``.
Attention uses a packed ``in_proj`` (q, k, v stacked) and ``F.scaled_dot_product_attention``;
masks are boolean with ``True`` = "may attend". When a :class:`KVCache` is attached to the
attention module, keys and values are written to it at ``pos`` and read back from it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gpt_sovits.models.s1.config import S1Config
from gpt_sovits.models.s1.kvcache import KVCache


class SelfAttention(nn.Module):
    """Multi-head self-attention with packed input projection, optionally cached."""

    def __init__(self, d_model: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.dropout = dropout
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d_model, d_model))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * d_model))
        self.out_proj = nn.Linear(d_model, d_model)
        self.kv_cache: KVCache | None = None
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.out_proj.bias)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None, pos: int = 0) -> torch.Tensor:
        # x [B, T, D]; mask broadcastable to [B, H, T, S] (S = keys incl. cached ones) or None
        batch, length, dim = x.shape
        qkv = F.linear(x, self.in_proj_weight, self.in_proj_bias)
        # [B, T, 3, H, Dh] -> 3 x [B, H, T, Dh]
        q, k, v = qkv.view(batch, length, 3, self.n_heads, dim // self.n_heads).permute(2, 0, 3, 1, 4)
        if self.kv_cache is not None:
            k, v = self.kv_cache.update(pos, k, v)
            q = q.to(k.dtype)  # a float32 cache makes attention float32 for half-precision weights
        p = self.dropout if self.training else 0.0
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        out = out.transpose(1, 2).reshape(batch, length, dim).to(x.dtype)
        return F.linear(out, self.out_proj.weight, self.out_proj.bias)


class TransformerLayer(nn.Module):
    """Post-norm encoder layer (attention, ReLU feed-forward, LayerNorm after each residual)."""

    def __init__(self, config: S1Config) -> None:
        super().__init__()
        d = config.d_model
        self.self_attn = SelfAttention(d, config.n_heads, config.attention_dropout)
        self.linear1 = nn.Linear(d, config.ffn_dim)
        self.linear2 = nn.Linear(config.ffn_dim, d)
        self.norm1 = nn.LayerNorm(d, eps=config.layer_norm_eps)
        self.norm2 = nn.LayerNorm(d, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.dropout)  # rate of the residual and feed-forward dropouts

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None, pos: int = 0) -> torch.Tensor:
        # x [B, T, D] -> [B, T, D]. Functional calls: decoding runs this 24 times per token, and
        # per-module call overhead is a measurable share of a CPU decoding step.
        drop = self.dropout.p if self.training else 0.0
        attn = F.dropout(self.self_attn(x, mask, pos), drop, self.training)
        x = F.layer_norm(x + attn, x.shape[-1:], self.norm1.weight, self.norm1.bias, self.norm1.eps)
        hidden = F.dropout(F.relu(F.linear(x, self.linear1.weight, self.linear1.bias)), drop, self.training)
        out = F.dropout(F.linear(hidden, self.linear2.weight, self.linear2.bias), drop, self.training)
        return F.layer_norm(x + out, x.shape[-1:], self.norm2.weight, self.norm2.bias, self.norm2.eps)


class Transformer(nn.Module):
    """``n_layers`` post-norm layers without a final norm (``h.layers.N.*`` in the checkpoint)."""

    def __init__(self, config: S1Config) -> None:
        super().__init__()
        self.layers = nn.ModuleList(TransformerLayer(config) for _ in range(config.n_layers))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None, pos: int = 0) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x, mask, pos)
        return x
