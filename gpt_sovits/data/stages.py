"""Data-preparation stages: import -> clean -> slice -> label.

Every stage has the shape ``stage(project, options, progress=None) -> result dataclass``, runs
under the project lock, is idempotent (work whose inputs and options are unchanged is skipped,
keyed by content hash + options) and reports progress as ``progress(fraction, message)``.
Feature extraction (HuBERT / Whisper features, semantic tokens) is a later stage that reads
``labels.list`` and ``slices/`` and writes ``features/<key>/``.

Limits (decided here, documented in the messages): uploads longer than 30 min are refused
(1-3 min of speech is enough), uploads over 10 min are accepted with a warning; clips shorter
than 0.6 s are refused; less than 10 s of sliced speech is too little to train on.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import soundfile as sf

from gpt_sovits.audio.io import decode_audio, probe_audio, read_wav, write_wav
from gpt_sovits.audio.loudness import (
    clipped_fraction,
    integrated_loudness,
    level_spread_db,
    normalize_loudness,
)
from gpt_sovits.audio.slicer import SlicerConfig, slice_audio
from gpt_sovits.config import StrictConfig
from gpt_sovits.data import labels as lab
from gpt_sovits.data.project import Project
from gpt_sovits.errors import AudioFormatError

if TYPE_CHECKING:
    from gpt_sovits.asr import Transcript

Progress = Callable[[float, str], None] | None
SR = 32000
MAX_UPLOAD_SECONDS = 30 * 60
LONG_UPLOAD_SECONDS = 10 * 60
MIN_CLIP_SECONDS = 0.6
MIN_SPEECH_SECONDS = 10.0
RECOMMENDED = "1-3 minutes of clear speech is recommended"
SILENCE_LUFS = -60.0
MIN_LEVEL_SPREAD_DB = 6.0
CLIPPING_WARN_FRACTION = 0.001


def _report(progress: Progress, fraction: float, message: str) -> None:
    if progress is not None:
        progress(min(max(fraction, 0.0), 1.0), message)


def _key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


# --- import ---------------------------------------------------------------------------------------


@dataclass
class ImportOptions(StrictConfig):
    """Files to import; ``names`` optionally gives the user-facing original names (uploads)."""

    paths: list[str] = field(default_factory=list)
    names: list[str] | None = None
    max_seconds: float = MAX_UPLOAD_SECONDS

    def __post_init__(self) -> None:
        if self.names is not None and len(self.names) != len(self.paths):
            raise ValueError("ImportOptions.names must have one entry per path")


@dataclass
class ImportStageResult:
    imported: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def import_stage(project: Project, options: ImportOptions, progress: Progress = None) -> ImportStageResult:
    """Check each file is decodable audio of acceptable length, then copy it into raw/.

    Raises:
        AudioFormatError: every file was rejected and the project has no raw audio yet.
    """
    result = ImportStageResult()
    names = options.names or [Path(p).name for p in options.paths]
    with project.lock("importing"):
        for i, (path, name) in enumerate(zip(options.paths, names, strict=True)):
            _report(progress, i / max(len(names), 1), f"checking {name}")
            try:
                info = probe_audio(path)
            except AudioFormatError as exc:
                result.rejected[name] = str(exc).replace(Path(path).name, name)
                continue
            if info.duration is not None and info.duration > options.max_seconds:
                result.rejected[name] = (f"{name}: {info.duration / 60:.1f} min is over the "
                                         f"{options.max_seconds / 60:.0f} min limit; {RECOMMENDED}, "
                                         "trim the recording or split it")
                continue
            if info.duration is not None and info.duration > LONG_UPLOAD_SECONDS:
                result.warnings.append(f"{name}: {info.duration / 60:.1f} min is long; {RECOMMENDED} "
                                       "and processing will take a while")
            done = project.import_file(path, original_name=name)
            (result.duplicates if done.duplicate else result.imported).append(done.name)
        if result.rejected and not project.raw_files():
            raise AudioFormatError("; ".join(result.rejected.values()))
    _report(progress, 1.0, "import done")
    return result


# --- clean ----------------------------------------------------------------------------------------


@dataclass
class CleanOptions(StrictConfig):
    """Loudness target, peak ceiling and optional denoise strength (0 = off, 1 = strongest)."""

    target_lufs: float = -20.0
    peak_dbfs: float = -1.0
    denoise: float = 0.0
    max_seconds: float = MAX_UPLOAD_SECONDS

    def __post_init__(self) -> None:
        if not 0.0 <= self.denoise <= 1.0:
            raise ValueError(f"denoise must be within 0..1, got {self.denoise}")


@dataclass
class CleanStageResult:
    cleaned: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _clean_one(path: Path, options: CleanOptions, label: str) -> tuple[np.ndarray, list[str]]:
    """Decode, check and normalise one raw file -> (clean audio [t], warnings)."""
    decoded = decode_audio(path, sr=SR, max_seconds=options.max_seconds)
    audio, warnings = decoded.samples, list(decoded.warnings)
    if decoded.duration < MIN_CLIP_SECONDS:
        raise AudioFormatError(f"{label}: only {decoded.duration:.2f} s long, too short to use "
                               f"(minimum {MIN_CLIP_SECONDS} s); {RECOMMENDED}")
    if integrated_loudness(audio, SR) < SILENCE_LUFS:
        raise AudioFormatError(f"{label}: the recording is silent (nothing above {SILENCE_LUFS:.0f} LUFS); "
                               "check the microphone and record again")
    spread = level_spread_db(audio, SR)
    if spread < MIN_LEVEL_SPREAD_DB:
        raise AudioFormatError(f"{label}: no speech found, the level hardly changes ({spread:.1f} dB "
                               "spread); this looks like steady noise or a tone, upload a voice recording")
    clipped = clipped_fraction(audio)
    if clipped > CLIPPING_WARN_FRACTION:
        warnings.append(f"{label}: {clipped:.2%} of samples are clipped (distorted); "
                        "record again with the input level lower for best quality")
    if options.denoise > 0:
        from gpt_sovits.audio.denoise import denoise

        audio = denoise(audio, SR, options.denoise)
    cleaned, _ = normalize_loudness(audio, SR, options.target_lufs, options.peak_dbfs)
    return cleaned, warnings


def clean_stage(project: Project, options: CleanOptions, progress: Progress = None) -> CleanStageResult:
    """One ``clean/<stem>.wav`` (32 kHz mono float) per raw file; unusable files are rejected.

    Raises:
        AudioFormatError: no raw file could be cleaned.
    """
    result = CleanStageResult()
    with project.lock("cleaning"):
        state = project.state("clean")
        raw = project.meta.raw
        for i, name in enumerate(raw):
            label = raw[name].get("original_name", name)
            _report(progress, i / max(len(raw), 1), f"cleaning {label}")
            key = _key(raw[name]["sha256"], options.to_dict())
            out = project.clean_dir / f"{Path(name).stem}.wav"
            done = state.get(name, {})
            if done.get("key") == key and (done.get("status") == "rejected" or out.is_file()):
                if done["status"] == "ok":
                    result.skipped.append(name)
                    result.seconds += done["seconds"]
                else:
                    result.rejected[label] = done["reason"]
                continue
            try:
                audio, warnings = _clean_one(project.raw_dir / name, options, label)
            except AudioFormatError as exc:
                out.unlink(missing_ok=True)
                state[name] = {"key": key, "status": "rejected", "reason": str(exc)}
                result.rejected[label] = str(exc)
                continue
            write_wav(out, audio, SR, subtype="FLOAT")
            seconds = audio.shape[0] / SR
            state[name] = {"key": key, "status": "ok", "output": f"clean/{out.name}", "seconds": seconds,
                           "warnings": warnings}
            result.cleaned.append(name)
            result.warnings.extend(warnings)
            result.seconds += seconds
        project.set_state("clean", state)
        if not any(s.get("status") == "ok" for s in state.values()):
            raise AudioFormatError("no usable recording: " + "; ".join(result.rejected.values())
                                   if result.rejected else "no recording imported yet; upload a file first")
    _report(progress, 1.0, "cleaning done")
    return result


# --- slice ----------------------------------------------------------------------------------------


@dataclass
class SliceStageResult:
    new: list[str] = field(default_factory=list)
    skipped_sources: list[str] = field(default_factory=list)
    slices: int = 0
    seconds: float = 0.0
    too_short: bool = False
    warnings: list[str] = field(default_factory=list)


def _retire_source(project: Project, source: str) -> None:
    """Move every slice of ``source`` to trash and drop its labels (its audio changed)."""
    entries = lab.load_labels(project.root)
    kept = [e for e in entries if (lab.parse_slice_name(e.name) or ("",))[0] != source]
    batch = uuid.uuid4().hex[:8]
    for path in project.slices_dir.glob("*.wav"):
        parsed = lab.parse_slice_name(path.name)
        if parsed and parsed[0] == source:
            os.replace(path, project.trash_dir / f"reslice-{batch}_{path.name}")
    lab.save_labels(project.root, kept)
    lab.clear_history(project)


def speech_seconds(project: Project) -> tuple[int, float]:
    """(number of slices, total seconds) currently in slices/."""
    files = sorted(project.slices_dir.glob("*.wav"))
    return len(files), float(sum(sf.info(str(p)).duration for p in files))


def slice_stage(project: Project, options: SlicerConfig, progress: Progress = None) -> SliceStageResult:
    """Slice every clean file into ``slices/<source>_<start>_<end>.wav`` (16-bit, 32 kHz)."""
    result = SliceStageResult()
    with project.lock("slicing"):
        clean_state = project.state("clean")
        state = project.state("slice")
        sources = {Path(v["output"]).stem: v["key"] for v in clean_state.values() if v.get("status") == "ok"}
        for i, (source, clean_key) in enumerate(sorted(sources.items())):
            _report(progress, i / max(len(sources), 1), f"slicing {source}")
            key = _key(clean_key, options.to_dict())
            if state.get(source, {}).get("key") == key:
                result.skipped_sources.append(source)
                continue
            if source in state:
                _retire_source(project, source)
            audio, sr = read_wav(project.clean_dir / f"{source}.wav")
            names = []
            for piece in slice_audio(audio, sr, options):
                write_wav(project.slices_dir / piece.file_name(source), piece.audio, sr)
                names.append(piece.file_name(source))
            state[source] = {"key": key, "slices": names}
            result.new.extend(names)
        project.set_state("slice", state)
        result.slices, result.seconds = speech_seconds(project)
    result.too_short = result.seconds < MIN_SPEECH_SECONDS
    if result.too_short:
        result.warnings.append(f"only {result.seconds:.1f} s of speech was found: too short to train on "
                               f"(at least {MIN_SPEECH_SECONDS:.0f} s needed); {RECOMMENDED}")
    elif result.seconds < 60:
        result.warnings.append(f"{result.seconds:.0f} s of speech; training works, but {RECOMMENDED}")
    _report(progress, 1.0, f"{result.slices} slices, {result.seconds:.1f} s of speech")
    return result


# --- label ----------------------------------------------------------------------------------------


class Transcriber(Protocol):
    """Anything that turns mono audio [t] into a Transcript (e.g. :class:`gpt_sovits.asr.WhisperASR`)."""

    def transcribe(self, audio: np.ndarray, sr: int, language: str = "auto") -> Transcript: ...


# Languages a voice can be trained in; auto-detection landing elsewhere is read again in the project's language.
TRAINABLE_LANGUAGES = ("zh", "en")


@dataclass
class LabelOptions(StrictConfig):
    """``language``: "zh", "en" or "auto"; ``asr``: False writes empty labels for manual typing."""

    language: str = "auto"
    asr: bool = True

    def __post_init__(self) -> None:
        if self.language not in (*TRAINABLE_LANGUAGES, "auto"):
            raise ValueError(f"language must be zh, en or auto, got {self.language!r}")


@dataclass
class LabelStageResult:
    labelled: int = 0
    transcribed: list[str] = field(default_factory=list)
    flagged: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def label_stage(project: Project, options: LabelOptions, progress: Progress = None,
                asr: Transcriber | None = None) -> LabelStageResult:
    """Give every slice a label line; with ASR, transcribe slices that have no (or empty) text.

    ``asr`` may be injected (tests, a shared UI instance); by default a WhisperASR is created.
    """
    from gpt_sovits.asr import ASRConfig, WhisperASR, check_transcript

    result = LabelStageResult()
    with project.lock("labelling"):
        meta = project.meta
        fallback = meta.languages[0] if meta.languages else "zh"
        entries = {e.name: e for e in lab.load_labels(project.root)}
        state = project.state("label")
        todo = [p.name for p in sorted(project.slices_dir.glob("*.wav"))
                if p.name not in entries or (options.asr and not entries[p.name].text)]
        if todo and options.asr and asr is None:
            asr = WhisperASR(config=ASRConfig.for_labels())
        for i, name in enumerate(todo):
            _report(progress, i / len(todo), f"labelling {name}")
            lang = options.language if options.language != "auto" else fallback
            text, info = "", {}
            if options.asr and asr is not None:
                audio, sr = read_wav(project.slices_dir / name)
                t = asr.transcribe(audio, sr, options.language)
                if options.language == "auto" and lab.normalize_lang(t.language) not in TRAINABLE_LANGUAGES:
                    t = asr.transcribe(audio, sr, fallback)  # e.g. Chinese heard as Korean: read it in the project's language
                if options.language == "auto":
                    lang = lab.normalize_lang(t.language) or fallback
                check = check_transcript(t, t.language if options.language == "auto" else lang)
                text = t.text
                info = {"avg_logprob": t.avg_logprob, "no_speech_prob": t.no_speech_prob,
                        "flag": check.text if check else None, "text": text}
                if check is not None:  # the studio words it in its own language
                    info |= {"flag_code": check.code, "flag_values": check.values}
                result.transcribed.append(name)
            entries[name] = lab.LabelEntry(f"slices/{name}", meta.folder, lang, text)
            state[name] = info
            lab.save_labels(project.root, list(entries.values()))
            project.set_state("label", state)
    current = lab.load_labels(project.root)
    result.labelled = sum(1 for e in current if e.text)
    checks = {e.name: lab.label_check(e, state.get(e.name, {})) for e in current}
    result.flagged = {name: check.text for name, check in checks.items() if check is not None}
    _report(progress, 1.0, f"{result.labelled} slices labelled, {len(result.flagged)} to check")
    return result


