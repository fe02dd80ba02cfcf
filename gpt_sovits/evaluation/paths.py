"""Where a base loses the words: the same recordings heard through each part of S2 (``eval-paths``).

For each transcribed recording of one voice (3-10 s, the reference limits), Whisper-base hears:

- ``recording``: the recording itself (the ceiling of the judge on this voice);
- ``posterior``: its own spectrogram through S2's posterior encoder (``enc_q`` mean) and decoder:
  what the decoder makes of the best latents there are (skipped for an S2 file without ``enc_q``);
- ``prior``: its own semantic tokens (the base's content encoder and codebook) and the phones of its
  transcript through S2's prior path and decoder, as synthesis renders S1's tokens: S2 given perfect
  tokens.

Timbre comes from the recording itself, as a zero-shot voice's does. The eval-clone error of a voice
minus ``prior`` is what S1 costs; ``prior`` minus ``posterior`` the prior path; ``posterior`` minus
``recording`` the decoder. Rates are pooled over the recordings (total edits / total units); Chinese
also in pinyin syllables with and without the tone (:func:`gpt_sovits.evaluation.metrics.pinyin_error_count`).
With a speaker embedder (resemblyzer), each rendered path also gets its ``similarity`` to the recording
it came from (mean cosine): where the likeness goes, the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gpt_sovits.evaluation.cloning import EvalInputError
from gpt_sovits.evaluation.metrics import METRIC_BY_LANG, pooled_rates

PATHS = ("recording", "posterior", "prior")
MIN_SECONDS, MAX_SECONDS = 3.0, 10.0  # what a reference clip may be


@dataclass
class Reading:
    """One recording of the voice and its exact transcript."""

    path: Path
    text: str


@dataclass
class PathScores:
    """What Whisper heard on each path, per recording (``heard[path][i]``), and the recordings skipped."""

    lang: str
    readings: list[Reading]
    heard: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    likeness: dict[str, list[float | None]] = field(default_factory=dict)  # rendered path -> cosine per recording

    def to_dict(self) -> dict[str, Any]:
        texts = [r.text for r in self.readings]
        rates = {path: {k: round(v, 4) for k, v in pooled_rates(list(zip(texts, heard, strict=True)), self.lang).items()}
                 for path, heard in self.heard.items()}
        for path, values in self.likeness.items():
            found = [v for v in values if v is not None]
            if found:
                rates[path]["similarity"] = round(float(np.mean(found)), 4)
        items = [{"wav": str(r.path), "text": r.text, **{p: self.heard[p][i] for p in self.heard}}
                 for i, r in enumerate(self.readings)]
        return {"ok": True, "lang": self.lang, "metric": METRIC_BY_LANG[self.lang], "readings": len(self.readings),
                "paths": rates, "items": items, "notes": self.notes}


def read_readings(list_path: str | os.PathLike[str], lang: str) -> tuple[list[Reading], list[str]]:
    """The ``path|speaker|lang|text`` lines of ``list_path`` in ``lang`` whose audio exists (paths
    relative to the list's folder), and a note for each line left out.

    Raises:
        EvalInputError: the list is missing or keeps nothing.
    """
    from gpt_sovits.data.labels import read_list

    source = Path(list_path)
    if not source.is_file():
        raise EvalInputError(f"--readings: {source} not found; give a path|speaker|lang|text .list file")
    entries, notes = read_list(source)
    readings = []
    for entry in entries:
        wav = Path(entry.path) if Path(entry.path).is_absolute() else source.parent / entry.path
        if entry.lang != lang:
            notes.append(f"{entry.path}: language {entry.lang}, not {lang}; left out")
        elif not wav.is_file():
            notes.append(f"{entry.path}: no such audio file; left out")
        else:
            readings.append(Reading(wav, entry.text))
    if not readings:
        raise EvalInputError(f"--readings: {source} lists no existing {lang} recording; check its paths and languages")
    return readings, notes


def load_posterior_s2(s2_path: Path) -> Any:
    """The base's S2 with its posterior encoder, in eval mode; None when the file has no ``enc_q``."""
    from gpt_sovits.checkpoint.s2_official import load_any_s2
    from gpt_sovits.models.s2.model import SynthesizerTrn

    weights = load_any_s2(s2_path)
    if not any(k.startswith("enc_q.") for k in weights.state_dict):
        return None
    gen = SynthesizerTrn(weights.config, with_posterior=True)
    gen.load_state_dict(weights.state_dict, strict=True)
    return gen.float().eval()


def posterior_audio(gen: Any, spec: Any, seed: int) -> np.ndarray:
    """``spec`` ``[1, f, t]`` → ``enc_q`` mean → decoder: float32 audio ``[s]``."""
    import torch

    spec = spec.float()
    with torch.inference_mode():
        ge = gen.ref_timbre(spec)
        _, m_q, _, mask = gen.enc_q(spec, torch.tensor([spec.shape[-1]]), g=ge)
        audio = gen.dec(m_q * mask, g=ge, generator=torch.Generator().manual_seed(seed))
    return audio[0, 0].float().numpy()


def score_paths(base: str, readings: list[Reading], lang: str, *, pretrained_root: str | os.PathLike[str] | None = None,
                asr: Any = None, embedder: Any = None, seed: int = 1234, log: Any = None) -> PathScores:
    """Hear every reading on each of :data:`PATHS` (see the module docstring) through ``base``.

    Args:
        base: a base profile name of the ``pretrained_root`` registry ("starter", ...).
        readings: recordings of one voice with their transcripts (3-10 s each; others are left out).
        lang: "en" or "zh", the language of the transcripts.
        asr: a transcriber (default Whisper-base of ``pretrained_root``).
        embedder: a speaker embedder for each rendered path's similarity to its recording (None: none).
        seed: the prior path's noise (and the envelope decoder's).
        log: called with one line per reading (None = silent).
    """
    from gpt_sovits.audio.io import load_audio
    from gpt_sovits.infer.cache import InferenceCaches
    from gpt_sovits.infer.options import options_for
    from gpt_sovits.infer.pipeline import render_tokens
    from gpt_sovits.infer.reference import SAMPLE_RATE
    from gpt_sovits.infer.voice import zero_shot_voice
    from gpt_sovits.registry import Registry

    registry = Registry(pretrained_root)
    profile = registry.profile(base)
    if asr is None:
        from gpt_sovits.asr import WhisperASR

        asr = WhisperASR(pretrained_root=registry.root)
    gen = load_posterior_s2(Path(profile.s2g))
    scores = PathScores(lang, [], {p: [] for p in PATHS if p != "posterior" or gen is not None})
    if gen is None:
        scores.notes.append(f"{Path(profile.s2g).name} has no posterior encoder (enc_q): the posterior path is left out")
    caches = InferenceCaches()
    for reading in readings:
        audio = load_audio(reading.path, sr=SAMPLE_RATE)  # [n] float32, as a reference
        seconds = audio.size / SAMPLE_RATE
        if not MIN_SECONDS <= seconds <= MAX_SECONDS:
            scores.notes.append(f"{reading.path.name}: {seconds:.1f} s, outside {MIN_SECONDS:g}-{MAX_SECONDS:g} s; left out")
            continue
        voice = zero_shot_voice(profile, audio, reading.text, registry=registry, ref_language=lang, caches=caches)
        rendered = {"recording": audio,
                    "prior": render_tokens(voice, voice.prompt, list(voice.prompt_ids),
                                           options_for(voice.recommended, language=lang, seed=seed), seed,
                                           _alignment(voice))}
        if gen is not None:
            rendered["posterior"] = posterior_audio(gen, voice.ref_specs[0], seed)
        scores.readings.append(reading)
        for path in scores.heard:
            scores.heard[path].append(asr.transcribe(rendered[path], SAMPLE_RATE, lang).text.strip())
        if embedder is not None:
            _add_likeness(scores, embedder, rendered)
        if log is not None:
            log(f"[{len(scores.readings):02d}] {reading.text}\n" + "".join(
                f"     {path}: {scores.heard[path][-1]}{_likeness_note(scores, path)}\n" for path in scores.heard).rstrip())
    if not scores.readings:
        raise EvalInputError(f"no reading lasts {MIN_SECONDS:g}-{MAX_SECONDS:g} s (the reference limits); "
                             "cut longer recordings into sentences first")
    return scores


def _alignment(voice: Any) -> Any:
    """The reference's token -> phone alignment as a tensor, None without one (for the text melody)."""
    import torch

    return None if voice.prompt_alignment is None else torch.tensor(voice.prompt_alignment, dtype=torch.long)


def _add_likeness(scores: PathScores, embedder: Any, rendered: dict[str, np.ndarray]) -> None:
    """Each rendered path's speaker similarity to the recording it was made from."""
    from gpt_sovits.evaluation.speaker import cosine
    from gpt_sovits.infer.reference import SAMPLE_RATE

    original = embedder.embed(rendered["recording"], SAMPLE_RATE)
    for path in scores.heard:
        if path != "recording":
            scores.likeness.setdefault(path, []).append(cosine(embedder.embed(rendered[path], SAMPLE_RATE), original))


def _likeness_note(scores: PathScores, path: str) -> str:
    value = scores.likeness.get(path, [None])[-1]
    return "" if value is None else f"  (similarity {value:.3f})"
