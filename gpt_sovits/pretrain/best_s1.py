"""Which S1 a pretraining run keeps as its best (``RUN/run/best-s1.*``) and exports.

S1 over-fits a small corpus long before its step target, so the newest S1 is not the one to ship.
By default (``PretrainConfig.s1_select_by`` "reading") the best S1 is the one whose greedy,
unprompted output for the validation texts (utterances and held-out sentences) has the fewest phone errors
(:mod:`gpt_sovits.pretrain.reading`); "reading-prompted" the one that reads them best after a
prompt, as synthesis does; "ce" keeps the lowest validation CE instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

import torch

from gpt_sovits.fileio import atomic_write_json
from gpt_sovits.pretrain.config import PretrainConfig
from gpt_sovits.pretrain.reading import ReadingText, held_out_texts, texts_digest, utterance_text
from gpt_sovits.train.events import EventCallback, InfoEvent, ValidationEvent

BEST_S1_FILE, BEST_S1_META = "best-s1.safetensors", "best-s1.json"


def reading_texts(cfg: PretrainConfig, items: tuple[list, list],
                  corpus: Iterable[tuple[str, str]]) -> list[ReadingText]:
    """What the reading score reads: the validation utterances, plus ``cfg.s1_reading_texts``
    held-out sentences in runs without BERT (``corpus``: the corpus's (text, language) labels)."""
    train, val = items
    texts = [utterance_text(item) for item in val]
    if cfg.s1_reading_texts <= 0 or not val or not train or bool(val[0].bert.any()):
        return texts
    sample = train[:: max(1, len(train) // 200)]  # ~200 utterances give the tokens per phone
    ratio = sum(len(i.semantic) for i in sample) / max(1, sum(len(i.phone_ids) for i in sample))
    return texts + held_out_texts(corpus, cfg.s1_reading_texts, cfg.seed, cfg.s1_config().symbols_version,
                                  val[0].bert.shape[0], ratio)


def validation_scorer(cfg: PretrainConfig, run_dir: Path, items: tuple[list, list], texts: list[ReadingText],
                      emit: EventCallback) -> tuple[Callable[[torch.nn.Module], dict[str, float]], str, str]:
    """S1's extra validation metrics and the one the kept S1 is chosen by.

    Always ``ce_prompted``: the validation targets after a same-voice training prompt
    (gpt_sovits.pretrain.prompted). With ``s1_select_by`` "reading" or "reading-prompted" also
    ``read_error`` and ``read_error_prompted`` on ``texts`` (gpt_sovits.pretrain.reading; text i
    after the i-th voice's prompt, cycling), the chosen one the key then; else, or when no readout
    can be trained from the training items, the key is the plain validation ``ce``.

    Returns (scorer, key, scored_on): ``scored_on`` fingerprints what a reading key is measured
    with (texts, prompts, readout; "" for ``ce``), so a kept S1 scored otherwise is scored again."""
    from gpt_sovits.pretrain.prompted import prompt_per_voice, prompted_ce, voice_prompts
    from gpt_sovits.pretrain.reading import READOUT_FILE, reading_error, run_readout

    train, val = items
    prompts, readout = voice_prompts(train, val), None
    cycle = prompt_per_voice(train)
    if cfg.s1_select_by != "ce" and texts:
        try:
            readout = run_readout(train, cfg.s2_config().codebook_size, cfg.s1_readout_epochs, run_dir / READOUT_FILE)
        except ValueError as exc:
            emit(InfoEvent(stage="s1", message=f"S1 is chosen by validation CE: no token readout ({exc})"))

    def score(model: torch.nn.Module) -> dict[str, float]:
        found = prompted_ce(model, val, prompts)
        metrics = {} if found is None else {"ce_prompted": found}
        if readout is not None:
            metrics["read_error"] = reading_error(readout, model, texts)
            if cycle:
                metrics["read_error_prompted"] = reading_error(readout, model, texts, cycle)
        return metrics

    if readout is None:
        return score, "ce", ""
    prompted = cfg.s1_select_by == "reading-prompted" and bool(cycle)
    scored_on = f"{texts_digest(texts, cycle if prompted else ())}-{readout.trained_on[:8]}"
    return score, "read_error_prompted" if prompted else "read_error", scored_on


def keeping_best_s1(run_dir: Path, trainer, emit: EventCallback, key: str = "ce",
                    scored_on: str = "") -> EventCallback:
    """``emit`` that also saves S1 whenever its validation ``key`` (``ce`` or a reading error) is the
    lowest so far: S1's reading peaks long before its step target, and the export takes this best
    model. ``scored_on`` names the texts ``key`` is measured on (:func:`reading.texts_digest`). A
    best saved under the other key or on other texts is scored again first, so they compare fairly."""
    from gpt_sovits.checkpoint.s1 import save_s1

    def on_event(event) -> None:
        emit(event)
        if not isinstance(event, ValidationEvent) or event.stage != "s1" or key not in event.losses:
            return
        best = best_s1(run_dir)
        if best is not None and (key not in best or best.get("scored_on", "") != scored_on):
            best = _rescore_best(run_dir, trainer, {**best, "scored_on": scored_on})
            emit(InfoEvent(stage="s1", message=f"the kept S1 (step {best['step']}) was chosen by another rule "
                                               f"or on other texts; scored again: validation {key} {best[key]:.4f}"))
        if best is None or event.losses[key] < best[key]:
            save_s1(run_dir / BEST_S1_FILE, trainer.model, extra={"step": str(event.step)})
            atomic_write_json(run_dir / BEST_S1_META, {"step": event.step, **event.losses, "scored_on": scored_on})
            emit(InfoEvent(stage="s1", message=f"best S1 so far: validation {key} {event.losses[key]:.4f} "
                                               f"at step {event.step}"))

    return on_event


def _rescore_best(run_dir: Path, trainer, best: dict) -> dict:
    """``best`` with the metrics of the saved best S1 under the trainer's current validation."""
    import copy

    from gpt_sovits.checkpoint.s1 import load_any_s1

    current = copy.deepcopy(trainer.model.state_dict())
    trainer.model.load_state_dict(load_any_s1(run_dir / BEST_S1_FILE)[1], strict=True)
    try:
        with torch.random.fork_rng(devices=[]):
            best = {**best, **trainer.validate()}
    finally:
        trainer.model.load_state_dict(current)
    atomic_write_json(run_dir / BEST_S1_META, best)
    return best


def best_s1(run_dir: Path) -> dict | None:
    """The kept S1's step and validation metrics (``best-s1.json``), None while there is none."""
    meta = run_dir / BEST_S1_META
    if not meta.is_file() or not (run_dir / BEST_S1_FILE).is_file():
        return None
    return json.loads(meta.read_text(encoding="utf-8"))
