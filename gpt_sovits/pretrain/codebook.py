"""Semantic codebook from scratch: a fixed standardising ``ssl_proj`` and a k-means codebook.

No pretrained codebook exists for Whisper-base features, so the starter learns its own before any
network training, and then keeps it frozen (the fine-tuning trainers freeze ``ssl_proj`` and the
quantizer, and S1 needs fixed token ids):

1. ``ssl_proj`` (Conv1d, kernel 2, stride 2: 50 Hz -> 25 Hz) is set to "average each pair of
   frames, then standardise every channel" (``(x - mean) / std`` from corpus statistics);
2. the codebook is k-means (squared Euclidean, like :meth:`Codebook.encode`) of those 25 Hz vectors;
3. or, with a phone space (:mod:`gpt_sovits.pretrain.phone_space`, ``PretrainConfig.codebook_space``
   "phone-ctc"), the standardised frames are first projected by a linear map learnt to tell phones
   apart, folded into the same convolution, and k-means runs in that space.

Shapes: c = content channels (512), t = 50 Hz frames, n = sampled 25 Hz frames, k = codebook size.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

from gpt_sovits.models.s2.model import SynthesizerTrn
from gpt_sovits.pretrain.phone_space import PhoneProjection, fit_phone_projection

if TYPE_CHECKING:
    from gpt_sovits.features.cache import FeatureCache
    from gpt_sovits.pretrain.config import PretrainConfig


def pair_average(content: torch.Tensor) -> torch.Tensor:
    """``[c, t]`` 50 Hz features -> ``[t // 2, c]`` means of frame pairs (what ssl_proj sees)."""
    t = content.shape[-1] // 2 * 2
    return content[:, :t].float().reshape(content.shape[0], t // 2, 2).mean(-1).t()


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
def init_codebook(model: SynthesizerTrn, frames: torch.Tensor, iters: int, generator: torch.Generator,
                  projection: PhoneProjection | None = None, mean_std: tuple[torch.Tensor, torch.Tensor] | None = None) -> dict:
    """Set ``model.ssl_proj`` and its codebook from ``frames`` [n, c] (pair-averaged 50 Hz features).

    Without ``projection``: pair average + standardisation, k-means of the standardised frames.
    With one (:mod:`gpt_sovits.pretrain.phone_space`): pair average, standardisation and the
    projection's ``d`` rows in one convolution (output rows beyond ``d`` zero), k-means of the
    projected frames. ``mean_std``: the standardisation statistics the projection was learnt with
    (default: those of ``frames``).

    Returns statistics for the run log (frames used, residual, codes used; the phone space's error).
    """
    c = frames.shape[1]
    if c != model.cfg.ssl_dim:
        raise ValueError(f"content features have {c} channels but the S2 expects {model.cfg.ssl_dim}")
    mean, std = mean_std if mean_std is not None else standardisation(frames)
    weight, bias = _projection_conv(mean, std, projection)
    model.ssl_proj.weight.copy_(weight)
    model.ssl_proj.bias.copy_(bias)
    projected = frames @ (2 * weight[:, :, 0]).t() + bias  # what ssl_proj makes of a pair of equal frames
    normed = projected  # the residual of each further codebook
    size = model.cfg.codebook_size
    for book in model.quantizer.codebooks():
        centroids = kmeans(normed, size, iters, generator)
        book.embed.copy_(centroids)
        book.embed_avg.copy_(centroids)
        book.cluster_size.fill_(1.0)
        book.inited.fill_(1.0)
        normed = normed - centroids[_nearest(normed, centroids)]
    codes = model.quantizer.codebooks()[0].encode(projected)
    stats = {"frames": int(frames.shape[0]), "codes_used": int(codes.unique().numel()),
             "residual_rms": round(float(normed.pow(2).mean().sqrt()), 4)}
    if projection is not None:
        stats.update(space="phone-ctc", dims=int(projection.weight.shape[0]), phone_error=projection.phone_error)
    return stats


def standardisation(frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel (mean, std) ``[c]`` of frames ``[n, c]`` (std at least 1e-3)."""
    return frames.mean(0), frames.std(0).clamp(min=1e-3)


def _projection_conv(mean: torch.Tensor, std: torch.Tensor,
                     projection: PhoneProjection | None) -> tuple[torch.Tensor, torch.Tensor]:
    """(weight [c, c, 2], bias [c]) of the kernel-2 convolution that averages a frame pair,
    standardises it and applies ``projection`` (identity without one)."""
    c = mean.shape[0]
    matrix = torch.eye(c) if projection is None else projection.weight.float()  # [d, c]
    offset = torch.zeros(c) if projection is None else projection.bias.float()  # [d]
    d = matrix.shape[0]
    weight, bias = torch.zeros(c, c, 2), torch.zeros(c)
    weight[:d, :, 0] = weight[:d, :, 1] = 0.5 * matrix / std[None, :]
    bias[:d] = offset - matrix @ (mean / std)
    return weight, bias


def corpus_codebook(model: SynthesizerTrn, cache: FeatureCache, slice_ids: list[str], cfg: PretrainConfig,
                    generator: torch.Generator) -> dict:
    """Set ``model``'s ``ssl_proj`` and codebook from the corpus (``cfg.codebook_space``): frames of
    a seeded sample of ``slice_ids`` (~100 25 Hz frames per utterance, up to ``cfg.kmeans_frames``);
    for "phone-ctc" the phone space is learnt on the same utterances first. Returns the run-log stats."""
    order = [slice_ids[i] for i in torch.randperm(len(slice_ids), generator=generator).tolist()]
    chosen = (cache.load(i) for i in order[: max(1, math.ceil(cfg.kmeans_frames / 100))])
    utterances = [(pair_average(item.content), item.phone_ids) for item in chosen]
    frames = torch.cat([u[0] for u in utterances])
    if frames.shape[0] > cfg.kmeans_frames:
        frames = frames[torch.randperm(frames.shape[0], generator=generator)[: cfg.kmeans_frames]]
    if cfg.codebook_space == "standardised":
        return init_codebook(model, frames, cfg.kmeans_iters, generator)
    mean, std = standardisation(frames)
    projection = fit_phone_projection(utterances, mean, std, cfg.codebook_phone_dims, cfg.codebook_phone_epochs,
                                      generator)
    return init_codebook(model, frames, cfg.kmeans_iters, generator, projection, (mean, std))
