"""S2 training losses (LSGAN adversarial, feature matching, KL, mel L1), computed in float32."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.nn import functional as F


def discriminator_loss(
    real_scores: Sequence[torch.Tensor], fake_scores: Sequence[torch.Tensor]
) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
    """``sum_d mean((1 - D(real))^2) + mean(D(fake)^2)``; also returns per-D real/fake terms."""
    real_losses = [torch.mean((1 - r.float()) ** 2) for r in real_scores]
    fake_losses = [torch.mean(f.float() ** 2) for f in fake_scores]
    total = torch.stack([r + f for r, f in zip(real_losses, fake_losses, strict=True)]).sum()
    return total, real_losses, fake_losses


def generator_loss(fake_scores: Sequence[torch.Tensor]) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Adversarial generator loss ``sum_d mean((1 - D(fake))^2)`` and per-D terms."""
    losses = [torch.mean((1 - f.float()) ** 2) for f in fake_scores]
    return torch.stack(losses).sum(), losses


def feature_loss(
    real_fmaps: Sequence[Sequence[torch.Tensor]], fake_fmaps: Sequence[Sequence[torch.Tensor]]
) -> torch.Tensor:
    """Feature matching: ``2 * sum`` of mean |real - fake| over all feature maps (real detached)."""
    terms = [
        torch.mean(torch.abs(r.float().detach() - g.float()))
        for real, fake in zip(real_fmaps, fake_fmaps, strict=True)
        for r, g in zip(real, fake, strict=True)
    ]
    return 2 * torch.stack(terms).sum()


def kl_loss(
    z_p: torch.Tensor,
    logs_q: torch.Tensor,
    m_p: torch.Tensor,
    logs_p: torch.Tensor,
    mask: torch.Tensor,
) -> torch.Tensor:
    """KL between the flowed posterior sample and the prior, averaged over valid frames.

    ``sum(logs_p - logs_q - 0.5 + 0.5 * (z_p - m_p)^2 * exp(-2 logs_p)) / sum(mask)``.
    """
    z_p, logs_q, m_p, logs_p, mask = (t.float() for t in (z_p, logs_q, m_p, logs_p, mask))
    kl = logs_p - logs_q - 0.5 + 0.5 * (z_p - m_p) ** 2 * torch.exp(-2.0 * logs_p)
    return torch.sum(kl * mask) / torch.sum(mask)


def mel_l1_loss(mel_real: torch.Tensor, mel_fake: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of two log-mel spectrograms (weighted by c_mel = 45 in training)."""
    return F.l1_loss(mel_real.float(), mel_fake.float())
