"""Fine-tuning orchestration: features -> S2 fine-tune -> S1 fine-tune -> voice export.

``finetune(project, TrainConfig, on_event, stop, resume)`` runs the whole pipeline in-process:

1. takes the machine-wide training lock (``<workspace>/.training.lock``: one training at a time,
   others get a clear :class:`ProjectError`) and the project lock;
2. opens a run folder ``runs/<id>/`` (``config.json``, ``metrics.jsonl``, ``checkpoints/``,
   ``samples/``), or with ``resume=True`` the newest unfinished run, with *its* config;
3. brings the feature cache up to date for the base profile (the features stage is idempotent);
4. fine-tunes S2, then S1 (each resumable from its newest checkpoint), and
5. exports ``voices/<name>/`` and writes ``runs/<id>/result.json``.

CPU defaults (``TrainConfig.preset("starter")``): 3 S2 epochs and 8 S1 epochs, i.e. ~15 S2 and ~40
S1 steps for ~1 minute of speech; the measurements behind them are in :mod:`gpt_sovits.train.config`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from gpt_sovits.data.project import Project
from gpt_sovits.errors import ProjectError, StudioError
from gpt_sovits.fileio import atomic_write_json
from gpt_sovits.train.config import TrainConfig
from gpt_sovits.train.events import DoneEvent, EventCallback, EventSink, MetricsWriter
from gpt_sovits.train.loop import StageOutcome, StopSignal, configure_threads, pick_device
from gpt_sovits.train.prepare import TrainData, prepare_data

LOCK_FILE = ".training.lock"
RESULT_FILE = "result.json"


@dataclass
class TrainResult:
    """Outcome of :func:`finetune` (also the last stdout line of ``python -m gpt_sovits train``)."""

    voice_path: str
    run_id: str
    run_dir: str
    steps: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    train_losses: dict[str, float] = field(default_factory=dict)
    val_losses: dict[str, float] = field(default_factory=dict)
    cancelled: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@contextlib.contextmanager
def training_lock(workspace_root: Path, what: str) -> Iterator[None]:
    """Hold the machine-wide training lock; raise :class:`ProjectError` if a training is running."""
    fd = os.open(workspace_root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 300, 0).decode("utf-8", "replace").strip() or "another process"
        os.close(fd)
        raise ProjectError(f"a training is already running ({holder}); only one training can run at a "
                           "time on this machine - wait for it to finish or cancel it") from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{what}, pid {os.getpid()}".encode(), 0)
        yield
    finally:
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _new_run_dir(project: Project) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir, n = project.runs_dir / stamp, 2
    while run_dir.exists():
        run_dir, n = project.runs_dir / f"{stamp}-{n}", n + 1
    run_dir.mkdir(parents=True)
    return run_dir


def latest_unfinished_run(project: Project) -> Path | None:
    """The newest run folder with a config but no result (what ``resume`` continues)."""
    if not project.runs_dir.is_dir():
        return None
    runs = [p for p in project.runs_dir.iterdir()
            if (p / "config.json").is_file() and not (p / RESULT_FILE).is_file()]
    return max(runs, key=lambda p: p.name) if runs else None


def _open_run(project: Project, config: TrainConfig, resume: bool) -> tuple[Path, TrainConfig]:
    if resume:
        run_dir = latest_unfinished_run(project)
        if run_dir is None:
            raise ProjectError(f"project '{project.root.name}' has no unfinished training to resume; "
                               "start a new training instead")
        saved = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
        return run_dir, TrainConfig.from_dict(saved)
    run_dir = _new_run_dir(project)
    atomic_write_json(run_dir / "config.json", config.to_dict())
    return run_dir, config


def _as_project(project: Project | str | os.PathLike[str]) -> Project:
    return project if isinstance(project, Project) else Project(project)


def _stage_losses(outcomes: list[StageOutcome], attr: str) -> dict[str, float]:
    return {f"{o.stage}_{k}": v for o in outcomes for k, v in getattr(o, attr).items()}


def finetune(
    project: Project | str | os.PathLike[str],
    config: TrainConfig,
    on_event: EventCallback | None = None,
    stop: StopSignal | None = None,
    resume: bool = False,
    *,
    pretrained_root: str | os.PathLike[str] | None = None,
) -> TrainResult:
    """Fine-tune S2 then S1 on a project's labelled slices and export a voice.

    Args:
        project: the voice project (or its folder).
        config: the run's settings (ignored with ``resume=True``: the run's saved config is used).
        on_event: receives every :class:`~gpt_sovits.train.events.TrainEvent`.
        stop: set it (e.g. a ``threading.Event``) to cancel at the next step; a checkpoint is written.
        resume: continue the newest unfinished run of the project from its last checkpoint.
        pretrained_root: the ``pretrained/`` folder (default: the checkout's).

    Raises:
        ProjectError: another training is running, nothing to resume, or no usable slices.
        ModelMissingError: the base profile (or its encoders) is not installed.
    """
    return _run(_as_project(project), config, on_event, stop, resume, pretrained_root, ("s2", "s1"), True)


def finetune_s2(project: Project | str | os.PathLike[str], config: TrainConfig,
                on_event: EventCallback | None = None, stop: StopSignal | None = None, resume: bool = False,
                *, pretrained_root: str | os.PathLike[str] | None = None) -> TrainResult:
    """Only the S2 stage of :func:`finetune` (no export); the run stays resumable for S1."""
    return _run(_as_project(project), config, on_event, stop, resume, pretrained_root, ("s2",), False)


def finetune_s1(project: Project | str | os.PathLike[str], config: TrainConfig,
                on_event: EventCallback | None = None, stop: StopSignal | None = None, resume: bool = False,
                *, pretrained_root: str | os.PathLike[str] | None = None) -> TrainResult:
    """Only the S1 stage. With ``resume=True`` after :func:`finetune_s2` it continues that run and
    previews with its fine-tuned S2 (otherwise with the base S2); no export."""
    return _run(_as_project(project), config, on_event, stop, resume, pretrained_root, ("s1",), False)


def _run(project: Project, config: TrainConfig, on_event: EventCallback | None, stop: StopSignal | None,
         resume: bool, pretrained_root: str | os.PathLike[str] | None, stages: tuple[str, ...],
         export: bool) -> TrainResult:
    from gpt_sovits.train.stages import finished_s2_state, run_s1_stage, run_s2_stage

    with training_lock(project.root.parent, f"training '{project.root.name}'"), project.lock("training"):
        run_dir, config = _open_run(project, config, resume)
        emit = EventSink(MetricsWriter(run_dir / "metrics.jsonl"), on_event)
        configure_threads(config.num_threads)
        device = pick_device(config.device)
        root = Path(pretrained_root) if pretrained_root is not None else None
        try:
            data = prepare_data(project, config, emit, root, device)
        except StudioError:
            if not resume:  # nothing was trained: do not leave an empty run behind to "resume"
                shutil.rmtree(run_dir, ignore_errors=True)
            raise
        outcomes: list[StageOutcome] = []
        s2_state = s1_state = None
        if "s2" in stages:
            outcome, s2_state = run_s2_stage(data, config, run_dir, emit, stop, resume, device)
            outcomes.append(outcome)
        else:
            s2_state = finished_s2_state(run_dir, data.profile)
        if "s1" in stages and not any(o.cancelled for o in outcomes):
            outcome, s1_state = run_s1_stage(data, config, run_dir, emit, stop, resume, device, s2_state)
            outcomes.append(outcome)
        result = TrainResult(
            voice_path="", run_id=run_dir.name, run_dir=str(run_dir),
            steps={o.stage: o.steps for o in outcomes}, seconds=round(sum(o.seconds for o in outcomes), 2),
            train_losses=_stage_losses(outcomes, "train_losses"), val_losses=_stage_losses(outcomes, "val_losses"),
            cancelled=any(o.cancelled for o in outcomes),
        )
        if export and not result.cancelled:
            result.voice_path = str(_export(project, config, data, run_dir, outcomes, s2_state, s1_state))
            atomic_write_json(run_dir / RESULT_FILE, result.to_dict())
        emit(DoneEvent(result=result.to_dict()))
        return result


def _export(project: Project, config: TrainConfig, data: TrainData, run_dir: Path,
            outcomes: list[StageOutcome], s2_state, s1_state) -> Path:
    from gpt_sovits.train.export import VoiceWeights, export_voice
    from gpt_sovits.voice_format import VoiceManifest, free_voice_folder

    # the project's own name, as the user typed it ("我的声音", not its ASCII folder "project-1a2b...")
    name = config.voice_name or f"{project.name}-{run_dir.name}"
    folder = free_voice_folder(project.voices_dir, name)  # never replaces an earlier voice
    by_stage = {o.stage: o for o in outcomes}
    losses = {**_stage_losses(outcomes, "train_losses"),
              **{f"val_{k}": v for k, v in _stage_losses(outcomes, "val_losses").items()}}
    manifest = VoiceManifest(
        name=name, profile=data.profile.name, content_encoder=data.profile.content_encoder,
        bert=data.profile.bert, languages=list(project.meta.languages),
        data_seconds=round(sum(item.seconds for item in data.train + data.val), 2),
        steps={stage: o.steps for stage, o in by_stage.items()},
        final_losses={k: round(v, 5) for k, v in losses.items()},
        synthesis=dict(data.profile.synthesis), reference_doubt=data.reference_doubt,
    )
    weights = VoiceWeights(s1_state[0], s1_state[1], s2_state[0], s2_state[1])
    epochs = {stage: o.epochs_done for stage, o in by_stage.items()}
    started = time.monotonic()
    export_voice(folder, weights, data.reference, project.slices_dir / f"{data.reference.slice_id}.wav",
                 manifest, epochs, base_s2=Path(data.profile.s2g))
    seconds = f"{time.monotonic() - started:.1f}"
    data.emit_info(f"exported voice to {folder} in {seconds} s", code="exported", folder=str(folder), seconds=seconds)
    return folder

