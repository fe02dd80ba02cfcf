"""Decoding of many containers/codecs with PyAV, and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from gpt_sovits.audio.io import decode_audio, load_audio, probe_audio, read_wav, write_wav
from gpt_sovits.audio.resample import resample, to_mono
from gpt_sovits.errors import AudioFormatError


def sine(freq: float, seconds: float, sr: int, channels: int = 2) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return np.tile(0.5 * np.sin(2 * np.pi * freq * t), (channels, 1)).astype(np.float32)  # [c, t]


def encode(path: Path, data: np.ndarray, sr: int, codec: str, fmt: str | None = None,
           video: bool = False) -> Path:
    """Write [c, t] float audio with PyAV (optionally with a tiny video track)."""
    layout = {1: "mono", 2: "stereo"}[data.shape[0]]
    with av.open(str(path), "w", format=fmt) as out:
        vstream = None
        if video:
            vstream = out.add_stream("mpeg4", rate=10)
            vstream.width, vstream.height, vstream.pix_fmt = 32, 32, "yuv420p"
        if codec:
            stream = out.add_stream(codec, rate=sr, layout=layout)
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format="fltp", layout=layout)
            frame.sample_rate = sr
            for packet in [*stream.encode(frame), *stream.encode(None)]:
                out.mux(packet)
        if vstream is not None:
            image = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            for _ in range(10):
                for packet in vstream.encode(image):
                    out.mux(packet)
            for packet in vstream.encode(None):
                out.mux(packet)
    return path


def dominant_hz(x: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.argmax(spectrum) * sr / x.size)


CASES = [
    ("a.wav", "pcm_s16le", None, False),
    ("a.flac", "flac", None, False),
    ("a.mp3", "libmp3lame", None, False),
    ("a.m4a", "aac", "mp4", False),
    ("a.opus", "libopus", "ogg", False),
    ("rec.webm", "libopus", "webm", False),
    ("clip.mp4", "aac", None, True),
    ("clip.mov", "aac", None, True),
    ("clip.mkv", "aac", None, True),
]


@pytest.mark.parametrize(("name", "codec", "fmt", "video"), CASES)
def test_decodes_common_formats_to_mono_32k(tmp_path, name, codec, fmt, video):
    sr = 48000 if "opus" in codec else 44100
    path = encode(tmp_path / name, sine(440.0, 1.0, sr), sr, codec, fmt, video)
    decoded = decode_audio(path)
    assert decoded.sr == 32000 and decoded.samples.ndim == 1 and decoded.samples.dtype == np.float32
    assert decoded.channels == 2 and decoded.source_sr == sr and decoded.warnings == []
    assert abs(decoded.duration - 1.0) < 0.1
    assert abs(dominant_hz(decoded.samples, 32000) - 440.0) < 5.0
    assert 0.4 < np.abs(decoded.samples).max() < 0.6


def test_eight_channels_at_192k_are_averaged_and_resampled(tmp_path):
    sr = 192000
    t = np.arange(sr // 2) / sr
    base = np.sin(2 * np.pi * 1000 * t)
    gains = np.linspace(0.0, 0.7, 8)
    sf.write(tmp_path / "multi.wav", (base[:, None] * gains[None, :]).astype(np.float32), sr, subtype="FLOAT")
    decoded = decode_audio(tmp_path / "multi.wav")
    assert decoded.channels == 8 and decoded.source_sr == sr
    assert decoded.samples.shape[0] == 16000
    mid = decoded.samples[2000:-2000]
    assert np.abs(mid).max() == pytest.approx(gains.mean(), rel=0.02)
    assert abs(dominant_hz(decoded.samples, 32000) - 1000.0) < 5.0


def test_load_audio_custom_rate(tmp_path):
    sf.write(tmp_path / "a.wav", sine(300, 0.5, 22050, 1)[0], 22050)
    assert load_audio(tmp_path / "a.wav", sr=16000).shape == (8000,)


def test_not_audio_is_rejected_with_clear_message(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("this is a shopping list, not a recording\n" * 50)
    with pytest.raises(AudioFormatError, match="not a readable audio"):
        decode_audio(path)
    with pytest.raises(AudioFormatError, match="not a readable audio"):
        probe_audio(path)


def test_random_bytes_are_rejected(tmp_path):
    path = tmp_path / "noise.mp3"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8).tobytes())
    with pytest.raises(AudioFormatError):
        decode_audio(path)


def test_empty_file(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioFormatError, match="empty"):
        decode_audio(tmp_path / "empty.wav")


def test_missing_file(tmp_path):
    with pytest.raises(AudioFormatError, match="not found"):
        decode_audio(tmp_path / "nope.wav")


def test_wav_header_without_samples(tmp_path):
    sf.write(tmp_path / "zero.wav", np.zeros(0, np.float32), 16000)
    with pytest.raises(AudioFormatError, match="no audio samples|empty"):
        decode_audio(tmp_path / "zero.wav")


@pytest.mark.parametrize("name,codec", [("t.mp3", "libmp3lame"), ("t.flac", "flac"), ("t.wav", "pcm_s16le")])
def test_truncated_file_decodes_the_readable_part(tmp_path, name, codec):
    full = encode(tmp_path / name, sine(440.0, 2.0, 44100, 1), 44100, codec)
    data = full.read_bytes()
    cut = tmp_path / f"cut_{name}"
    cut.write_bytes(data[: len(data) // 2])
    decoded = decode_audio(cut)
    assert 0.5 < decoded.duration < 1.6


@pytest.mark.parametrize("name,codec,fmt", [("c.mp3", "libmp3lame", None), ("c.m4a", "aac", "mp4"),
                                            ("c.flac", "flac", None), ("c.opus", "libopus", "ogg")])
def test_corrupt_middle_keeps_the_decodable_part_and_warns(tmp_path, name, codec, fmt):
    path = encode(tmp_path / name, sine(440.0, 2.0, 48000, 1), 48000, codec, fmt)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 2000] = np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    decoded = decode_audio(path)
    assert decoded.duration < 1.9
    assert decoded.warnings and "truncated or corrupt" in decoded.warnings[0]


def test_video_without_audio_track(tmp_path):
    path = encode(tmp_path / "silent_film.mp4", sine(1, 0.1, 8000), 8000, "", None, video=True)
    with pytest.raises(AudioFormatError, match="no audio track"):
        decode_audio(path)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_samples_are_reported(tmp_path, bad):
    x = sine(200, 0.5, 16000, 1)[0]
    x[100:110] = bad
    sf.write(tmp_path / "bad.wav", x, 16000, subtype="FLOAT")
    with pytest.raises(AudioFormatError, match="NaN or infinite"):
        decode_audio(tmp_path / "bad.wav")


def test_too_long_is_refused_from_header(tmp_path):
    sf.write(tmp_path / "long.wav", np.zeros(1000 * 70, np.int16), 1000)  # 70 s at 1 kHz
    with pytest.raises(AudioFormatError, match="over the 1 min limit"):
        decode_audio(tmp_path / "long.wav", max_seconds=60)
    assert decode_audio(tmp_path / "long.wav", max_seconds=100).duration == pytest.approx(70.0)


def test_write_read_roundtrip_is_atomic_and_clipped(tmp_path):
    x = np.linspace(-1.5, 1.5, 3200, dtype=np.float32)
    write_wav(tmp_path / "o.wav", x, 32000)
    y, sr = read_wav(tmp_path / "o.wav")
    assert sr == 32000 and y.shape == x.shape and np.abs(y).max() <= 1.0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    write_wav(tmp_path / "f.wav", x, 32000, subtype="FLOAT")
    assert np.allclose(read_wav(tmp_path / "f.wav")[0], x)


def test_resample_and_mono_helpers():
    assert to_mono(np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)).tolist() == [0.5, 0.5]
    y = resample(np.ones(48000, np.float32), 48000, 32000)
    assert y.shape == (32000,) and abs(float(y[1000:-1000].mean()) - 1.0) < 1e-3
    with pytest.raises(ValueError):
        resample(np.ones(10, np.float32), 0, 16000)
