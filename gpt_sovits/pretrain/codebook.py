"""Semantic codebook from scratch: a fixed standardising ``ssl_proj`` and a k-means codebook.

No pretrained codebook exists for Whisper-base features, so the starter learns its own before any
network training, and then keeps it frozen (the fine-tuning trainers freeze ``ssl_proj`` and the
quantizer, and S1 needs fixed token ids):

1. ``ssl_proj`` (Conv1d, kernel 2, stride 2: 50 Hz -> 25 Hz) is set to "average each pair of
   frames, then standardise every channel" (``(x - mean) / std`` from corpus statistics);
2. the codebook is k-means (squared Euclidean, like :meth:`Codebook.encode`) of those 25 Hz vectors.

Shapes: c = content channels (512), t = 50 Hz frames, n = sampled 25 Hz frames, k = codebook size.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from gpt_sovits.models.s2.model import SynthesizerTrn


def pair_average(content: torch.Tensor) -> torch.Tensor:
    """``[c, t]`` 50 Hz features -> ``[t // 2, c]`` means of frame pairs (what ssl_proj sees)."""
    t = content.shape[-1] // 2 * 2
    return content[:, :t].float().reshape(content.shape[0], t // 2, 2).mean(-1).t()


def sample_frames(contents: Iterable[torch.Tensor], max_frames: int, generator: torch.Generator) -> torch.Tensor:
    """Up to ``max_frames`` random 25 Hz frames ``[n, c]`` from a stream of ``[c, t]`` features."""
    frames = torch.cat([pair_average(c) for c in contents])
    if frames.shape[0] > max_frames:
        frames = frames[torch.randperm(frames.shape[0], generator=generator)[:max_frames]]
    return frames


def kmeans(x: torch.Tensor, k: int, iters: int, generator: torch.Generator, chunk: int = 8192) -> torch.Tensor:
    """Lloyd's k-means of ``x`` ``[n, c]`` into ``k`` centroids ``[k, c]``.

    Initial centroids are random points (with replacement and a little noise when ``n < k``);
    a cluster that ends up empty is re-seeded at a random point.
    """
    n = x.shape[0]
    if n == 0:
        raise ValueError("k-means needs at least one frame; the corpus has no usable audio")
    idx = torch.randperm(n, generator=generator)[:k] if n >= k else torch.randint(0, n, (k,), generator=generator)
    centroids = x[idx].clone()
    if n < k:
        centroids += 0.01 * torch.randn(centroids.shape, generator=generator)
    for _ in range(iters):
        assign = torch.cat([_nearest(x[i : i + chunk], centroids) for i in range(0, n, chunk)])  # [n]
        sums = torch.zeros_like(centroids).index_add_(0, assign, x)
        counts = torch.bincount(assign, minlength=k).float()
        empty = counts == 0
        centroids = torch.where(empty[:, None], centroids, sums / counts.clamp(min=1)[:, None])
        if empty.any():
            refill = torch.randint(0, n, (int(empty.sum()),), generator=generator)
            centroids[empty] = x[refill] + 0.01 * torch.randn(len(refill), x.shape[1], generator=generator)
    return centroids


def _nearest(x: torch.Tensor, centroids: torch.Tensor) -> torch.Tensor:
    dist = x.pow(2).sum(1, keepdim=True) - 2 * x @ centroids.t() + centroids.pow(2).sum(1)[None]
    return dist.argmin(1)


@torch.no_grad()
def init_codebook(model: SynthesizerTrn, frames: torch.Tensor, iters: int, generator: torch.Generator) -> dict:
    """Set ``model.ssl_proj`` (pair average + standardisation) and its codebook from ``frames`` [n, c].

    Returns statistics for the run log (frames used, mean distance to the nearest entry, codes used).
    """
    c = frames.shape[1]
    if c != model.cfg.ssl_dim:
        raise ValueError(f"content features have {c} channels but the S2 expects {model.cfg.ssl_dim}")
    mean, std = frames.mean(0), frames.std(0).clamp(min=1e-3)  # [c]
    proj = model.ssl_proj
    weight = torch.zeros_like(proj.weight)  # [c, c, 2]
    diag = torch.arange(c)
    weight[diag, diag, :] = (0.5 / std)[:, None]
    proj.weight.copy_(weight)
    proj.bias.copy_(-mean / std)
    normed = (frames - mean) / std  # [n, c]
    size = model.cfg.codebook_size
    for book in model.quantizer.codebooks():
        centroids = kmeans(normed, size, iters, generator)
        book.embed.copy_(centroids)
        book.embed_avg.copy_(centroids)
        book.cluster_size.fill_(1.0)
        book.inited.fill_(1.0)
        normed = normed - centroids[_nearest(normed, centroids)]
    codes = model.quantizer.codebooks()[0].encode((frames - mean) / std)
    return {"frames": int(frames.shape[0]), "codes_used": int(codes.unique().numel()),
            "residual_rms": round(float(normed.pow(2).mean().sqrt()), 4)}
