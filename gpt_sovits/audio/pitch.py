"""Pitch (F0) tracking, and how well a rendering keeps its original's pitch.

Session 26 found that the starter's decoder speaks every voice on one flat pitch: its frame rate
(86.1 Hz), whatever the pitch of the speech it reconstructs. The frame-rate buzz
(:mod:`gpt_sovits.audio.buzz`) measures the comb this leaves in the spectrum, but not whether the
voice's own melody (a Mandarin tone, a question's rise) survives. :func:`pitch_agreement` does:
the share of the frames voiced in both the original and a time-aligned rendering (S2's
reconstruction or prior path) whose pitch lies within a semitone of the original's.

:func:`pitch_track` is YIN (de Cheveigné and Kawahara, 2002): the cumulative-mean-normalised
difference function of each frame, its first dip below a threshold as the period. Unvoiced frames
(no dip deep enough, or 30 dB below the loudest frame) are 0.

Shapes: s = samples, t = frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TRACK_SR = 16000
WINDOW = 1024  # samples at 16 kHz: 64 ms, three periods of the lowest pitch
DIP = 0.15  # YIN's absolute threshold on the normalised difference
VOICED = 0.3  # a frame whose deepest dip stays above this is unvoiced
QUIET_DB = 30.0
MIN_VOICED_FRAMES = 10  # at 100 frames/s: 0.1 s of voicing, less is no melody to speak of


def pitch_track(audio: np.ndarray, sr: int, frame_rate: float = 100.0, fmin: float = 60.0,
                fmax: float = 700.0) -> np.ndarray:
    """F0 in Hz of mono ``audio`` ``[s]`` at ``frame_rate`` frames per second ``[t]`` (0 = unvoiced).

    Frame ``i`` is centred at ``i / frame_rate`` seconds.
    """
    from gpt_sovits.audio.resample import resample

    x = resample(np.asarray(audio, dtype=np.float32), sr, TRACK_SR).astype(np.float64)
    hop = TRACK_SR / frame_rate
    frames = int(len(x) / hop) + 1
    tau_max, tau_min = int(TRACK_SR / fmin), max(2, int(TRACK_SR / fmax))
    if len(x) == 0 or tau_max >= WINDOW:
        return np.zeros(frames)
    x = np.pad(x, (WINDOW // 2, WINDOW))
    starts = (np.arange(frames) * hop).astype(int)
    fr = x[starts[:, None] + np.arange(WINDOW)[None]]  # [t, WINDOW]
    span = WINDOW - tau_max
    n_fft = 2 * WINDOW
    head = np.fft.rfft(fr[:, :span], n_fft)
    corr = np.fft.irfft(np.conj(head) * np.fft.rfft(fr, n_fft), n_fft)[:, : tau_max + 1]
    energy = np.cumsum(np.pad(fr ** 2, ((0, 0), (1, 0))), axis=1)
    shifted = energy[:, span: span + tau_max + 1] - energy[:, : tau_max + 1]  # energy of fr[tau: tau + span]
    diff = np.maximum(shifted[:, :1] + shifted - 2 * corr, 0.0)
    tau = np.arange(tau_max + 1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] * tau[1:] / np.maximum(np.cumsum(diff[:, 1:], axis=1), 1e-12)
    cmnd = cmnd[:, tau_min:]
    return _periods_to_f0(cmnd, tau_min, np.sqrt((fr[:, :span] ** 2).mean(1)))


def _periods_to_f0(cmnd: np.ndarray, tau_min: int, rms: np.ndarray) -> np.ndarray:
    """First local minimum below ``DIP`` (else the global minimum) of each frame's ``cmnd`` ``[t, lags]``
    as the period, refined by a parabola through its neighbours; 0 for unvoiced or quiet frames."""
    inner = cmnd[:, 1:-1]
    dips = np.zeros_like(cmnd, dtype=bool)
    dips[:, 1:-1] = (inner <= cmnd[:, :-2]) & (inner <= cmnd[:, 2:]) & (inner < DIP)
    lag = np.where(dips.any(1), dips.argmax(1), cmnd.argmin(1))
    rows = np.arange(len(lag))
    depth = cmnd[rows, lag]
    left, right = cmnd[rows, np.maximum(lag - 1, 0)], cmnd[rows, np.minimum(lag + 1, cmnd.shape[1] - 1)]
    bend = left - 2 * depth + right
    shift = np.where(bend > 1e-9, 0.5 * (left - right) / np.where(bend > 1e-9, bend, 1.0), 0.0)
    period = lag + tau_min + np.clip(shift, -0.5, 0.5)
    loud = rms > rms.max() * 10 ** (-QUIET_DB / 20)
    return np.where((depth < VOICED) & loud, TRACK_SR / period, 0.0)


@dataclass(frozen=True)
class Melody:
    """Median F0 in Hz and the standard deviation of log F0 (natural log: 0.1 is about 1.7
    semitones) over the voiced frames of a recording."""

    median_hz: float
    spread: float


def melody_of(audio: np.ndarray, sr: int) -> Melody | None:
    """The melody of mono ``audio`` (100 frames per second); None when fewer than
    :data:`MIN_VOICED_FRAMES` frames are voiced (whisper, noise, silence)."""
    track = pitch_track(np.asarray(audio, dtype=np.float32), sr)
    voiced = np.log(track[track > 0])
    if voiced.size < MIN_VOICED_FRAMES:
        return None
    return Melody(float(np.exp(np.median(voiced))), float(voiced.std()))


def pitch_agreement(original: np.ndarray, rendering: np.ndarray, sr: int, semitones: float = 1.0) -> float | None:
    """Share of the frames voiced in both ``original`` and the time-aligned ``rendering`` (same
    ``sr``) whose pitches differ by less than ``semitones``; None when fewer than 10 such frames."""
    a, b = pitch_track(original, sr), pitch_track(rendering, sr)
    n = min(len(a), len(b))
    both = (a[:n] > 0) & (b[:n] > 0)
    if both.sum() < 10:
        return None
    distance = np.abs(12.0 * np.log2(b[:n][both] / a[:n][both]))
    return float((distance < semitones).mean())
