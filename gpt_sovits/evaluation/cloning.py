"""The voice under evaluation: fine-tuned on the training audio with the studio's own pipeline,
or zero-shot from the reference clip.

Fine-tuning creates a project in a (temporary) workspace and runs exactly what ``python -m
gpt_sovits prepare`` and ``train`` run: import -> clean -> slice -> ASR labels (or the labels of an
official ``.list``), then features, S2 and S1 fine-tuning and the voice export
(:func:`gpt_sovits.finetune`). Timings are kept apart: ``prepare_seconds`` (data stages and
features) and ``finetune_seconds`` (training and export).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gpt_sovits.errors import ProjectError, StudioError

if TYPE_CHECKING:
    from gpt_sovits.data.stages import Transcriber
    from gpt_sovits.infer.voice import Voice
    from gpt_sovits.train.config import TrainConfig

AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aac", ".wma", ".webm", ".mp4"})
Log = Callable[[str], None]


class EvalInputError(StudioError):
    """A bad argument of the evaluation (missing file, empty texts, unknown language, busy --out)."""


@dataclass
class TrainInputs:
    """Resolved ``--train``: audio files, or an official ``.list`` with the wavs it names."""

    files: list[Path]
    list_path: Path | None = None


@dataclass
class ClonedVoice:
    """The voice to evaluate and what it cost to make it.

    Args:
        voice: the ready voice.
        description: where it came from (voice folder, or "zero-shot from <ref>").
        prepare_seconds / finetune_seconds: data preparation and training wall time (None zero-shot).
        voice_seconds: time to build the in-memory voice from weights and reference.
        notes: things the report should mention (flagged labels, reference mode, ...).
    """

    voice: Voice
    description: str
    prepare_seconds: float | None = None
    finetune_seconds: float | None = None
    voice_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def resolve_train_inputs(items: Sequence[str | os.PathLike[str]]) -> TrainInputs:
    """Audio files, one folder of audio, or one ``path|speaker|lang|text`` ``.list`` file.

    Raises:
        EvalInputError: a path is missing, a folder holds no audio, or a .list is mixed with files.
    """
    paths = [Path(p) for p in items]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise EvalInputError(f"--train: not found: {', '.join(missing)}")
    if len(paths) == 1 and paths[0].suffix.lower() == ".list":
        from gpt_sovits.data.labels import read_list

        entries, _ = read_list(paths[0])
        files = [Path(e.path) if Path(e.path).is_absolute() else paths[0].parent / e.path for e in entries]
        files = [f for f in files if f.is_file()]
        if not files:
            raise EvalInputError(f"--train: {paths[0]} lists no existing audio file; check its paths")
        return TrainInputs(files=files, list_path=paths[0])
    if any(p.suffix.lower() == ".list" for p in paths):
        raise EvalInputError("--train: give either one .list file or audio files/folders, not both")
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(f for f in path.iterdir() if f.is_file() and f.suffix.lower() in AUDIO_EXTENSIONS)
            if not found:
                raise EvalInputError(f"--train: folder {path} holds no audio file ({', '.join(sorted(AUDIO_EXTENSIONS))})")
            files.extend(found)
        else:
            files.append(path)
    return TrainInputs(files=files)


def _stage_progress(log: Log, stage: str) -> Callable[[float, str], None]:
    def report(fraction: float, message: str) -> None:
        if fraction >= 1.0:
            log(f"[{stage}] {message}")

    return report


def _prepare_project(project: Any, inputs: TrainInputs, lang: str, asr: Transcriber | None, log: Log) -> list[str]:
    """Import and label the training audio into ``project``; returns notes."""
    from gpt_sovits.audio.slicer import SlicerConfig
    from gpt_sovits.data import stages
    from gpt_sovits.data.labels import import_list

    if inputs.list_path is not None:
        count, warnings = import_list(project.root, inputs.list_path)
        log(f"[import] {count} labelled clips from {inputs.list_path}")
        return [f"{inputs.list_path.name}: {w}" for w in warnings]
    stages.import_stage(project, stages.ImportOptions(paths=[str(f) for f in inputs.files]),
                        _stage_progress(log, "import"))
    stages.clean_stage(project, stages.CleanOptions(), _stage_progress(log, "clean"))
    sliced = stages.slice_stage(project, SlicerConfig(), _stage_progress(log, "slice"))
    if sliced.too_short:
        raise EvalInputError(f"--train: {sliced.warnings[0]}")
    labels = stages.label_stage(project, stages.LabelOptions(language=lang), _stage_progress(log, "label"), asr=asr)
    return [f"{len(labels.flagged)} of {sliced.slices} training labels were flagged by the ASR check "
            "(used as they are)"] if labels.flagged else []


def _train_event_logger(log: Log) -> Callable[[Any], None]:
    def on_event(event: Any) -> None:
        data = event.to_dict()
        if data["kind"] == "info":
            log(f"[{data['stage']}] {data['message']}")
        elif data["kind"] == "val":
            log(f"[{data['stage']} validation] " + " ".join(f"{k}={v:.4g}" for k, v in data["losses"].items()))
        elif data["kind"] == "step" and data["step"] % 10 == 0:
            log(f"[{data['stage']} step {data['step']}] elapsed={data['elapsed']:.0f}s eta={data['eta']:.0f}s")

    return on_event


def recipe_note(config: TrainConfig) -> str:
    """One line naming what a fine-tune trained with: epochs, learning rates, S2's extra losses, seed."""
    s2 = [f"lr {config.s2_lr:g}", f"prior-path weight {config.s2_prior_weight:g}",
          f"Whisper weight {config.s2_whisper_weight:g}"]
    s2 += [name for name, on in (("decoder fixed", config.s2_freeze_decoder), ("decoder only", config.s2_decoder_only))
           if on]
    return (f"fine-tune recipe: S2 epochs {config.s2_epochs} ({', '.join(s2)}), "
            f"S1 epochs {config.s1_epochs} (lr {config.s1_lr:g}), seed {config.seed}")


