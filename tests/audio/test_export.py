from __future__ import annotations

import io

import av
import numpy as np
import pytest
import soundfile as sf

from gpt_sovits.audio.export import encode_audio, to_int16

SR = 32000


def tone(seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    return (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def test_wav_is_16bit_32k_and_exact() -> None:
    audio = tone()
    data, sr = sf.read(io.BytesIO(encode_audio(audio, SR, "wav")), dtype="int16")
    info = sf.info(io.BytesIO(encode_audio(audio, SR, "wav")))
    assert sr == SR and info.subtype == "PCM_16" and np.array_equal(data, to_int16(audio))


@pytest.mark.parametrize("fmt", ["mp3", "ogg", "aac"])
def test_compressed_formats_decode_back_to_the_tone(fmt: str) -> None:
    audio = tone()
    blob = encode_audio(audio, SR, fmt)
    with av.open(io.BytesIO(blob)) as container:
        frames = [f.to_ndarray() for f in container.decode(audio=0)]
        rate = container.streams.audio[0].rate
    decoded = np.concatenate([f.reshape(-1) for f in frames]).astype(np.float32)
    if decoded.dtype.kind != "f" or np.abs(decoded).max() > 2:
        decoded = decoded / 32768.0
    assert abs(len(decoded) / rate - 1.0) < 0.1
    spectrum = np.abs(np.fft.rfft(decoded[: rate // 2]))
    peak_hz = np.argmax(spectrum) * rate / (rate // 2)
    assert abs(peak_hz - 440) < 10


def test_nan_and_clipping_are_safe_and_bad_format_is_named() -> None:
    pcm = to_int16(np.array([np.nan, 2.0, -3.0, 0.5], dtype=np.float32))
    assert pcm.tolist() == [0, 32767, -32767, 16384]
    with pytest.raises(ValueError, match="flac2"):
        encode_audio(tone(0.1), SR, "flac2")
