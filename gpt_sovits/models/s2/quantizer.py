"""Residual vector quantizer turning projected content features into semantic token ids.

State-dict layout of the original (``quantizer.vq.layers.<i>._codebook.{inited, cluster_size,
embed, embed_avg}``) is kept. v2 uses one codebook of 1024 entries of dimension 768, frozen:
encoding picks the nearest entry by squared Euclidean distance and decoding is a table lookup.
An optional exponential-moving-average update (decay 0.99, Laplace smoothing) trains the codebook
when it is not frozen.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class Codebook(nn.Module):
    """One codebook, held as buffers (not parameters) like the original EMA codebook."""

    def __init__(self, dim: int, size: int) -> None:
        super().__init__()
        embed = torch.randn(size, dim) / dim**0.5
        self.register_buffer("inited", torch.ones(1))
        self.register_buffer("cluster_size", torch.zeros(size))
        self.register_buffer("embed", embed)
        self.register_buffer("embed_avg", embed.clone())

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Nearest entry of every vector ``x`` ``[..., D]`` → ids ``[...]``."""
        flat = x.reshape(-1, x.shape[-1])
        embed_t = self.embed.t()
        dist = (
            flat.pow(2).sum(1, keepdim=True) - 2 * flat @ embed_t + embed_t.pow(2).sum(0, keepdim=True)
        )
        return dist.argmin(dim=-1).view(x.shape[:-1])

    def decode(self, ids: torch.Tensor) -> torch.Tensor:
        """Ids ``[...]`` → vectors ``[..., D]``."""
        return F.embedding(ids, self.embed)

    @torch.no_grad()
    def ema_update(self, x: torch.Tensor, ids: torch.Tensor, decay: float, eps: float) -> None:
        """Move the entries towards the mean of the vectors assigned to them."""
        flat = x.reshape(-1, x.shape[-1]).float()
        onehot = F.one_hot(ids.reshape(-1), self.embed.shape[0]).to(flat.dtype)
        self.cluster_size.mul_(decay).add_(onehot.sum(0), alpha=1 - decay)
        self.embed_avg.mul_(decay).add_((flat.t() @ onehot).t(), alpha=1 - decay)
        total = self.cluster_size.sum()
        smoothed = (self.cluster_size + eps) / (total + self.embed.shape[0] * eps) * total
        self.embed.copy_(self.embed_avg / smoothed.unsqueeze(1))


class _CodebookLayer(nn.Module):
    def __init__(self, dim: int, size: int) -> None:
        super().__init__()
        self._codebook = Codebook(dim, size)


class _LayerStack(nn.Module):
    def __init__(self, dim: int, size: int, n_layers: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(_CodebookLayer(dim, size) for _ in range(n_layers))


class ResidualVectorQuantizer(nn.Module):
    """Residual VQ over ``[B, D, T]`` features; codes are ``[n_q, B, T]``."""

    def __init__(
        self,
        dim: int = 768,
        codebook_size: int = 1024,
        n_q: int = 1,
        frozen: bool = True,
        decay: float = 0.99,
        epsilon: float = 1e-5,
    ) -> None:
        super().__init__()
        self.vq = _LayerStack(dim, codebook_size, n_q)
        self.frozen = frozen
        self.decay = decay
        self.epsilon = epsilon

    def codebooks(self) -> list[Codebook]:
        return [layer._codebook for layer in self.vq.layers]

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Features ``[B, D, T]`` → codes ``[n_q, B, T]`` (int64)."""
        residual = x.transpose(1, 2)
        codes = []
        for book in self.codebooks():
            ids = book.encode(residual)
            residual = residual - book.decode(ids)
            codes.append(ids)
        return torch.stack(codes)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Codes ``[n_q, B, T]`` → summed codebook vectors ``[B, D, T]``."""
        books = self.codebooks()
        out = books[0].decode(codes[0])
        for i in range(1, codes.shape[0]):
            out = out + books[i].decode(codes[i])
        return out.transpose(1, 2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Quantize ``x`` ``[B, D, T]`` → ``(quantized [B, D, T], codes [n_q, B, T], commit_loss)``.

        Frozen (default, and always in eval mode): a plain lookup without gradient and a zero
        commitment loss. Trainable: EMA codebook update, straight-through estimator and
        commitment loss ``mse(x, quantized)``.
        """
        if self.frozen or not self.training:
            with torch.no_grad():
                codes = self.encode(x)
                quantized = self.decode(codes)
            return quantized, codes, x.new_zeros(())
        residual = x.transpose(1, 2)
        total = torch.zeros_like(residual)
        codes, losses = [], []
        for book in self.codebooks():
            ids = book.encode(residual.detach())
            quantized = book.decode(ids)
            book.ema_update(residual.detach(), ids, self.decay, self.epsilon)
            losses.append(F.mse_loss(quantized.detach(), residual))
            quantized = residual + (quantized - residual).detach()
            residual = residual - quantized.detach()
            total = total + quantized
            codes.append(ids)
        return total.transpose(1, 2), torch.stack(codes), torch.stack(losses).mean()