def finetuned_voice(inputs: TrainInputs, lang: str, config: TrainConfig, workspace: Path,
                    pretrained_root: Path | None, asr: Transcriber | None, log: Log) -> ClonedVoice:
    """Prepare a project from ``inputs`` in ``workspace``, fine-tune ``config.base`` on it and load the voice."""
    import torch

    from gpt_sovits.data.project import Workspace
    from gpt_sovits.infer.voice import load_voice
    from gpt_sovits.registry import Registry
    from gpt_sovits.train.prepare import prepare_data
    from gpt_sovits.train.run import finetune

    started = time.perf_counter()
    project = Workspace(workspace).create_project("eval-clone", languages=[lang], base_profile=config.base)
    notes = _prepare_project(project, inputs, lang, asr, log)
    recipe = recipe_note(config)
    log(f"[train] {recipe}")
    notes.append(recipe)
    on_event = _train_event_logger(log)
    prepare_data(project, config, on_event, pretrained_root, torch.device("cpu"))  # features, timed here
    prepare_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = finetune(project, config, on_event=on_event, pretrained_root=pretrained_root)
    finetune_seconds = time.perf_counter() - started
    if result.cancelled or not result.voice_path:
        raise ProjectError("fine-tuning stopped before a voice was exported; run the evaluation again")
    log(f"[train] steps {result.steps}, voice {result.voice_path}")
    started = time.perf_counter()
    voice = load_voice(result.voice_path, Registry(pretrained_root))
    return ClonedVoice(voice=voice, description=result.voice_path, prepare_seconds=round(prepare_seconds, 2),
                       finetune_seconds=round(finetune_seconds, 2),
                       voice_seconds=round(time.perf_counter() - started, 2), notes=notes)


def zero_shot(base: str, ref: Path, ref_text: str | None, lang: str, pretrained_root: Path | None,
              asr: Transcriber | None, log: Log) -> ClonedVoice:
    """A zero-shot voice of ``base`` from ``ref``; without ``ref_text`` the reference is transcribed
    by ``asr`` (a clip over 10 s is used in reference-free mode instead)."""
    from gpt_sovits.audio.io import load_audio
    from gpt_sovits.infer.reference import MAX_SECONDS
    from gpt_sovits.infer.voice import zero_shot_voice
    from gpt_sovits.registry import Registry

    notes = []
    if not ref_text:
        audio = load_audio(ref, sr=16000)
        if audio.shape[0] / 16000 > MAX_SECONDS:
            notes.append(f"the reference lasts over {MAX_SECONDS:g} s and has no --ref-text: reference-free mode")
        elif asr is not None:
            ref_text = asr.transcribe(np.asarray(audio, dtype=np.float32), 16000, lang).text.strip()
            notes.append(f"reference transcript by ASR: {ref_text!r}")
            log(f"[reference] ASR: {ref_text}")
    started = time.perf_counter()
    voice = zero_shot_voice(base, ref, ref_text or None, registry=Registry(pretrained_root), ref_language=lang)
    notes.extend(voice.notes)
    return ClonedVoice(voice=voice, description=f"zero-shot {base} from {ref}",
                       voice_seconds=round(time.perf_counter() - started, 2), notes=notes)
