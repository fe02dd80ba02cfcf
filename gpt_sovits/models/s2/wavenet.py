"""Non-causal WaveNet stack (``WN``) with gated activations and global conditioning.

Each layer: dilated conv → ``tanh(a + g_a) * sigmoid(b + g_b)`` → 1x1 conv split into a residual
part (added to the input, masked) and a skip part (summed into the output). The last layer has
only the skip part. All convs are weight-normalised (``weight_g``/``weight_v``).
"""

from __future__ import annotations

import torch
from torch import nn

from gpt_sovits.models.s2.weight_norm import WNConv1d


class WN(nn.Module):
    """WaveNet-style stack on ``[B, hidden, T]``; condition ``g`` is ``[B, gin, 1]``."""

    def __init__(
        self,
        hidden_channels: int,
        kernel_size: int,
        dilation_rate: int,
        n_layers: int,
        gin_channels: int = 0,
        p_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError("WN kernel_size must be odd")
        self.hidden_channels = hidden_channels
        self.n_layers = n_layers
        self.in_layers = nn.ModuleList()
        self.res_skip_layers = nn.ModuleList()
        self.drop = nn.Dropout(p_dropout)
        if gin_channels:
            self.cond_layer = WNConv1d(gin_channels, 2 * hidden_channels * n_layers, 1)
        for i in range(n_layers):
            dilation = dilation_rate**i
            padding = (kernel_size * dilation - dilation) // 2
            self.in_layers.append(
                WNConv1d(
                    hidden_channels, 2 * hidden_channels, kernel_size,
                    dilation=dilation, padding=padding,
                )
            )
            out = 2 * hidden_channels if i < n_layers - 1 else hidden_channels
            self.res_skip_layers.append(WNConv1d(hidden_channels, out, 1))

    def forward(
        self, x: torch.Tensor, x_mask: torch.Tensor, g: torch.Tensor | None = None
    ) -> torch.Tensor:
        h = self.hidden_channels
        output = torch.zeros_like(x)
        cond = self.cond_layer(g) if g is not None else None  # [B, 2h * n_layers, 1]
        layers = zip(self.in_layers, self.res_skip_layers, strict=True)
        for i, (in_layer, res_skip) in enumerate(layers):
            x_in = in_layer(x)
            if cond is not None:
                x_in = x_in + cond[:, i * 2 * h : (i + 1) * 2 * h, :]
            acts = self.drop(torch.tanh(x_in[:, :h]) * torch.sigmoid(x_in[:, h:]))
            rs = res_skip(acts)
            if i < self.n_layers - 1:
                x = (x + rs[:, :h]) * x_mask
                output = output + rs[:, h:]
            else:
                output = output + rs
        return output * x_mask
