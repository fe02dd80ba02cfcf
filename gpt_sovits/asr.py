"""Transcription for auto-labelling with faster-whisper (Whisper-base, CPU int8).

The model folder comes from the model registry (assembled offline from PyPI packages); the model
is loaded lazily on the first call and cached on the :class:`WhisperASR` instance (no module
state). Chinese output is converted to Simplified characters. :func:`check_transcript` marks
transcripts that probably need a human look, with a reason.

Shapes: t = samples.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gpt_sovits.config import StrictConfig

WHISPER_SR = 16000
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_NOT_ENGLISH = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")  # kana, hanzi, hangul
# Characters per second below which a transcript is suspicious (typical speech: zh 3-6 hanzi/s,
# en 10-16 letters/s) and above which it is probably a hallucination.
_RATE_LIMITS = {"zh": (1.0, 10.0), "en": (3.0, 30.0)}


@dataclass
class ASRConfig(StrictConfig):
    """faster-whisper settings.

    Args:
        device: "cpu" or "cuda".
        compute_type: CTranslate2 compute type ("int8" on CPU).
        beam_size: decoding beam (1 = greedy, fastest).
        cpu_threads: CPU threads for CTranslate2 (0 = library default).
        temperatures: decoding temperatures tried in turn when a result looks degenerate;
            a single 0.0 (no fallback) keeps garbage audio from costing many re-decodes, and
            such transcripts are flagged for review anyway.
        min_avg_logprob: below this average log-probability a transcript is flagged. Measured on
            230 corpus clips of known text (pretrained/starter/MODEL_CARD.md, session 23): below
            -0.5 every transcript had more than 15 % of its words or characters wrong.
        max_no_speech_prob: above this no-speech probability a transcript is flagged.
        max_compression_ratio: a transcript whose zlib compression ratio exceeds this (Whisper's
            own test, 2.4) is a repetition loop ("my, my, my, ...") rather than what was said.
        loop_beam_size: such a transcript is decoded again with this beam and no repeated
            3-grams (deterministic, unlike temperature fallback); 0 = keep the loop.
    """

    device: str = "cpu"
    compute_type: str = "int8"
    beam_size: int = 1
    cpu_threads: int = 2
    temperatures: tuple[float, ...] = (0.0,)
    min_avg_logprob: float = -0.5
    max_no_speech_prob: float = 0.6
    max_compression_ratio: float = 2.4
    loop_beam_size: int = 5

    @classmethod
    def for_labels(cls) -> ASRConfig:
        """Settings for labels a voice is trained on: beam 5. Measured on 60 corpus clips of known
        text (MODEL_CARD session 23): Chinese character errors 0.411 -> 0.386 for 17 % more time,
        English unchanged. Scores (``eval-clone``) keep the greedy default, comparable over time."""
        return cls(beam_size=5)


@dataclass
class Transcript:
    """ASR result for one clip.

    Args:
        text: transcript (Simplified Chinese for zh).
        language: language code Whisper used or detected ("zh", "en", ...).
        avg_logprob: duration-weighted mean of segment average log-probabilities (0 = certain).
        no_speech_prob: highest segment no-speech probability (1.0 when no segment).
        duration: clip length in seconds.
        redecoded: the first (greedy) transcript was a repetition loop and this one comes from
            the second decoding (:attr:`ASRConfig.loop_beam_size`).
    """

    text: str
    language: str
    avg_logprob: float
    no_speech_prob: float
    duration: float
    redecoded: bool = False


def compression_ratio(text: str) -> float:
    """Bytes of ``text`` per byte of its zlib compression (Whisper's repetition-loop measure)."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def to_simplified(text: str) -> str:
    """Convert Traditional Chinese characters to Simplified (OpenCC t2s)."""
    import opencc

    return opencc.OpenCC("t2s").convert(text)


def default_model_dir(pretrained_root: Path | None = None) -> Path:
    """The Whisper-base folder from the registry (assembled on first use)."""
    from gpt_sovits.registry import whisper_model_dir

    return whisper_model_dir(pretrained_root)


class WhisperASR:
    """Lazily loaded faster-whisper model.

    Args:
        model_dir: a faster-whisper (CTranslate2) model folder; None asks the registry.
        config: decoding settings.
        pretrained_root: the registry's pretrained/ folder (None = the default one).
    """

    def __init__(self, model_dir: str | Path | None = None, config: ASRConfig | None = None,
                 pretrained_root: Path | None = None) -> None:
        self._model_dir = Path(model_dir) if model_dir is not None else None
        self._pretrained_root = pretrained_root
        self.config = config or ASRConfig()
        self._model: Any = None
        self._t2s: Any = None

    def _load(self) -> Any:
        if self._model is None:
            from faster_whisper import WhisperModel

            folder = self._model_dir or default_model_dir(self._pretrained_root)
            self._model = WhisperModel(str(folder), device=self.config.device,
                                       compute_type=self.config.compute_type,
                                       cpu_threads=self.config.cpu_threads, local_files_only=True)
        return self._model

    def _simplify(self, text: str) -> str:
        if self._t2s is None:
            import opencc

            self._t2s = opencc.OpenCC("t2s")
        return self._t2s.convert(text)

    def transcribe(self, audio: np.ndarray, sr: int, language: str = "auto") -> Transcript:
        """Transcribe mono audio [t] at ``sr`` Hz; ``language`` is "zh", "en" or "auto"."""
        from gpt_sovits.audio.resample import resample

        if language not in ("zh", "en", "auto"):
            raise ValueError(f"language must be 'zh', 'en' or 'auto', got {language!r}")
        audio16 = resample(np.asarray(audio, dtype=np.float32), sr, WHISPER_SR)  # [t * 16k/sr]
        result = self._decode(audio16, language, self.config.beam_size)
        beam = self.config.loop_beam_size
        if beam > 0 and compression_ratio(result.text) > self.config.max_compression_ratio:
            again = self._decode(audio16, language, beam, no_repeat_ngram_size=3)
            if compression_ratio(again.text) < compression_ratio(result.text):
                again.redecoded = True
                return again
        return result

    def _decode(self, audio16: np.ndarray, language: str, beam_size: int, **options: Any) -> Transcript:
        """One faster-whisper decoding of 16 kHz audio [t], joined into a :class:`Transcript`."""
        segments, info = self._load().transcribe(
            audio16, language=None if language == "auto" else language,
            beam_size=beam_size, vad_filter=False, condition_on_previous_text=False,
            without_timestamps=True, temperature=list(self.config.temperatures), **options,
        )
        segments = list(segments)
        lang = info.language
        text = "".join(s.text for s in segments).strip() if lang in ("zh", "ja", "yue") \
            else " ".join(s.text.strip() for s in segments).strip()
        if lang == "zh":
            text = self._simplify(text)
        weights = [max(s.end - s.start, 1e-3) for s in segments]
        logprob = float(np.average([s.avg_logprob for s in segments], weights=weights)) if segments else -10.0
        no_speech = max((s.no_speech_prob for s in segments), default=1.0)
        return Transcript(text=text, language=lang, avg_logprob=logprob, no_speech_prob=float(no_speech),
                          duration=audio16.shape[0] / WHISPER_SR)

    def transcribe_file(self, path: str | Path, language: str = "auto") -> Transcript:
        """Decode any audio file and transcribe it."""
        from gpt_sovits.audio.io import load_audio

        return self.transcribe(load_audio(path, sr=WHISPER_SR), WHISPER_SR, language)


@dataclass(frozen=True)
class LabelCheck:
    """Why a transcript probably needs a human look.

    ``code`` is a stable key (the studio shows its own translation of it), ``values`` the numbers
    the message names, ``text`` the English message (what logs and the CLI show)."""

    code: str
    text: str
    values: dict[str, Any]


def check_transcript(t: Transcript, lang: str, config: ASRConfig | None = None) -> LabelCheck | None:
    """The reason a label probably needs checking, or None if it looks plausible.

    Checks: empty text, unsupported language, a repetition loop left after the second decoding,
    Chinese / Japanese / Korean characters in English speech, characters per second outside the
    usual range for ``lang`` ("zh" counts hanzi, "en" counts letters), likely no speech, low
    confidence.
    """
    config = config or ASRConfig()
    text = t.text.strip()
    if not re.search(r"\w", text):
        return LabelCheck("empty", "empty transcript: no speech recognised", {})
    if lang not in _RATE_LIMITS:
        return LabelCheck("language", f"language {lang!r} is not supported for training (use zh or en)",
                          {"language": lang})
    if compression_ratio(text) > config.max_compression_ratio:
        return LabelCheck("loop", "the transcript repeats itself (a recognition loop); type what was said", {})
    if lang == "en" and _NOT_ENGLISH.search(text):
        return LabelCheck("not_english", "the transcript has Chinese, Japanese or Korean characters in English "
                          "speech; type what was said", {})
    count = len(_CJK.findall(text)) if lang == "zh" else len(_LATIN.findall(text))
    low, high = _RATE_LIMITS[lang]
    values = {"count": count, "seconds": f"{t.duration:.1f}"}
    if t.duration >= 1.5 and count / t.duration < low:
        return LabelCheck("too_few", f"only {count} characters for {t.duration:.1f} s of audio; words are "
                          "probably missing", values)
    if t.duration > 0 and count / t.duration > high:
        return LabelCheck("too_many", f"{count} characters for {t.duration:.1f} s of audio; the transcript is "
                          "probably invented", values)
    if t.no_speech_prob > config.max_no_speech_prob and t.avg_logprob < -0.5:
        return LabelCheck("no_speech", f"probably no speech (no-speech probability {t.no_speech_prob:.2f})",
                          {"probability": f"{t.no_speech_prob:.2f}"})
    if t.avg_logprob < config.min_avg_logprob:
        return LabelCheck("low_confidence", f"low recognition confidence (average log-probability "
                          f"{t.avg_logprob:.2f}); listen and correct the text", {"logprob": f"{t.avg_logprob:.2f}"})
    return None


def flag_transcript(t: Transcript, lang: str, config: ASRConfig | None = None) -> str | None:
    """The English reason of :func:`check_transcript`, or None."""
    check = check_transcript(t, lang, config)
    return None if check is None else check.text
