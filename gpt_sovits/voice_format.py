"""On-disk format of an exported voice: ``voices/<name>/``.

```
voice.json        VoiceManifest (below)
s1.safetensors    our S1 weights (kind "s1")
s2g.safetensors   our S2 generator weights (kind "s2g", without the posterior encoder)
reference.wav     3-10 s reference clip (32 kHz mono 16-bit) with its transcript in voice.json
reference.txt     the same transcript, for people
token-readout.safetensors   the base's token readout, when the base ships one (optional;
                  synthesis then keeps the S1 take that spells the text best)
melody.safetensors          the base's text melody model, when the base ships one (optional;
                  synthesis then takes the melody's shape from the text's tones)
official/<name>.ckpt, official/<name>.pth   copies in the original GPT-SoVITS formats (optional)
```

Training writes voices with :func:`write_manifest`; synthesis reads them with :func:`read_voice_dir`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gpt_sovits.errors import CheckpointError
from gpt_sovits.fileio import atomic_write_json, atomic_write_text
from gpt_sovits.infer.options import recommended_settings
from gpt_sovits.naming import ascii_slug

FORMAT_VERSION = 1
S1_FILE = "s1.safetensors"
S2G_FILE = "s2g.safetensors"
REFERENCE_WAV = "reference.wav"
REFERENCE_TXT = "reference.txt"
READOUT_FILE = "token-readout.safetensors"
MELODY_FILE = "melody.safetensors"
MANIFEST = "voice.json"


REFERENCE_DOUBTS = ("unsure", "no_clean")  # what can be doubtful about a reference clip (VoiceManifest.reference_doubt)


@dataclass
class VoiceManifest:
    """What a voice is made of and how it was trained.

    Args:
        name: display name of the voice.
        profile: base profile it was fine-tuned from ("starter", "gsv-v2", ...).
        content_encoder: "hubert" (768-d) or "whisper-base" (512-d): needed for reference features.
        bert: "roberta" if the S1 model expects Chinese BERT features, else None (zeros).
        languages: languages of the training data ("zh", "en").
        reference_text: transcript of reference.wav ("" means reference-free mode).
        reference_language: language of the reference transcript.
        reference_doubt: "" when reference.wav is a clean clip with a trusted transcript, else one of
            :data:`REFERENCE_DOUBTS`: "unsure" (its transcript was recognised with little confidence)
            or "no_clean" (no clean 3-10 s clip existed); ``gpt_sovits.train.export.ReferenceChoice``.
        data_seconds: seconds of speech used for training.
        steps: {"s1": n, "s2": n} optimisation steps.
        final_losses: last train/validation losses by name.
        created: ISO date.
        official: relative paths of official-format copies, if exported.
        synthesis: decoding settings the voice reads best with (its base's recommendation,
            ``gpt_sovits.infer.options.TUNABLE``); the studio's sliders start from them.
    """

    name: str
    profile: str
    content_encoder: str
    bert: str | None = None
    languages: list[str] = field(default_factory=lambda: ["zh", "en"])
    reference_text: str = ""
    reference_language: str = "auto"
    reference_doubt: str = ""
    data_seconds: float = 0.0
    steps: dict[str, int] = field(default_factory=dict)
    final_losses: dict[str, float] = field(default_factory=dict)
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    official: dict[str, str] = field(default_factory=dict)
    synthesis: dict[str, Any] = field(default_factory=dict)
    format: int = FORMAT_VERSION

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VoiceManifest:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def write_manifest(folder: Path, manifest: VoiceManifest) -> None:
    """Write voice.json and reference.txt atomically (weights and reference.wav are written first)."""
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / REFERENCE_TXT, manifest.reference_text + "\n")
    atomic_write_json(folder / MANIFEST, asdict(manifest))


def read_voice_dir(folder: str | Path) -> VoiceManifest:
    """Validate a voice folder and return its manifest; CheckpointError says what is missing."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise CheckpointError(f"{folder}: not a voice folder (no {MANIFEST}). Train or import a voice first.")
    try:
        manifest = VoiceManifest.from_dict(json.loads(path.read_text(encoding="utf-8")))
        manifest.synthesis = recommended_settings(manifest.synthesis, MANIFEST)
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"{path}: unreadable voice description ({exc})") from exc
    if manifest.format > FORMAT_VERSION:
        raise CheckpointError(f"{folder.name}: made by a newer studio version; please update")
    missing = [n for n in (S1_FILE, S2G_FILE, REFERENCE_WAV) if not (folder / n).is_file()]
    if missing:
        raise CheckpointError(f"{folder.name}: voice is incomplete, missing {', '.join(missing)}")
    return manifest


def voice_folder_name(display_name: str) -> str:
    """A safe folder name for a display name: ASCII letters, digits, ``.``, ``_`` and ``-``.

    Chinese is spelt in pinyin; names with any non-ASCII character get a short hash of the full
    name appended, so different names never share a folder: ``"小明 voice"`` ->
    ``"xiao-ming-voice-1a2b3c"``.
    """
    name = display_name.strip()
    if not name:
        raise ValueError("the voice name is empty; type a name such as my-voice")
    slug = ascii_slug(name, keep="._-").strip("-.")[:64]
    if not name.isascii() or not slug:
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]
        slug = f"{slug or 'voice'}-{digest}"
    return slug


def free_voice_folder(voices_dir: Path, display_name: str) -> Path:
    """``voices_dir/<folder>`` for a new voice, never an existing one (``name-2``, ``name-3``, ...)."""
    base = voice_folder_name(display_name)
    taken = {p.name.casefold() for p in voices_dir.iterdir()} if voices_dir.is_dir() else set()
    candidate, n = base, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{base}-{n}"
    return voices_dir / candidate


def decoder_controls_pitch(s2_weights: Path) -> bool:
    """Whether the S2 weights file has a decoder that predicts the melody (the envelope decoder), so
    synthesis can shift pitch and widen intonation; read from the file's header only."""
    from gpt_sovits.checkpoint.ours import stored_config

    config = stored_config(s2_weights)
    return bool(config) and config.get("decoder") == "envelope"
