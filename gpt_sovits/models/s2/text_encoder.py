"""Prior encoder ``enc_p``: quantized content + phones + timbre → prior mean / log-std.

``ssl_proj`` (1x1) → ``encoder_ssl`` (n_layers // 2) ; phones → ``text_embedding`` →
``encoder_text`` (n_layers) ; ``mrte`` (content attends to phones, + ge) → ``encoder2``
(n_layers // 2) → optional speed resampling → ``proj`` → ``(m, logs)``.

Speed (= 1 / length_scale): when it is not 1 the 192-channel sequence is linearly resampled to
``int(T / speed) + 1`` frames and the mask is resized with nearest neighbour, as the original does.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from gpt_sovits.models.s2.attentions import Encoder
from gpt_sovits.models.s2.config import S2Config
from gpt_sovits.models.s2.mrte import MRTE
from gpt_sovits.models.s2.segments import length_mask


class TextEncoder(nn.Module):
    """Returns ``(x, m, logs, mask)``: ``x`` ``[B, hidden, T']``, ``m``/``logs`` ``[B, inter, T']``."""

    def __init__(self, cfg: S2Config) -> None:
        super().__init__()
        hidden, filt, heads = cfg.hidden_channels, cfg.filter_channels, cfg.n_heads
        k, p, w = cfg.kernel_size, cfg.p_dropout, cfg.window_size
        self.out_channels = cfg.inter_channels
        self.ssl_proj = nn.Conv1d(cfg.ssl_dim, hidden, 1)
        self.encoder_ssl = Encoder(hidden, filt, heads, cfg.n_layers // 2, k, p, w)
        self.encoder_text = Encoder(hidden, filt, heads, cfg.n_layers, k, p, w)
        self.text_embedding = nn.Embedding(cfg.n_symbols, hidden)
        self.mrte = MRTE(hidden, cfg.mrte_channels, cfg.mrte_heads)
        self.encoder2 = Encoder(hidden, filt, heads, cfg.n_layers // 2, k, p, w)
        self.proj = nn.Conv1d(hidden, 2 * cfg.inter_channels, 1)

    def forward(
        self,
        y: torch.Tensor,
        y_lengths: torch.Tensor,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        ge: torch.Tensor | None,
        speed: float = 1.0,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``y`` ``[B, ssl_dim, T]`` content, ``text`` ``[B, L]`` phone ids, ``ge`` ``[B, gin, 1]``."""
        y_mask = length_mask(y_lengths, y.shape[2], y.dtype)
        y = self.ssl_proj(y * y_mask) * y_mask
        y = self.encoder_ssl(y * y_mask, y_mask)
        text_mask = length_mask(text_lengths, text.shape[1], y.dtype)
        t = self.text_embedding(text).transpose(1, 2)
        t = self.encoder_text(t * text_mask, text_mask)
        y = self.mrte(y, y_mask, t, text_mask, ge)
        y = self.encoder2(y * y_mask, y_mask)
        if speed != 1:
            y = F.interpolate(y, size=int(y.shape[-1] / speed) + 1, mode="linear")
            y_mask = F.interpolate(y_mask, size=y.shape[-1], mode="nearest")
        stats = self.proj(y) * y_mask
        m, logs = torch.split(stats, self.out_channels, dim=1)
        return y, m, logs, y_mask
