"""Linear and mel spectrograms exactly as GPT-SoVITS S2 computes them (pure functions).

The reference pads the waveform by ``(n_fft - hop) / 2`` samples on both sides with reflection,
runs ``torch.stft`` with ``center=False`` and a periodic Hann window, and takes the magnitude as
``sqrt(re^2 + im^2 + 1e-8)``. Mel spectrograms multiply that magnitude by librosa's Slaney-style
mel filterbank and take ``log(clamp(x, min=1e-5))``.

Frames: ``(N + 2 * pad - n_fft) // hop + 1``; for the defaults that is ``N // 640`` for any N that
is a multiple of the hop. Window and filterbank are cached per parameters, dtype and device.
"""

from __future__ import annotations

import functools

import torch

MAGNITUDE_EPS = 1e-8
LOG_CLAMP = 1e-5


@functools.lru_cache(maxsize=16)
def hann_window(win: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """Periodic Hann window of ``win`` samples (``torch.hann_window`` default)."""
    return torch.hann_window(win, dtype=dtype, device=device)


@functools.lru_cache(maxsize=16)
def mel_filterbank(
    sr: int,
    n_fft: int,
    n_mels: int,
    fmin: float,
    fmax: float | None,
    dtype: torch.dtype,
    device: torch.device,
) -> torch.Tensor:
    """librosa's mel filterbank (Slaney scale, Slaney area norm): ``[n_mels, n_fft // 2 + 1]``."""
    import librosa

    basis = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    return torch.from_numpy(basis).to(dtype=dtype, device=device)


def linear_spectrogram(
    wav: torch.Tensor, *, n_fft: int = 2048, hop: int = 640, win: int = 2048
) -> torch.Tensor:
    """Magnitude spectrogram ``[B, n_fft // 2 + 1, frames]`` of ``wav`` ``[B, N]`` (or ``[N]``).

    Raises ``ValueError`` when the signal is too short for the reflection padding.
    """
    squeeze = wav.dim() == 1
    batch = wav.unsqueeze(0) if squeeze else wav
    if batch.dim() != 2:
        raise ValueError(f"wav must be [N] or [B, N], got shape {tuple(wav.shape)}")
    pad = (n_fft - hop) // 2
    if batch.shape[-1] <= pad:
        raise ValueError(
            f"signal of {batch.shape[-1]} samples is too short for a spectrogram "
            f"(needs more than {pad}); use a longer clip"
        )
    padded = torch.nn.functional.pad(batch.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
    window = hann_window(win, batch.dtype, batch.device)
    stft = torch.stft(
        padded,
        n_fft,
        hop_length=hop,
        win_length=win,
        window=window,
        center=False,
        normalized=False,
        onesided=True,
        return_complex=True,
    )
    ri = torch.view_as_real(stft)  # [B, F, T, 2]
    spec = torch.sqrt(ri.pow(2).sum(-1) + MAGNITUDE_EPS)
    return spec.squeeze(0) if squeeze else spec


def spec_to_mel(
    spec: torch.Tensor,
    *,
    sr: int = 32000,
    n_fft: int = 2048,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: float | None = None,
) -> torch.Tensor:
    """Log-mel ``[..., n_mels, T]`` from a linear magnitude spectrogram ``[..., n_fft//2+1, T]``."""
    basis = mel_filterbank(sr, n_fft, n_mels, float(fmin), fmax, spec.dtype, spec.device)
    mel = torch.matmul(basis, spec)
    return torch.log(torch.clamp(mel, min=LOG_CLAMP))


def mel_spectrogram(
    wav: torch.Tensor,
    *,
    sr: int = 32000,
    n_fft: int = 2048,
    hop: int = 640,
    win: int = 2048,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: float | None = None,
) -> torch.Tensor:
    """Log-mel spectrogram ``[B, n_mels, frames]`` of ``wav`` ``[B, N]`` (reference recipe)."""
    spec = linear_spectrogram(wav, n_fft=n_fft, hop=hop, win=win)
    return spec_to_mel(spec, sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
