"""Frame-rate buzz: how strongly a decoder stamps its frame period onto everything it says.

A HiFi-GAN decoder turns every latent frame into ``hop`` samples. One that has not learnt to hide
its frame boundaries (trained without a discriminator, or fed an input it was not trained on, such
as a constant timbre offset) repeats a pulse every frame: a buzz at the frame rate that no voice
has. In the long-term average spectrum of its speech that pulse is a comb: ripples spaced exactly
one frame rate apart (86.1 Hz for the starter's 22.05 kHz / 256-sample decoder), whatever the
pitch, while a real voice's harmonics move with its pitch and average out.

:func:`frame_buzz_db` measures that comb: the log-magnitude spectrum averaged over the louder
frames, detrended, projected on a ripple of the frame-rate period. Recordings and well-trained
decoders score about 0-2 dB; MODEL_CARD.md (session 23) lists the starter's. Session 26 found that in
the starter this comb is not added to a voice: it *is* the voice's excitation, one pulse per frame, on one
flat pitch (:mod:`gpt_sovits.audio.pitch` measures what is left of the original's melody).

Shapes: s = samples, f = FFT bins.
"""

from __future__ import annotations

import numpy as np

N_FFT = 8192
BAND_HZ = (1000.0, 8000.0)  # above the pitch harmonics that could line up by chance, below band limits


def long_term_spectrum_db(audio: np.ndarray, sr: int, n_fft: int = N_FFT, loud_fraction: float = 0.4) -> np.ndarray:
    """Mean magnitude spectrum in dB ``[f]`` of the loudest ``loud_fraction`` of the frames."""
    import librosa

    audio = np.asarray(audio, dtype=np.float32)
    if audio.shape[0] < n_fft:
        audio = np.pad(audio, (0, n_fft - audio.shape[0]))
    mags = np.abs(librosa.stft(audio, n_fft=n_fft, hop_length=n_fft // 8))  # [f, frames]
    energy = mags.sum(0)
    loud = energy >= np.quantile(energy, 1.0 - loud_fraction)
    return 20.0 * np.log10(mags[:, loud].mean(1) + 1e-9)


def frame_buzz_db(audio: np.ndarray, sr: int, frame_rate: float) -> float | None:
    """Peak-to-peak size in dB of the comb spaced ``frame_rate`` Hz in ``audio``'s long-term
    spectrum (see the module docstring); None for silence or audio too short to measure.

    Args:
        audio: mono samples ``[s]``.
        sr: their sample rate.
        frame_rate: the decoder's frames per second (its sample rate / its hop).
    """
    audio = np.asarray(audio, dtype=np.float32)
    if audio.size < sr // 4 or not np.any(np.abs(audio) > 1e-6) or frame_rate <= 0:
        return None
    spectrum = long_term_spectrum_db(audio, sr)
    freqs = np.arange(spectrum.shape[0]) * sr / N_FFT
    top = min(BAND_HZ[1], 0.45 * sr)
    band = (freqs >= BAND_HZ[0]) & (freqs <= top)
    if band.sum() < 4 * N_FFT * frame_rate / sr:  # fewer than ~4 ripples in the band
        return None
    f, s = freqs[band], spectrum[band]
    s = s - np.polyval(np.polyfit(f, s, 3), f)  # the slow spectral envelope out
    phase = 2.0 * np.pi * f / frame_rate
    basis = np.stack([np.cos(phase), np.sin(phase)], axis=1)  # [f, 2]
    coef, *_ = np.linalg.lstsq(basis, s, rcond=None)
    return float(2.0 * np.hypot(*coef))
