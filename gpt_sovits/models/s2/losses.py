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


# (n_fft, hop, window) of the multi-resolution STFT loss, as Parallel WaveGAN uses them (at 32 kHz:
# 16-64 ms windows: the finest resolves timing, the coarsest single harmonics of a low voice)
STFT_RESOLUTIONS = ((512, 128, 512), (1024, 256, 1024), (2048, 512, 2048))


def stft_loss(real: torch.Tensor, fake: torch.Tensor, max_frequency: float = 1.0,
              resolutions: Sequence[tuple[int, int, int]] = STFT_RESOLUTIONS) -> torch.Tensor:
    """Multi-resolution STFT loss of waveforms ``[B, 1, S]``: per resolution, spectral convergence
    (``|| |S| - |S^| ||_F / || |S| ||_F``) plus the L1 distance of log magnitudes, averaged over
    the resolutions. Unlike a mel loss it sees single harmonics, so it penalises a decoder that
    smears them into noise. ``max_frequency``: the fraction of the band (0-1 of Nyquist) compared,
    for decoders that cannot make the top of it."""
    total = torch.zeros((), device=real.device)
    for n_fft, hop, win in resolutions:
        window = torch.hann_window(win, device=real.device)
        top = max(2, int(round((n_fft // 2 + 1) * max_frequency)))
        mags = [torch.stft(x.squeeze(1).float(), n_fft, hop, win, window, return_complex=True).abs()[:, :top]
                .clamp_min(1e-5) for x in (real, fake)]  # [B, F, frames]
        converge = torch.linalg.norm(mags[0] - mags[1], dim=(1, 2)) / torch.linalg.norm(mags[0], dim=(1, 2))
        total = total + converge.mean() + (mags[0].log() - mags[1].log()).abs().mean()
    return total / len(resolutions)


def frame_buzz_loss(real: torch.Tensor, fake: torch.Tensor, sampling_rate: int, frame_rate: float,
                    max_frequency: float = 1.0, n_fft: int = 4096) -> torch.Tensor:
    """How much more of a comb spaced ``frame_rate`` Hz the generated slices ``fake`` ``[B, 1, S]``
    carry than the real ones, in nepers of their log spectra averaged over each slice (see
    :mod:`gpt_sovits.audio.buzz`: a decoder's frame pulse leaves exactly that comb; a voice's
    harmonics match the real slice's and cost nothing). Compared from 1 kHz to ``max_frequency``
    (fraction of Nyquist)."""
    window = torch.hann_window(n_fft, device=fake.device)
    period = frame_rate * n_fft / sampling_rate  # comb period in FFT bins
    low = int(1000.0 * n_fft / sampling_rate)
    high = int((n_fft // 2 + 1) * max_frequency)
    bins = torch.arange(low, high, device=fake.device, dtype=torch.float32)
    basis = torch.stack([torch.cos(2 * torch.pi * bins / period), torch.sin(2 * torch.pi * bins / period)])  # [2, f]
    width = max(3, int(round(period)) | 1)  # an odd moving average about one ripple wide: the envelope

    def comb(x: torch.Tensor) -> torch.Tensor:
        mags = torch.stft(x.squeeze(1).float(), n_fft, n_fft // 4, n_fft, window, return_complex=True).abs()
        spectrum = mags.mean(-1).clamp_min(1e-5).log()[:, None]  # [B, 1, F]
        trend = torch.nn.functional.avg_pool1d(spectrum, width, stride=1, padding=width // 2, count_include_pad=False)
        ripple = (spectrum - trend)[:, 0, low:high]  # [B, f]
        coef = ripple @ basis.T * (2.0 / ripple.shape[-1])  # [B, 2]
        return coef.square().sum(-1).add(1e-8).sqrt()  # [B] amplitude

    return (comb(fake) - comb(real).detach()).clamp_min(0).mean()


def harmonic_loss(real: torch.Tensor, fake: torch.Tensor, sampling_rate: int, max_hz: float = 2000.0,
                  n_fft: int = 2048, hop: int = 256) -> torch.Tensor:
    """L1 of log magnitudes below ``max_hz`` at a resolution that separates single harmonics (2048
    points at 32 kHz: 15.6 Hz bins), waveforms ``[B, 1, S]``. A mel loss is nearly blind to where
    the harmonics of a voice lie; this is the loss that teaches a decoder with a harmonic source to
    follow the pitch it is given (session 26: without it the decoder kept its frame-rate pulse)."""
    window = torch.hann_window(n_fft, device=real.device)
    top = int(max_hz * n_fft / sampling_rate) + 1
    logs = [torch.stft(x.squeeze(1).float(), n_fft, hop, n_fft, window, return_complex=True).abs()[:, :top]
            .add(1e-4).log() for x in (real, fake)]
    return F.l1_loss(logs[1], logs[0])
