"""Spectrogram / mel DSP against librosa + numpy and against the original's stored outputs."""

from __future__ import annotations

from pathlib import Path

import librosa
import numpy as np
import pytest
import torch

from gpt_sovits.audio.spectral import (
    hann_window,
    linear_spectrogram,
    mel_filterbank,
    mel_spectrogram,
    spec_to_mel,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _chirp(n: int = 32000, sr: int = 32000) -> np.ndarray:
    t = np.arange(n) / sr
    return (0.5 * np.sin(2 * np.pi * (100 * t + 4000 * t**2))).astype(np.float32)


def _numpy_spec(y: np.ndarray, n_fft: int, hop: int, win: int) -> np.ndarray:
    pad = (n_fft - hop) // 2
    padded = np.pad(y.astype(np.float64), (pad, pad), mode="reflect")
    stft = librosa.stft(padded, n_fft=n_fft, hop_length=hop, win_length=win, window="hann",
                        center=False)
    return np.sqrt(np.abs(stft) ** 2 + 1e-8)


@pytest.mark.parametrize("n_fft,hop,win", [(2048, 640, 2048), (1024, 256, 1024)])
def test_linear_spectrogram_matches_librosa_on_chirp(n_fft: int, hop: int, win: int) -> None:
    y = _chirp()
    ours = linear_spectrogram(torch.from_numpy(y)[None], n_fft=n_fft, hop=hop, win=win)[0]
    ref = _numpy_spec(y, n_fft, hop, win)
    assert ours.shape == ref.shape == (n_fft // 2 + 1, (len(y) + n_fft - hop - n_fft) // hop + 1)
    assert np.abs(ours.double().numpy() - ref).max() / ref.max() < 1e-5


def test_mel_matches_librosa_filterbank_and_log_clamp() -> None:
    y = _chirp()
    spec = linear_spectrogram(torch.from_numpy(y)[None])[0]
    basis = librosa.filters.mel(sr=32000, n_fft=2048, n_mels=128, fmin=0.0, fmax=None)
    ref = np.log(np.maximum(basis @ spec.double().numpy(), 1e-5))
    ours = spec_to_mel(spec)
    assert np.abs(ours.double().numpy() - ref).max() < 1e-4
    direct = mel_spectrogram(torch.from_numpy(y)[None])[0]
    torch.testing.assert_close(direct, ours)


def test_fixture_spectrograms_and_mels() -> None:
    io = torch.load(FIXTURES / "s2_io.pt", weights_only=True)
    for wav_key, spec_key in (("wav", "spec"), ("wav2", "spec2")):
        ours = linear_spectrogram(io["audio"][wav_key])
        ref = io["spec"][spec_key]
        assert ours.shape == ref.shape
        assert float((ours - ref).abs().max() / ref.abs().max()) < 1e-6
    mel = mel_spectrogram(io["audio"]["wav"])
    torch.testing.assert_close(mel, io["mel"]["mel"], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(spec_to_mel(io["spec"]["spec"]), io["mel"]["mel_from_spec"],
                               rtol=1e-5, atol=1e-5)


def test_shapes_dtypes_and_caches() -> None:
    y = torch.randn(6400, dtype=torch.float64)
    spec = linear_spectrogram(y)
    assert spec.shape == (1025, 10) and spec.dtype == torch.float64
    assert hann_window(2048, torch.float64, torch.device("cpu")).dtype == torch.float64
    assert hann_window(2048, torch.float32, torch.device("cpu")).dtype == torch.float32
    fb = mel_filterbank(32000, 2048, 128, 0.0, None, torch.float32, torch.device("cpu"))
    assert fb is mel_filterbank(32000, 2048, 128, 0.0, None, torch.float32, torch.device("cpu"))
    batch = linear_spectrogram(torch.stack([y, 2 * y]))
    torch.testing.assert_close(batch[1], torch.sqrt(4 * (spec**2 - 1e-8) + 1e-8))


def test_too_short_signal_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="too short"):
        linear_spectrogram(torch.zeros(1, 500))
