"""The Whisper feature loss of S2 pretraining: zero for the real slice, larger the less the slice
sounds like it, and its gradient reaches the generator."""

from __future__ import annotations

import torch

from gpt_sovits.features.whisper_torch import WhisperTorchEncoder
from gpt_sovits.pretrain.whisper_loss import WhisperFeatureLoss

SR = 32000


def _loss(weight: float = 2.0) -> WhisperFeatureLoss:
    torch.manual_seed(0)
    encoder = WhisperTorchEncoder(dim=64, heads=2, layers=2, positions=200)
    with torch.no_grad():
        encoder.positions.normal_(0, 0.1)
    return WhisperFeatureLoss(encoder, weight, SR)


def _slices(seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(10240) / SR
    f0 = 100 + 100 * torch.rand(3, 1, generator=g)
    voiced = sum(torch.sin(2 * torch.pi * k * f0 * t) / k for k in range(1, 10))
    return (0.1 * voiced + 0.01 * torch.randn(3, 10240, generator=g))[:, None]  # [B, 1, S]


def test_the_real_slice_costs_nothing_and_other_sounds_cost_more_the_further_they_are() -> None:
    loss, real = _loss(), _slices(0)
    assert float(loss(real, real)) == 0.0
    noisy = real + 0.003 * torch.randn_like(real)
    other = _slices(1)
    assert 0 < float(loss(real, noisy)) < float(loss(real, other))
    assert float(_loss(4.0)(real, other)) == 2 * float(loss(real, other))


def test_the_gradient_reaches_the_generated_slice_and_not_the_encoder() -> None:
    loss = _loss()
    fake = _slices(1).requires_grad_(True)
    loss(_slices(0), fake).backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0
    assert all(p.grad is None for p in loss.encoder.parameters())
