"""Encode synthesized audio for download or HTTP responses: wav (16-bit), mp3, ogg (opus), aac, raw.

Uses soundfile for wav and PyAV (bundled FFmpeg libraries) for compressed formats; no ffmpeg CLI.
"""

from __future__ import annotations

import io

import numpy as np

FORMATS = {
    # name: (container, codec, mime type, sample rate used by the codec)
    "mp3": ("mp3", "libmp3lame", "audio/mpeg", None),
    "ogg": ("ogg", "libopus", "audio/ogg", 48000),
    "aac": ("adts", "aac", "audio/aac", None),
}
MIME = {"wav": "audio/wav", "raw": "audio/raw", **{k: v[2] for k, v in FORMATS.items()}}


def to_int16(audio: np.ndarray) -> np.ndarray:
    """Float [-1, 1] -> int16 with clipping (NaN becomes silence)."""
    clean = np.nan_to_num(np.asarray(audio, dtype=np.float32), nan=0.0, posinf=1.0, neginf=-1.0)
    return (np.clip(clean, -1.0, 1.0) * 32767.0).round().astype(np.int16)


def wav_header(sample_rate: int, channels: int = 1, data_bytes: int = 0xFFFFFFFF - 36) -> bytes:
    """A 16-bit PCM wav header; with the default size it suits streaming (length unknown)."""
    block = channels * 2
    return b"".join([
        b"RIFF", (36 + data_bytes & 0xFFFFFFFF).to_bytes(4, "little"), b"WAVE",
        b"fmt ", (16).to_bytes(4, "little"), (1).to_bytes(2, "little"), channels.to_bytes(2, "little"),
        sample_rate.to_bytes(4, "little"), (sample_rate * block).to_bytes(4, "little"),
        block.to_bytes(2, "little"), (16).to_bytes(2, "little"),
        b"data", (data_bytes & 0xFFFFFFFF).to_bytes(4, "little"),
    ])


def encode_audio(audio: np.ndarray, sample_rate: int, fmt: str = "wav") -> bytes:
    """Encode mono float audio as ``fmt`` (wav, raw, mp3, ogg, aac)."""
    fmt = fmt.lower()
    pcm = to_int16(audio)
    if fmt == "raw":
        return pcm.tobytes()
    if fmt == "wav":
        return wav_header(sample_rate, data_bytes=pcm.nbytes) + pcm.tobytes()
    if fmt not in FORMATS:
        raise ValueError(f"unsupported audio format {fmt!r}; choose one of {sorted(MIME)}")
    return _encode_av(pcm, sample_rate, fmt)


def _encode_av(pcm: np.ndarray, sample_rate: int, fmt: str) -> bytes:
    import av

    container_name, codec, _, codec_rate = FORMATS[fmt]
    rate = codec_rate or sample_rate
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_name) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = "mono"
        resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=rate)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = sample_rate
        for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(chunk):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()
