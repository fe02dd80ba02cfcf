"""``pretrain(corpus, out, ...)``: the resumable from-scratch pretraining of the starter base.

Layout of ``OUT``::

    run/config.json          the PretrainConfig (``--resume`` reuses it)
    run/metrics.jsonl        every event (steps, losses, validation, checkpoints, info);
                             metrics-s2.jsonl / metrics-s1.jsonl for single-stage processes
    run/checkpoints/         s2-*.pt / s1-*.pt (gpt_sovits.train checkpoints: exact resume)
    run/progress-s2.json     steps, done flag, seconds spent and last export of each stage
    run/progress-s1.json
    run/best-s1.*            S1 that reads best so far (or: lowest validation CE; exported instead of the newest)
    init/s2_init.safetensors the S2 at step 0: random weights + codebook (frozen after), or an
                             exported profile's S2 (``init_from``; init/s1_init too; new codebook
                             if ``rebuild_codebook``)
    pretrained/starter/      the candidate profile exported after every round
    pretrained/envelope-decoder.safetensors
                             with an envelope decoder: that decoder alone (fp16, small enough to
                             commit), from which ``decoder_from`` starts the run again elsewhere

Stages run in interleaved rounds of ``round_minutes`` (S2, then S1, then S2, ...) until both
reach their step targets or ``hours_budget`` (wall-clock hours of this invocation) runs out.
The S1 targets depend only on the frozen codebook, not on S2's progress, so the two
stages can also run as two processes at once (``stages=("s2",)`` and ``stages=("s1",)``, one
thread each: the best use of a 2-core machine).
Each round resumes its stage from the newest checkpoint, so an interrupted run loses at most
``save_every_steps`` steps, and a resumed run sees exactly the batches it would have seen.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gpt_sovits.config import ConfigError
from gpt_sovits.data.labels import load_labels
from gpt_sovits.data.project import Project
from gpt_sovits.errors import ProjectError
from gpt_sovits.fileio import atomic_write_json
from gpt_sovits.pretrain.best_s1 import (
    BEST_S1_FILE,
    best_s1,
    reading_texts,
)
from gpt_sovits.pretrain.config import PretrainConfig
from gpt_sovits.pretrain.data import VAL_FILE, run_split
from gpt_sovits.pretrain.mel_phones import RECOGNIZER_FILE
from gpt_sovits.pretrain.reading import READOUT_FILE
from gpt_sovits.pretrain.start import DECODER_FILE, init_from_profile, prepare_features, save_decoder
from gpt_sovits.pretrain.trainers import (
    INIT_FILE,
    init_generator,
    init_s1,
    latest_checkpoint,
    s1_trainer,
    s2_trainer,
    train_config,
)
from gpt_sovits.train.events import EventCallback, EventSink, InfoEvent, MetricsWriter
from gpt_sovits.train.loop import StopSignal, configure_threads, run_stage

STAGES = ("s2", "s1")


@dataclass
class PretrainResult:
    """Outcome of one :func:`pretrain` invocation (the CLI's last stdout line)."""

    out: str
    steps: dict[str, int] = field(default_factory=dict)
    done: dict[str, bool] = field(default_factory=dict)
    seconds: float = 0.0
    utterances: int = 0
    codebook: dict = field(default_factory=dict)
    export: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


class Deadline:
    """A stop signal that fires at a monotonic time or when ``outer`` is set."""

    def __init__(self, at: float, outer: StopSignal | None = None) -> None:
        self.at, self.outer = at, outer

    def is_set(self) -> bool:
        return time.monotonic() >= self.at or (self.outer is not None and self.outer.is_set())


@contextmanager
def corpus_lock(project: Project, emit: EventCallback, stop: StopSignal, poll_seconds: float = 10.0) -> Iterator[None]:
    """The corpus project's lock for the feature check, waiting while another process holds it
    (the other stage's process checking the same corpus, usually for minutes) instead of failing;
    says once that it waits. Raises the busy ``ProjectError`` if ``stop`` fires while waiting."""
    from contextlib import ExitStack

    told = False
    with ExitStack() as held:
        while True:
            try:
                held.enter_context(project.lock("pretraining"))
                break
            except ProjectError as exc:
                if stop.is_set():
                    raise
                if not told:
                    emit(InfoEvent(stage="features", message=f"{exc}; waiting for it (Ctrl-C stops)"))
                    told = True
                time.sleep(poll_seconds)
        yield


# Settings a resumed run may change from its next step on (annealing S1, a longer round on a quiet
# machine, the prior path meeting the discriminator once it has learnt the posterior's slices);
# everything else would make the resumed run a different run.
RESUME_CHANGES = ("s1_lr", "s2_lr", "s2_unfrozen_lr", "round_minutes", "s2_prior_adversarial")


def _open_config(run_dir: Path, config: PretrainConfig | None, resume: bool,
                 changes: dict | None = None) -> tuple[PretrainConfig, dict]:
    """The run's config (new: ``config`` written to run/config.json; resumed: read back, with
    ``changes`` of :data:`RESUME_CHANGES` applied and saved); also returns what changed, {old, new}."""
    path = run_dir / "config.json"
    if not path.is_file():
        config = (config or PretrainConfig.preset("starter")).replace(**(changes or {}))
        atomic_write_json(path, config.to_dict())
        return config, {}
    if not resume:
        raise ProjectError(f"{run_dir.parent} already holds a pretraining run; pass --resume to continue it "
                           "or choose another output folder")
    loaded = PretrainConfig.from_dict(json.loads(path.read_text(encoding="utf-8")))
    changes = {k: v for k, v in (changes or {}).items() if getattr(loaded, k) != v}
    refused = sorted(set(changes) - set(RESUME_CHANGES))
    if refused:
        raise ConfigError(f"a resumed run keeps its settings; only {list(RESUME_CHANGES)} may change, not {refused}")
    if not changes:
        return loaded, {}
    updated = loaded.replace(**changes)
    atomic_write_json(path, updated.to_dict())
    return updated, {k: (getattr(loaded, k), v) for k, v in changes.items()}


def _seed(seed: int) -> None:
    from gpt_sovits.train.stages import seed_everything

    seed_everything(seed)


def _run_round(stage: str, cfg: PretrainConfig, out: Path, items: tuple[list, list], emit: EventCallback,
               stop: StopSignal, anchor: list[Path] | None = None, reading: list | None = None,
               root: Path | None = None) -> tuple[int, bool]:
    """One round of one stage (resumed from its newest checkpoint); returns (steps, done).
    ``anchor``: the latent-anchor files for S2 (gpt_sovits.pretrain.anchor), None = no anchor.
    ``reading``: the texts S1's reading score reads (:func:`~gpt_sovits.pretrain.best_s1.reading_texts`).
    ``root``: the pretrained/ folder holding Whisper-base (None = the checkout's)."""
    train = items[0]
    epoch_items = None
    _seed(cfg.seed)
    freeze, limit = False, cfg.s2_steps if stage == "s2" else cfg.s1_steps
    if stage == "s2":
        steps, batch = cfg.s2_steps, cfg.s2_batch_size
        # The frozen-decoder phase is a round of its own; the rounds after it train the decoder too.
        freeze = latest_checkpoint(out, "s2", cfg.keep_checkpoints)[0] < cfg.s2_decoder_frozen_steps
        limit = min(steps, cfg.s2_decoder_frozen_steps) if freeze else steps
        trainer = s2_trainer(cfg, out, items, train_config(cfg, limit, freeze), anchor, root,
                             lambda m: emit(InfoEvent(stage="s2", message=m)))
    else:
        from gpt_sovits.pretrain.pairs import pairs_for_epoch, with_pairs

        steps, batch = cfg.s1_steps, cfg.s1_batch_size
        if cfg.s1_pairs_each_epoch:  # epoch_items(epoch) = pairs_for_epoch(train, fraction, seed, epoch)
            epoch_items = functools.partial(pairs_for_epoch, train, cfg.s1_pair_fraction, cfg.seed)
        else:
            train = with_pairs(train, cfg.s1_pair_fraction, cfg.seed)
        trainer, emit = s1_trainer(cfg, out, items, reading or [], emit)
    epochs = math.ceil(steps / max(1, math.ceil(len(train) / batch)))
    outcome = run_stage(trainer, train, batch, epochs, train_config(cfg, limit, freeze), out / "run", emit, stop,
                        True, epoch_items)
    return outcome.steps, outcome.completed and limit == steps


def export_candidate(cfg: PretrainConfig, out: Path) -> dict:
    """Export ``OUT/pretrained/starter`` from the newest S2 checkpoint and the kept best S1 (else
    the newest S1 checkpoint; step-0 weights for a stage that has none yet: those the run started
    from, random ones in a run from scratch). The steps recorded
    are those of the checkpoints read, also when the other stage's process wrote them."""
    from gpt_sovits.models.s2.discriminators import MultiPeriodDiscriminator
    from gpt_sovits.pretrain.export import export_profile

    s2_cfg, s1_cfg = cfg.s2_config(), cfg.s1_config()
    s2_step, s2 = latest_checkpoint(out, "s2", cfg.keep_checkpoints)
    s1_step, s1 = latest_checkpoint(out, "s1", cfg.keep_checkpoints)
    _seed(cfg.seed)
    gen_state = s2["gen"] if s2 else init_generator(cfg, out).state_dict()
    disc_state = None
    if cfg.s2_adversarial:
        disc_state = s2["disc"] if s2 else MultiPeriodDiscriminator.for_config(s2_cfg).state_dict()
    s1_state = s1["model"] if s1 else init_s1(cfg, out).state_dict()
    extra = {"s2_steps": s2_step, "s1_steps": s1_step}
    best = best_s1(out / "run")
    if best is not None:
        from gpt_sovits.checkpoint.s1 import load_any_s1

        s1_state = load_any_s1(out / "run" / BEST_S1_FILE)[1]
        extra.update(s1_steps=best["step"], s1_val_ce=round(best["ce"], 4))
        if "read_error" in best:
            extra.update(s1_val_read_error=round(best["read_error"], 4))
    with _export_lock(out):
        # the run's token readout also serves synthesis's reading check (gpt_sovits.infer.reading_check)
        files = (out / "run" / VAL_FILE, out / "run" / RECOGNIZER_FILE, out / "run" / READOUT_FILE)
        exported = export_profile(out / "pretrained" / "starter", (s1_cfg, s1_state), (s2_cfg, gen_state),
                                  disc_state, extra, files=files)
        if s2_cfg.decoder == "envelope":
            save_decoder(out / "pretrained" / DECODER_FILE, s2_cfg, gen_state)
        return exported


@contextmanager
def _export_lock(out: Path) -> Iterator[None]:
    """Serialise exports of stage processes sharing one run folder."""
    import fcntl

    with open(out / "run" / ".export.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_progress(run_dir: Path, stage: str) -> dict:
    path = run_dir / f"progress-{stage}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def pretrain(corpus: str | Path, out: str | Path, config: PretrainConfig | None = None, hours_budget: float = 0.0,
             resume: bool = False, *, stages: tuple[str, ...] = STAGES, pretrained_root: str | Path | None = None,
             on_event: EventCallback | None = None, stop: StopSignal | None = None,
             num_threads: int | None = None, init_from: str | Path | None = None,
             changes: dict | None = None, decoder_from: str | Path | None = None) -> PretrainResult:
    """Pretrain (or continue) the starter base on a corpus folder; see the module docstring.

    Args:
        corpus: the corpus project folder (``python -m gpt_sovits corpus build``).
        out: the run folder (outside the repo; the candidate profile is under ``out/pretrained``).
        config: settings for a new run (default: the ``starter`` preset); ignored with ``resume``.
        hours_budget: wall-clock hours of this invocation (0 = until the stages finish); resume: go on in ``out``.
        stages: which stages this invocation trains (``("s2", "s1")``, ``("s2",)`` or ``("s1",)``);
            start the first process of a new run alone until it has written ``init/``.
        pretrained_root: where Whisper-base is found (default: the checkout's ``pretrained/``).
        on_event: receives every training event; stop: set it to stop after the current step.
        num_threads: torch CPU threads for this invocation (None = the run's ``num_threads``).
        init_from: a new run starts from this exported profile folder (see :func:`init_from_profile`).
        changes: settings over ``config`` for a new run; with ``resume`` only :data:`RESUME_CHANGES`
            (e.g. a lower ``s1_lr`` to anneal S1), saved in run/config.json and logged.
        decoder_from: with ``init_from``, the new envelope decoder starts from this decoder file
            (a candidate's ``envelope-decoder.safetensors``) instead of random weights.

    Raises:
        ProjectError: ``out`` holds a run and ``resume`` is False, or the corpus has no usable audio.
        ConfigError: ``changes`` to a resumed run's setting that must stay.
        ValueError: an unknown stage name.
    """
    started = time.monotonic()
    if not stages or any(s not in STAGES for s in stages):
        raise ValueError(f"stages must be a non-empty subset of {STAGES}, got {stages}")
    out = Path(out)
    if decoder_from is not None and (init_from is None or (out / INIT_FILE).is_file()):
        raise ProjectError("a decoder file starts a new run from a profile (with --init-from); a resumed run "
                           "keeps its own decoder: drop --s2-decoder-from")
    (out / "run").mkdir(parents=True, exist_ok=True)
    new_run = not (out / "run" / "config.json").is_file()
    cfg, changed = _open_config(out / "run", config, resume, changes)
    deadline = started + hours_budget * 3600 if hours_budget > 0 else math.inf
    metrics = "metrics.jsonl" if set(stages) == set(STAGES) else f"metrics-{stages[0]}.jsonl"
    emit = EventSink(MetricsWriter(out / "run" / metrics), on_event)
    for key, (old, new) in changed.items():
        emit(InfoEvent(stage="init", message=f"resumed with {key} {new:g} (was {old:g}); saved in run/config.json"))
    configure_threads(cfg.num_threads if num_threads is None else num_threads)
    root = Path(pretrained_root) if pretrained_root is not None else None
    project = Project(corpus)
    if init_from is not None and not (out / INIT_FILE).is_file():
        try:
            init_from_profile(cfg, out, Path(init_from), emit, Path(decoder_from) if decoder_from else None)
        except ProjectError:
            if new_run:  # nothing was started: the corrected command must not be told to --resume
                (out / "run" / "config.json").unlink(missing_ok=True)
            raise
    anchor = None
    with corpus_lock(project, emit, Deadline(deadline, stop)):
        items, stats = prepare_features(project, cfg, out, root, emit)
        if "s2" in stages and cfg.s2_anchor_weight > 0 and not cfg.s2_decoder_only:  # it holds the posterior
            from gpt_sovits.pretrain.anchor import corpus_anchor

            anchor = corpus_anchor(project, out / "anchor", cfg.s2_anchor_sentences, cfg.seed,
                                   lambda m: emit(InfoEvent(stage="anchor", message=m)))
    if len(items) < 2:
        raise ProjectError(f"the corpus {corpus} has {len(items)} usable utterances; build a larger corpus first")
    train, val = run_split(out / "run", items, cfg.val_items, cfg.seed)
    reading = None
    if "s1" in stages:
        labels = [(entry.text, entry.lang) for entry in load_labels(project.root)]
        reading = reading_texts(cfg, (train, val), labels)
    progress = {s: _read_progress(out / "run", s) for s in STAGES}
    steps = {s: int(progress[s].get("steps", 0)) for s in STAGES}
    done = {s: bool(progress[s].get("done", False)) for s in STAGES}
    export: dict = {}
    while not all(done[s] for s in stages) and not Deadline(deadline, stop).is_set():
        for stage in stages:
            if done[stage] or Deadline(deadline, stop).is_set():
                continue
            round_started = time.monotonic()
            round_stop = Deadline(min(deadline, round_started + cfg.round_minutes * 60), stop)
            steps[stage], done[stage] = _run_round(stage, cfg, out, (train, val), emit, round_stop, anchor,
                                                    reading, root)
            export = export_candidate(cfg, out)
            emit(InfoEvent(stage=stage, message=f"candidate exported: {export}"))
            progress[stage] = _read_progress(out / "run", stage)
            spent = float(progress[stage].get("seconds", 0.0)) + time.monotonic() - round_started
            atomic_write_json(out / "run" / f"progress-{stage}.json",
                              {"steps": steps[stage], "done": done[stage], "seconds": round(spent, 1),
                               "export": export})
    return PretrainResult(out=str(out), steps=steps, done=done, seconds=round(time.monotonic() - started, 2),
                          utterances=len(items), codebook=stats, export=export)
