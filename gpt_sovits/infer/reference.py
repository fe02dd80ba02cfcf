"""Reference clips: load, check the 3-10 s rule, pick the best window, spectrogram for S2 timbre.

Rules (the original's, made friendlier):
- the main reference must last 3-10 s (the original refuses anything else). A longer clip without
  a transcript is trimmed automatically to its best window (the most speech-active stretch of at
  most 9.5 s), because in reference-free mode only its timbre matters. With a transcript it is
  refused: a trimmed clip would no longer match its text, and S1 would leak the mismatch.
- extra references (timbre only) need at least 1 s and are trimmed the same way above 10 s.
- the S2 spectrogram is taken from the raw 32 kHz clip, divided by min(2, peak) when the peak
  exceeds 1 (the original's guard against over-range decodes).

Shapes: n = samples at 32 kHz, f = 1025 linear-spectrogram bins, t = frames (hop 640).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gpt_sovits.errors import AudioFormatError

SAMPLE_RATE = 32_000
MIN_SECONDS = 3.0
MAX_SECONDS = 10.0
TRIM_SECONDS = 9.5
MIN_EXTRA_SECONDS = 1.0
_FRAME = 640  # 20 ms analysis frames for the window search
_SPEECH_DB = -35.0  # a frame is "active" within this many dB of the loudest frame

AudioSource = str | Path | np.ndarray


@dataclass
class ReferenceClip:
    """A checked reference clip.

    Args:
        audio: mono float32 ``[n]`` at 32 kHz (after any trimming).
        name: file name or "<array>", for messages.
        note: what was done to it (e.g. trimmed), or None.
        digest: sha1 of the samples, a cache key for features computed from them.
    """

    audio: np.ndarray
    name: str
    note: str | None
    digest: str

    @property
    def seconds(self) -> float:
        return self.audio.shape[0] / SAMPLE_RATE


def _load(source: AudioSource) -> tuple[np.ndarray, str]:
    if isinstance(source, np.ndarray):
        if source.ndim != 1:
            raise AudioFormatError(f"reference audio must be mono [samples] at 32 kHz, got shape {source.shape}")
        return source.astype(np.float32, copy=False), "<array>"
    from gpt_sovits.audio.io import load_audio

    path = Path(source)
    if not path.is_file():
        raise AudioFormatError(f"reference clip {path} does not exist; pick an existing audio file")
    return load_audio(path, sr=SAMPLE_RATE), path.name


def best_window(audio: np.ndarray, seconds: float) -> tuple[int, int]:
    """Start and end sample of the ``seconds``-long stretch with the most speech-active frames.

    Activity is judged on 20 ms frames within 35 dB of the loudest one; ties go to the earliest
    window. Returns the whole clip when it is not longer than ``seconds``.
    """
    width = int(seconds * SAMPLE_RATE)
    if audio.shape[0] <= width:
        return 0, audio.shape[0]
    frames = audio[: audio.shape[0] // _FRAME * _FRAME].reshape(-1, _FRAME)  # [m, 640]
    level = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)  # [m]
    active = (level > level.max() + _SPEECH_DB).astype(np.int64)
    span = width // _FRAME
    counts = np.convolve(active, np.ones(span, dtype=np.int64), mode="valid")  # [m - span + 1]
    start = int(np.argmax(counts)) * _FRAME
    return start, start + width


def check_reference(
    source: AudioSource, *, has_text: bool, extra: bool = False
) -> ReferenceClip:
    """Load a reference clip and apply the duration rules above.

    Raises:
        AudioFormatError: unreadable, silent, too short, or too long while a transcript is given.
    """
    audio, name = _load(source)
    if audio.size == 0 or not np.isfinite(audio).all() or not np.abs(audio).max() > 0:
        raise AudioFormatError(f"reference {name} is empty, silent or damaged; use a clip with clear speech")
    seconds = audio.shape[0] / SAMPLE_RATE
    low = MIN_EXTRA_SECONDS if extra else MIN_SECONDS
    if seconds < low:
        raise AudioFormatError(
            f"reference {name} lasts {seconds:.1f} s; it must last {low:g}-{MAX_SECONDS:g} s. "
            "Record or pick a longer clip of clear speech."
        )
    note = None
    if seconds > MAX_SECONDS:
        if has_text and not extra:
            raise AudioFormatError(
                f"reference {name} lasts {seconds:.1f} s; it must last {MIN_SECONDS:g}-{MAX_SECONDS:g} s. "
                "Cut it to one or two sentences and give their exact transcript, or leave the "
                "transcript empty to have the best 9.5 s picked automatically (reference-free mode)."
            )
        start, end = best_window(audio, TRIM_SECONDS)
        audio = audio[start:end]
        note = f"reference {name} ({seconds:.1f} s) trimmed to {start / SAMPLE_RATE:.1f}-{end / SAMPLE_RATE:.1f} s"
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    digest = hashlib.sha1(audio.tobytes()).hexdigest()
    return ReferenceClip(audio=audio, name=name, note=note, digest=digest)


def reference_spec(audio: np.ndarray, filter_length: int, hop_length: int, win_length: int) -> torch.Tensor:
    """Linear spectrogram ``[1, f, t]`` of a 32 kHz clip for the S2 timbre encoder."""
    from gpt_sovits.audio.spectral import linear_spectrogram

    wav = torch.from_numpy(np.asarray(audio, dtype=np.float32))[None]  # [1, n]
    peak = float(wav.abs().max())
    if peak > 1.0:
        wav = wav / min(2.0, peak)
    return linear_spectrogram(wav, n_fft=filter_length, hop=hop_length, win=win_length)
