"""The frozen semantic codebook: k-means, and ssl_proj set to standardise pair-averaged features."""

from __future__ import annotations

import torch

from gpt_sovits.pretrain.codebook import init_codebook, kmeans, pair_average
from gpt_sovits.pretrain.config import PretrainConfig


def test_kmeans_finds_separated_clusters():
    gen = torch.Generator().manual_seed(0)
    centers = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    x = torch.cat([c + 0.1 * torch.randn(50, 2, generator=gen) for c in centers])
    found = kmeans(x, 3, 10, gen)
    for c in centers:
        assert (found - c).norm(dim=1).min() < 0.5
    assert kmeans(x[:2], 8, 3, gen).shape == (8, 2)  # fewer points than entries still works


def test_codebook_init_makes_ssl_proj_standardise_pairs():
    from gpt_sovits.models.s2.model import SynthesizerTrn

    cfg = PretrainConfig.preset("tiny").s2_config().replace(codebook_size=16)
    model = SynthesizerTrn(cfg, with_posterior=False)
    gen = torch.Generator().manual_seed(1)
    content = 3.0 + 2.0 * torch.randn(512, 400, generator=gen)  # [c, t]
    frames = pair_average(content)
    stats = init_codebook(model, frames, 5, gen)
    projected = model.ssl_proj(content[None])[0].t()  # [t // 2, c]
    mean = (frames - frames.mean(0)) / frames.std(0)
    assert torch.allclose(projected, mean, atol=1e-4)
    assert stats["codes_used"] > 1
    assert model.extract_latent(content[None]).max() < 16
