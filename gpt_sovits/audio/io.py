"""Decode any audio/video input with PyAV into mono float32 at a target rate; write WAV files.

No ffmpeg command line is used: PyAV links the ffmpeg libraries directly. Every failure raises
:class:`gpt_sovits.errors.AudioFormatError` with a message that says what is wrong and what to do.

Shapes: c = channels, t = samples.
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import soundfile as sf

from gpt_sovits.audio.resample import resample, to_mono
from gpt_sovits.errors import AudioFormatError
from gpt_sovits.fileio import atomic_write_bytes

log = logging.getLogger(__name__)

DEFAULT_SR = 32000


@dataclass
class DecodedAudio:
    """Result of :func:`decode_audio`.

    Args:
        samples: mono float32 samples in [-1, 1] (mostly), shape [t].
        sr: sample rate of ``samples``.
        source_sr: sample rate of the decoded stream.
        channels: channel count of the decoded stream.
        codec: codec name of the decoded stream (e.g. "mp3", "opus").
        warnings: non-fatal problems found while decoding (e.g. a truncated tail).
    """

    samples: np.ndarray
    sr: int
    source_sr: int
    channels: int
    codec: str
    warnings: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return self.samples.shape[0] / float(self.sr)


@dataclass
class AudioInfo:
    """Cheap facts about a file, from :func:`probe_audio` (decodes only the first frame)."""

    duration: float | None
    sample_rate: int
    channels: int
    codec: str
    has_video: bool


def _open(path: Path) -> av.container.InputContainer:
    if not path.is_file():
        raise AudioFormatError(f"{path.name}: file not found; choose an existing audio file")
    if path.stat().st_size == 0:
        raise AudioFormatError(f"{path.name}: the file is empty (0 bytes); upload the recording again")
    try:
        return av.open(str(path), mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise AudioFormatError(
            f"{path.name}: not a readable audio or video file ({exc.__class__.__name__}); "
            "upload a recording such as wav, flac, mp3, ogg/opus, m4a or webm"
        ) from exc


def _audio_stream(container: av.container.InputContainer, name: str) -> av.audio.stream.AudioStream:
    if not container.streams.audio:
        if container.streams.video:
            raise AudioFormatError(
                f"{name}: this file has pictures or video but no audio track; upload a recording with sound"
            )
        raise AudioFormatError(f"{name}: no audio stream found; this does not look like an audio file")
    return container.streams.audio[0]


def _container_seconds(container: av.container.InputContainer, stream: av.stream.Stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000.0
    return None


def probe_audio(path: str | os.PathLike[str]) -> AudioInfo:
    """Check that ``path`` holds decodable audio and return its basic facts.

    Raises:
        AudioFormatError: not audio, no audio stream, or the first frame cannot be decoded.
    """
    path = Path(path)
    with _open(path) as container:
        stream = _audio_stream(container, path.name)
        try:
            frame = next(container.decode(stream), None)
        except av.error.FFmpegError as exc:
            raise AudioFormatError(f"{path.name}: the audio is corrupt and cannot be decoded ({exc})") from exc
        if frame is None:
            raise AudioFormatError(f"{path.name}: the audio stream is empty (no samples)")
        return AudioInfo(
            duration=_container_seconds(container, stream),
            sample_rate=frame.sample_rate,
            channels=frame.layout.nb_channels,
            codec=stream.codec_context.name,
            has_video=bool(container.streams.video),
        )


_INT_SCALE = {"u8": 128.0, "s16": 32768.0, "s32": 2147483648.0, "s64": 9223372036854775808.0}


def frame_to_float(frame: av.AudioFrame) -> np.ndarray:
    """Planar float32 samples [c, t] of one decoded frame, for any ffmpeg sample format.

    Done in numpy rather than with ffmpeg's resampler, which cannot handle unnamed channel
    layouts (e.g. an 8-channel WAV without a channel mask).
    """
    channels = frame.layout.nb_channels
    data = frame.to_ndarray()  # planar: [c, t]; packed: [1, t * c]
    if not frame.format.is_planar:
        data = data.reshape(-1, channels).T  # [c, t]
    kind = frame.format.name.rstrip("p")
    if kind == "u8":
        return ((data.astype(np.float32) - 128.0) / 128.0).astype(np.float32)
    if kind in _INT_SCALE:
        return (data.astype(np.float64) / _INT_SCALE[kind]).astype(np.float32)
    return data.astype(np.float32)


@dataclass
class _Decoded:
    """Mono blocks [t_i] (mixed down per frame to bound memory) plus stream facts."""

    blocks: list[np.ndarray] = field(default_factory=list)
    rate: int = 0
    channels: int = 0
    non_finite: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def samples(self) -> int:
        return sum(b.shape[0] for b in self.blocks)


def _decode_frames(
    container: av.container.InputContainer,
    stream: av.audio.stream.AudioStream,
    name: str,
    max_seconds: float | None,
) -> _Decoded:
    """Decode all frames, mixing each to mono as it arrives."""
    out = _Decoded()
    total = 0
    try:
        for frame in container.decode(stream):
            out.rate = out.rate or frame.sample_rate
            out.channels = out.channels or frame.layout.nb_channels
            if frame.sample_rate != out.rate or frame.layout.nb_channels != out.channels:
                out.warnings.append(f"{name}: the sample rate or channel count changes inside the file; "
                                    "the rest is ignored")
                break
            block = frame_to_float(frame)  # [c, t_i]
            out.non_finite += int(np.count_nonzero(~np.isfinite(block)))
            out.blocks.append(to_mono(block))  # [t_i]
            total += block.shape[1]
            if max_seconds is not None and total > max_seconds * out.rate:
                raise AudioFormatError(_too_long_message(name, total / out.rate, max_seconds))
    except av.error.FFmpegError as exc:
        if total == 0:
            raise AudioFormatError(f"{name}: the audio is corrupt and cannot be decoded ({exc})") from exc
        out.warnings.append(
            f"{name}: decoding stopped after {total / out.rate:.1f} s ({exc.__class__.__name__}); "
            "the file looks truncated or corrupt, only the decodable part is used"
        )
    return out


def _too_long_message(name: str, seconds: float, limit: float) -> str:
    return (
        f"{name}: the recording is {seconds / 60:.1f} min long, over the {limit / 60:.0f} min limit; "
        "1-3 minutes of clean speech is enough, so trim it or split it into shorter files"
    )


def decode_audio(
    path: str | os.PathLike[str], sr: int = DEFAULT_SR, max_seconds: float | None = None
) -> DecodedAudio:
    """Decode the first audio stream of ``path`` to mono float32 at ``sr`` Hz.

    Works for wav, flac, mp3, ogg/vorbis/opus, m4a/aac, webm and video containers (mp4, mov,
    mkv), any channel count (averaged) and any rate (soxr high quality).

    Args:
        path: input file.
        sr: output sample rate.
        max_seconds: refuse inputs longer than this (checked from the header and while decoding).

    Raises:
        AudioFormatError: not audio, corrupt, no audio stream, empty, NaN/inf samples, too long.
    """
    path = Path(path)
    with _open(path) as container:
        stream = _audio_stream(container, path.name)
        header_seconds = _container_seconds(container, stream)
        if max_seconds is not None and header_seconds is not None and header_seconds > max_seconds:
            raise AudioFormatError(_too_long_message(path.name, header_seconds, max_seconds))
        codec = stream.codec_context.name
        decoded = _decode_frames(container, stream, path.name, max_seconds)
    if decoded.samples == 0:
        raise AudioFormatError(f"{path.name}: the file contains no audio samples (empty recording)")
    if decoded.non_finite:
        raise AudioFormatError(
            f"{path.name}: {decoded.non_finite} samples are NaN or infinite; the file is damaged, "
            "export it again from the recording software"
        )
    seconds = decoded.samples / decoded.rate
    if header_seconds and seconds < header_seconds - max(0.1, 0.05 * header_seconds) and not decoded.warnings:
        decoded.warnings.append(
            f"{path.name}: only {seconds:.1f} s of the announced {header_seconds:.1f} s could be decoded; "
            "the file looks truncated or corrupt, only the decodable part is used"
        )
    mono = np.concatenate(decoded.blocks)  # [t]
    samples = resample(mono, decoded.rate, sr)
    for message in decoded.warnings:
        log.warning(message)
    return DecodedAudio(samples=samples, sr=sr, source_sr=decoded.rate, channels=decoded.channels,
                        codec=codec, warnings=decoded.warnings)


def load_audio(path: str | os.PathLike[str], sr: int = DEFAULT_SR) -> np.ndarray:
    """Decode ``path`` to mono float32 samples [t] at ``sr`` Hz (see :func:`decode_audio`)."""
    return decode_audio(path, sr=sr).samples


def read_wav(path: str | os.PathLike[str]) -> tuple[np.ndarray, int]:
    """Read one of our own WAV files (clean/, slices/) as mono float32 [t] and its rate."""
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)  # [t, c]
    return to_mono(data.T), int(rate)


def write_wav(path: str | os.PathLike[str], audio: np.ndarray, sr: int, subtype: str = "PCM_16") -> None:
    """Atomically write mono audio [t] as WAV ("PCM_16" or "FLOAT")."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1:
        raise ValueError(f"write_wav expects mono [t] audio, got shape {audio.shape}")
    if subtype == "PCM_16":
        audio = np.clip(audio, -1.0, 1.0)
    buffer = io.BytesIO()
    sf.write(buffer, audio, sr, subtype=subtype, format="WAV")
    atomic_write_bytes(path, buffer.getvalue())
