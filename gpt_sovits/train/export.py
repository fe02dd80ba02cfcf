"""Voice export: ``voices/<name>/`` in the layout of :mod:`gpt_sovits.voice_format`.

Writes our weights (``s1.safetensors``, ``s2g.safetensors`` without the posterior encoder),
``reference.wav`` (an automatically chosen slice, see :func:`choose_reference`), copies in the
original tool's formats under ``official/`` (``<name>.ckpt`` for S1, ``<name>.pth`` for S2; for
non-v2 network shapes these are our config inside the official container) and ``voice.json``
last, so a folder with a manifest is always complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import torch

from gpt_sovits.checkpoint.s1 import save_s1
from gpt_sovits.checkpoint.s1_official import export_official_s1
from gpt_sovits.checkpoint.s2_official import export_official_s2, save_s2
from gpt_sovits.fileio import atomic_open
from gpt_sovits.models.s1.config import S1Config
from gpt_sovits.models.s2.config import S2Config
from gpt_sovits.train.dataset import SAMPLE_RATE, TrainItem
from gpt_sovits.voice_format import (
    MELODY_FILE,
    READOUT_FILE,
    REFERENCE_WAV,
    S1_FILE,
    S2G_FILE,
    VoiceManifest,
    voice_folder_name,
    write_manifest,
)

REF_MIN_S, REF_MAX_S, REF_IDEAL_S = 3.0, 10.0, 6.0
# Whisper's average log-probability of a transcript that is usually right; the labelling stage
# flags below -0.5 (gpt_sovits.asr.ASRConfig.min_avg_logprob), the grey zone between is still
# often wrong for a prompt text.
TRUSTED_LOGPROB = -0.3
CLIP_PEAK = 0.99


@dataclass
class ReferenceChoice:
    """The chosen reference slice and why; ``doubt``: "" for a clean clip with a trusted text, else one
    of ``gpt_sovits.voice_format.REFERENCE_DOUBTS`` ("unsure" when its text was recognised with little
    confidence, "no_clean" when no clean 3-10 s clip exists); the exported voice keeps it."""

    item: TrainItem
    reason: str
    doubt: str = ""


def choose_reference(items: list[TrainItem], flagged: set[str] | None = None,
                     confidence: dict[str, float] | None = None) -> ReferenceChoice:
    """Pick the reference clip: 3-10 s, labelled, not flagged for checking, not clipped. Its
    transcript becomes synthesis's prompt text, so a trusted one wins: typed or corrected by the
    user, or recognised with an average log-probability of at least :data:`TRUSTED_LOGPROB`
    (``confidence``: slice id -> that log-probability, 0.0 for a text the user gave; a slice not in
    it counts as trusted). Among trusted clips the one closest to 6 s wins; without any, the most
    confidently recognised. Falls back to the labelled clip closest to that window (the reason
    says so)."""
    flagged, confidence = flagged or set(), confidence or {}

    def clean(item: TrainItem) -> bool:
        peak = float(item.wav.abs().max()) if item.wav.numel() else 0.0
        return bool(item.text.strip()) and item.slice_id not in flagged and 0.0 < peak < CLIP_PEAK

    if not items:
        raise ValueError("no slices to choose a reference from")
    good = [i for i in items if REF_MIN_S <= i.seconds <= REF_MAX_S and clean(i)]
    trusted = [i for i in good if confidence.get(i.slice_id, 0.0) >= TRUSTED_LOGPROB]
    if trusted:
        best = min(trusted, key=lambda i: (abs(i.seconds - REF_IDEAL_S), i.slice_id))
        return ReferenceChoice(best, f"{best.slice_id}: {best.seconds:.1f} s, clean and labelled")
    if good:
        best = min(good, key=lambda i: (-confidence[i.slice_id], abs(i.seconds - REF_IDEAL_S), i.slice_id))
        return ReferenceChoice(best, f"{best.slice_id}: {best.seconds:.1f} s, clean; its transcript was recognised "
                                     "with little confidence: check its text for a better reference", "unsure")
    ranked = sorted(items, key=lambda i: (not clean(i), _distance_to_window(i.seconds), i.slice_id))
    best = ranked[0]
    return ReferenceChoice(best, f"{best.slice_id}: {best.seconds:.1f} s (no clean 3-10 s slice was "
                                 "found; record a longer sentence for a better reference)", "no_clean")


def _distance_to_window(seconds: float) -> float:
    return max(REF_MIN_S - seconds, seconds - REF_MAX_S, 0.0)


def write_reference(path: Path, slice_wav: Path | None, fallback: torch.Tensor) -> None:
    """Copy the slice's audio as 32 kHz mono 16-bit (``fallback`` [n] if the wav is gone)."""
    audio = None
    if slice_wav is not None and slice_wav.is_file():
        data, rate = sf.read(str(slice_wav), dtype="float32", always_2d=True)
        if rate == SAMPLE_RATE:
            audio = data.mean(axis=1)
    if audio is None:
        audio = fallback.float().numpy()
    with atomic_open(path, "wb") as handle:
        sf.write(handle, np.clip(audio, -1.0, 1.0), SAMPLE_RATE, subtype="PCM_16", format="WAV")


@dataclass
class VoiceWeights:
    """Final weights of a run."""

    s1_config: S1Config
    s1_state: dict[str, torch.Tensor]
    s2_config: S2Config
    s2_state: dict[str, torch.Tensor]


def export_voice(folder: Path, weights: VoiceWeights, reference: TrainItem, reference_wav: Path | None,
                 manifest: VoiceManifest, epochs: dict[str, int], base_s2: Path | None = None) -> Path:
    """Write a complete voice folder; ``voice.json`` (``manifest``) is written last. ``base_s2``: the
    base's S2 weights, beside which its token readout and text melody model are copied when they
    exist (fine-tuning keeps the base's codebook and phones)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in (READOUT_FILE, MELODY_FILE):
        source = None if base_s2 is None else Path(base_s2).parent / name
        if source is not None and source.is_file():
            with atomic_open(folder / name, "wb") as handle:
                handle.write(source.read_bytes())
    s2_state = {k: v for k, v in weights.s2_state.items() if not k.startswith("enc_q.")}
    save_s1(folder / S1_FILE, (weights.s1_config, weights.s1_state))
    save_s2(folder / S2G_FILE, "s2g", weights.s2_config, s2_state)
    write_reference(folder / REFERENCE_WAV, reference_wav, reference.wav)
    official = folder / "official"
    official.mkdir(exist_ok=True)
    stem = voice_folder_name(manifest.name)
    extra: dict[str, Any] = {"train": {"epochs": epochs.get("s1", 0)}}
    manifest.official = {}
    if not weights.s1_config.phone_pointer:  # an S1 with a phone pointer has no official form
        export_official_s1(official / f"{stem}.ckpt", weights.s1_config, weights.s1_state, extra,
                           epochs.get("s1", 0))
        manifest.official["s1"] = f"official/{stem}.ckpt"
    if weights.s2_config.has_official_form:  # nor has a decoder with a harmonic source or an envelope decoder
        export_official_s2(official / f"{stem}.pth", weights.s2_config, s2_state, epochs.get("s2", 0),
                           manifest.steps.get("s2", 0))
        manifest.official["s2g"] = f"official/{stem}.pth"
    manifest.reference_text = reference.text
    manifest.reference_language = reference.language
    write_manifest(folder, manifest)
    return folder
