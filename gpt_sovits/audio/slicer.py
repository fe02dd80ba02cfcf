"""RMS silence slicer (the algorithm of the original tool, re-implemented) plus a maximum slice
length enforced by cutting long chunks at their quietest point, and the original's volume mix.

Shapes: t = samples, f = RMS frames (one per hop).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gpt_sovits.config import StrictConfig


@dataclass
class SlicerConfig(StrictConfig):
    """Slicer parameters (defaults = the original webui's defaults, plus our length bounds).

    Args:
        threshold_db: frames with RMS below this level (dBFS) count as silence.
        min_length_ms: a chunk is only closed once it is at least this long.
        min_interval_ms: the shortest silence that may separate two chunks.
        hop_ms: RMS hop size.
        max_sil_kept_ms: at most this much silence is kept around a cut.
        max_length_s: longer chunks are cut again at their quietest point.
        min_chunk_s: shorter chunks are dropped.
        peak_max: volume mix target peak (original ``_max``).
        alpha: volume mix weight of the peak-normalised signal (original ``alpha``).
    """

    threshold_db: float = -34.0
    min_length_ms: int = 4000
    min_interval_ms: int = 300
    hop_ms: int = 10
    max_sil_kept_ms: int = 500
    max_length_s: float = 12.0
    min_chunk_s: float = 0.6
    peak_max: float = 0.9
    alpha: float = 0.25

    def __post_init__(self) -> None:
        if not self.min_length_ms >= self.min_interval_ms >= self.hop_ms > 0:
            raise ValueError("slicer needs min_length_ms >= min_interval_ms >= hop_ms > 0")
        if self.max_sil_kept_ms < self.hop_ms:
            raise ValueError("slicer needs max_sil_kept_ms >= hop_ms")
        if not 0 < self.min_chunk_s < self.max_length_s:
            raise ValueError("slicer needs 0 < min_chunk_s < max_length_s")


@dataclass
class Slice:
    """One chunk: sample range [start, end) in the source and its (volume-mixed) audio [t]."""

    start: int
    end: int
    audio: np.ndarray

    def file_name(self, source: str) -> str:
        return slice_file_name(source, self.start, self.end)


def slice_file_name(source: str, start: int, end: int) -> str:
    """``<source>_<start>_<end>.wav`` with 10-digit zero-padded sample indices."""
    return f"{source}_{start:010d}_{end:010d}.wav"


def frame_rms(audio: np.ndarray, frame_length: int, hop: int) -> np.ndarray:
    """Centred, zero-padded frame RMS: [t] -> [1 + t // hop]."""
    pad = frame_length // 2
    padded = np.pad(np.asarray(audio, dtype=np.float64), (pad, pad))
    n_frames = 1 + (padded.size - frame_length) // hop
    cumsum = np.concatenate([[0.0], np.cumsum(padded**2)])
    starts = np.arange(n_frames) * hop
    power = (cumsum[starts + frame_length] - cumsum[starts]) / frame_length  # [f]
    return np.sqrt(np.maximum(power, 0.0))


def _argmin(rms: np.ndarray, lo: int, hi: int) -> int:
    """Index of the quietest frame in rms[lo..hi] (inclusive)."""
    return lo + int(np.argmin(rms[lo : hi + 1]))


def _silence_cut(rms: np.ndarray, start: int, stop: int, keep: int) -> tuple[int, int]:
    """Frame range to remove for the silent run [start, stop), keeping <= ``keep`` frames per side."""
    length = stop - start
    if length <= keep:
        pos = _argmin(rms, start, stop)
        return (0, pos) if start == 0 else (pos, pos)
    pos_l = _argmin(rms, start, start + keep)
    pos_r = _argmin(rms, stop - keep, stop)
    if length <= 2 * keep and start != 0:
        pos = _argmin(rms, stop - keep, start + keep)
        return min(pos_l, pos), max(pos_r, pos)
    return (0, pos_r) if start == 0 else (pos_l, pos_r)


def silence_ranges(rms: np.ndarray, threshold: float, min_length: int, min_interval: int,
                   max_sil_kept: int) -> list[tuple[int, int]]:
    """Scan frame RMS [f] and return the silent frame ranges (begin, end) to cut out."""
    cuts: list[tuple[int, int]] = []
    silence_start: int | None = None
    clip_start = 0
    for i, value in enumerate(rms):
        if value < threshold:
            if silence_start is None:
                silence_start = i
            continue
        if silence_start is None:
            continue
        leading = silence_start == 0 and i > max_sil_kept
        middle = i - silence_start >= min_interval and i - clip_start >= min_length
        if leading or middle:
            cut = _silence_cut(rms, silence_start, i, max_sil_kept)
            cuts.append(cut)
            clip_start = cut[1]
        silence_start = None
    total = rms.shape[0]
    if silence_start is not None and total - silence_start >= min_interval:
        end = min(total - 1, silence_start + max_sil_kept)
        cuts.append((_argmin(rms, silence_start, end), total + 1))
    return cuts


def _frames(ms: float, sr: int, hop: int) -> int:
    return round(sr * ms / 1000.0 / hop)


def split_on_silence(audio: np.ndarray, sr: int, cfg: SlicerConfig) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Original slicing: returns sample ranges [(start, end)] and the frame RMS [f] used."""
    hop = round(sr * cfg.hop_ms / 1000)
    interval_samples = sr * cfg.min_interval_ms / 1000
    win = min(round(interval_samples), 4 * hop)
    rms = frame_rms(audio, win, hop)
    total = rms.shape[0]
    if total <= _frames(cfg.min_length_ms, sr, hop):
        return [(0, audio.shape[0])], rms
    cuts = silence_ranges(rms, 10.0 ** (cfg.threshold_db / 20.0), _frames(cfg.min_length_ms, sr, hop),
                          round(interval_samples / hop), _frames(cfg.max_sil_kept_ms, sr, hop))
    if not cuts:
        return [(0, audio.shape[0])], rms
    bounds = [(0, cuts[0][0])] if cuts[0][0] > 0 else []
    bounds += [(cuts[k][1], cuts[k + 1][0]) for k in range(len(cuts) - 1)]
    if cuts[-1][1] < total:
        bounds.append((cuts[-1][1], total))
    n = audio.shape[0]
    ranges = [(b * hop, min(n, e * hop)) for b, e in bounds]
    return [(s, e) for s, e in ranges if e > s], rms


def split_long(start: int, end: int, rms: np.ndarray, hop: int, max_len: int, min_piece: int) -> list[tuple[int, int]]:
    """Recursively cut [start, end) at its quietest frame until every piece is <= ``max_len``."""
    if end - start <= max_len:
        return [(start, end)]
    lo, hi = max(end - max_len, start + min_piece), min(start + max_len, end - min_piece)
    if lo > hi:
        lo, hi = (end - max_len, start + max_len) if end - start <= 2 * max_len else (start + 1, end - 1)
    f_lo, f_hi = -(-lo // hop), max(-(-lo // hop), hi // hop)
    f_hi = min(f_hi, rms.shape[0] - 1)
    cut = min(max(_argmin(rms, f_lo, f_hi) * hop, start + 1), end - 1)
    return (split_long(start, cut, rms, hop, max_len, min_piece)
            + split_long(cut, end, rms, hop, max_len, min_piece))


def mix_volume(chunk: np.ndarray, peak_max: float = 0.9, alpha: float = 0.25) -> np.ndarray:
    """Blend the chunk with its peak-normalised copy: ``x/peak*(peak_max*alpha) + (1-alpha)*x``."""
    chunk = np.asarray(chunk, dtype=np.float32)
    peak = float(np.abs(chunk).max()) if chunk.size else 0.0
    if peak == 0.0:
        return chunk.copy()
    if peak > 1.0:
        chunk, peak = chunk / peak, 1.0
    return (chunk / peak * (peak_max * alpha) + (1.0 - alpha) * chunk).astype(np.float32)


def slice_audio(audio: np.ndarray, sr: int, cfg: SlicerConfig | None = None) -> list[Slice]:
    """Slice mono audio [t]: silence split, max-length split, drop short chunks, volume mix."""
    cfg = cfg or SlicerConfig()
    audio = np.asarray(audio, dtype=np.float32)
    if audio.size == 0:
        return []
    ranges, rms = split_on_silence(audio, sr, cfg)
    hop = round(sr * cfg.hop_ms / 1000)
    max_len = int(cfg.max_length_s * sr)
    min_piece = max(int(cfg.min_chunk_s * sr), max_len // 4)
    pieces = [p for s, e in ranges for p in split_long(s, e, rms, hop, max_len, min_piece)]
    min_len = int(round(cfg.min_chunk_s * sr))
    return [Slice(s, e, mix_volume(audio[s:e], cfg.peak_max, cfg.alpha))
            for s, e in pieces if e - s >= min_len]
