"""The RMS slicer: defaults of the original tool, cut placement, max length, volume mix."""

from __future__ import annotations

import numpy as np
import pytest

from gpt_sovits.audio.slicer import (
    SlicerConfig,
    frame_rms,
    mix_volume,
    slice_audio,
    slice_file_name,
    split_on_silence,
)
from gpt_sovits.config import ConfigError

SR = 32000


def tone(seconds: float, level: float = 0.3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (level * rng.uniform(-1, 1, int(seconds * SR))).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SR), np.float32)


def test_defaults_are_the_original_webui_defaults():
    cfg = SlicerConfig()
    assert (cfg.threshold_db, cfg.min_length_ms, cfg.min_interval_ms, cfg.hop_ms, cfg.max_sil_kept_ms) == (
        -34.0, 4000, 300, 10, 500)
    assert (cfg.peak_max, cfg.alpha) == (0.9, 0.25)
    assert SlicerConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError):
        SlicerConfig.from_dict({"treshold_db": -30})
    with pytest.raises(ValueError):
        SlicerConfig(min_interval_ms=5000)


def test_frame_rms_matches_direct_computation():
    x = np.random.default_rng(0).standard_normal(1000)
    rms = frame_rms(x, frame_length=64, hop=16)
    padded = np.pad(x, 32)
    direct = [np.sqrt(np.mean(padded[i * 16 : i * 16 + 64] ** 2)) for i in range(rms.size)]
    assert rms.shape == (1 + 1000 // 16,)
    assert np.allclose(rms, direct)


def test_short_file_is_returned_unsplit():
    x = np.concatenate([tone(1.0), silence(1.0), tone(1.0)])
    assert split_on_silence(x, SR, SlicerConfig())[0] == [(0, x.size)]


def test_cuts_in_long_silences_and_keeps_at_most_max_sil_kept():
    x = np.concatenate([silence(1.0), tone(5.0), silence(2.0), tone(5.0), silence(1.0)])
    slices = slice_audio(x, SR)
    assert len(slices) == 2
    first, second = slices
    # leading silence trimmed to <= 0.5 s, gap cut with <= 0.5 s kept on each side
    assert 0.45 * SR <= first.start <= 1.0 * SR
    assert 6.0 * SR <= first.end <= 6.55 * SR
    assert 7.45 * SR <= second.start <= 8.0 * SR
    assert second.end <= x.size and second.end >= 13.0 * SR
    assert all(np.abs(s.audio).max() > 0.1 for s in slices)


def test_short_pauses_do_not_split_before_min_length():
    x = np.concatenate([tone(2.0), silence(0.4), tone(2.0), silence(0.4), tone(2.0)])
    ranges, _ = split_on_silence(x, SR, SlicerConfig(max_length_s=30.0))
    assert len(ranges) == 2  # the first pause comes after only 2 s (< 4 s min length)


def test_long_chunks_are_cut_at_the_quietest_point():
    loud = tone(30.0)
    loud[int(9.0 * SR) : int(9.05 * SR)] *= 0.2  # a quiet dip at 9 s
    slices = slice_audio(loud, SR, SlicerConfig(max_length_s=12.0))
    lengths = [(s.end - s.start) / SR for s in slices]
    assert all(length <= 12.0 for length in lengths)
    assert abs(slices[0].end / SR - 9.0) < 0.06
    assert slices[0].start == 0 and slices[-1].end == loud.size
    assert all(a.end == b.start for a, b in zip(slices, slices[1:], strict=False))


def test_chunks_shorter_than_min_are_dropped():
    x = np.concatenate([tone(5.0), silence(2.0), tone(0.3), silence(2.0), tone(5.0)])
    slices = slice_audio(x, SR)
    assert all(s.end - s.start >= 0.6 * SR for s in slices)
    assert len(slices) == 2


def test_silence_only_gives_no_slices_and_tiny_clip_is_dropped():
    assert slice_audio(silence(10.0), SR) == []
    assert slice_audio(tone(0.4), SR) == []
    assert slice_audio(np.zeros(0, np.float32), SR) == []


def test_mix_volume_formula():
    x = np.array([0.5, -0.25, 0.1], np.float32)
    assert np.allclose(mix_volume(x), x / 0.5 * 0.9 * 0.25 + 0.75 * x)
    loud = np.array([2.0, -1.0], np.float32)
    assert np.abs(mix_volume(loud)).max() <= 1.0
    assert np.array_equal(mix_volume(np.zeros(4, np.float32)), np.zeros(4))


def test_slice_file_name_is_zero_padded():
    assert slice_file_name("take1", 123, 45678) == "take1_0000000123_0000045678.wav"
