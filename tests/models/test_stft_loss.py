"""The multi-resolution STFT loss: what it rewards and what it ignores."""

from __future__ import annotations

import torch

from gpt_sovits.models.s2.losses import stft_loss

SR, S = 32000, 20480


def _voice(f0: float = 140.0) -> torch.Tensor:
    """A buzzy vowel-like tone [1, 1, S]: 30 harmonics with a falling envelope."""
    t = torch.arange(S) / SR
    wave = sum(torch.sin(2 * torch.pi * f0 * k * t) / k for k in range(1, 31))
    return (0.1 * wave)[None, None]


def test_harmonics_smeared_into_noise_cost_more_than_a_level_change() -> None:
    real = _voice()
    generator = torch.Generator().manual_seed(0)
    smeared = real + 0.02 * torch.randn(real.shape, generator=generator)  # the harmonics drown in noise
    quieter = real * 0.9
    assert stft_loss(real, real) == 0
    assert stft_loss(real, smeared) > 2 * stft_loss(real, quieter) > 0
    assert stft_loss(real, _voice(150.0)) > stft_loss(real, quieter)  # another pitch is another voice


def test_only_the_band_the_decoder_can_make_is_compared() -> None:
    floor = 1e-3 * torch.randn((1, 1, S), generator=torch.Generator().manual_seed(1))  # a recording's noise
    real = _voice() + floor
    t = torch.arange(S) / SR
    with_top = real + 0.05 * torch.sin(2 * torch.pi * 15500 * t)[None, None]  # above 0.7 x Nyquist
    assert stft_loss(real, with_top, max_frequency=0.7) < 0.1 * stft_loss(real, with_top)


def test_the_gradient_reaches_the_generated_waveform() -> None:
    fake = (_voice() * 0.5).requires_grad_(True)
    stft_loss(_voice(), fake).backward()
    assert fake.grad is not None and torch.isfinite(fake.grad).all() and fake.grad.abs().sum() > 0


def test_the_buzz_loss_sees_a_frame_pulse_beyond_the_real_slice_only() -> None:
    from gpt_sovits.models.s2.losses import frame_buzz_loss

    frame_rate = 22050 / 256
    real = _voice(117.0)
    pulses = torch.zeros(S)
    pulses[(torch.arange(int(S / SR * frame_rate)) * SR / frame_rate).long()] = 0.8
    buzzing = real + pulses[None, None]
    assert frame_buzz_loss(real, real, SR, frame_rate) == 0
    assert frame_buzz_loss(real, buzzing, SR, frame_rate) > 0.3
    assert frame_buzz_loss(buzzing, real, SR, frame_rate) == 0  # less comb than the real slice costs nothing
