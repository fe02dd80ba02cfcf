"""Fit a :class:`~gpt_sovits.models.s2.melody.TextMelody` on a corpus: phones, token alignment, F0.

Each example is one corpus utterance: its phone ids, the phone each semantic token speaks (the base's
token readout aligns them, :func:`gpt_sovits.features.token_align.align_tokens`, as synthesis's S1
pointer would) and its pitch track at the envelope decoder's frames
(:func:`gpt_sovits.train.dataset.item_envelope`). Training is cheap (one utterance a step, ~30 ms on
one core); the model kept is the one with the lowest validation loss.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from gpt_sovits.models.s2.melody import MelodyConfig, TextMelody, melody_loss


@dataclass
class MelodyExample:
    """One utterance: phone ids [p], token alignment [n] (indices into the phones), F0 [k] in Hz."""

    slice_id: str
    phone_ids: torch.Tensor
    alignment: torch.Tensor
    f0_hz: torch.Tensor


@dataclass
class MelodyReport:
    """How a fit went: steps, examples, validation loss and log-F0 correlation per checkpoint."""

    steps: int
    train_examples: int
    val_examples: int
    best_step: int = 0
    best_val_loss: float = float("inf")
    history: list[dict[str, float]] = field(default_factory=list)


def corpus_examples(corpus: Path, readout_path: Path, languages: Sequence[str] = ("zh",),
                    voices: Sequence[str] = (), log: Callable[[str], None] | None = None) -> list[MelodyExample]:
    """Examples of every cached corpus utterance in ``languages`` (features come from ``pretrain``'s
    cache: run ``python -m gpt_sovits pretrain CORPUS RUN`` once first), only of speakers whose name
    starts with one of ``voices`` when given.

    Raises:
        ValueError: the corpus has no cached utterance in those languages.
    """
    from gpt_sovits.data.labels import load_labels
    from gpt_sovits.data.project import Project
    from gpt_sovits.features.cache import FeatureCache
    from gpt_sovits.features.token_align import align_tokens
    from gpt_sovits.pretrain.data import FEATURE_KEY, cached_ids
    from gpt_sovits.pretrain.token_readout import load_readout
    from gpt_sovits.train.dataset import item_envelope, load_items
    from gpt_sovits.train.prepare import label_items

    project = Project(corpus)
    cache = FeatureCache(project.features_dir(FEATURE_KEY))
    wanted = {lang.lower() for lang in languages}
    speakers = {Path(e.name).stem: e.speaker for e in load_labels(project.root)}
    labelled = [i for i in label_items(project) if i.language.lower().removeprefix("all_") in wanted
                and (not voices or speakers.get(i.slice_id, "").startswith(tuple(voices)))]
    readout = load_readout(readout_path).eval()
    examples = []
    for slice_id in cached_ids(cache, labelled):
        item = load_items(cache, [slice_id])[0]
        if item.semantic.numel() == 0:
            continue
        alignment = align_tokens(readout, item.semantic, item.phone_ids.tolist())
        examples.append(MelodyExample(slice_id, item.phone_ids.long(), torch.tensor(alignment),
                                      item_envelope(item)[1]))
        if log is not None and len(examples) % 100 == 0:
            log(f"{len(examples)} utterances read")
    if not examples:
        raise ValueError(f"{corpus} has no cached {'/'.join(sorted(wanted))} utterance"
                         f"{' of ' + ', '.join(voices) if voices else ''}; build its features first "
                         f"(python -m gpt_sovits pretrain {corpus} RUN --stage s2)")
    return examples


def _correlation(model: TextMelody, example: MelodyExample) -> float | None:
    predicted = model(example.phone_ids, example.alignment)
    n = min(predicted.shape[0], example.f0_hz.shape[0])
    voiced = example.f0_hz[:n] > 0
    if int(voiced.sum()) < 5:
        return None
    pair = torch.stack([predicted[:n][voiced], torch.log(example.f0_hz[:n][voiced])])
    value = float(torch.corrcoef(pair)[0, 1])
    return value if np.isfinite(value) else None


@torch.no_grad()
def evaluate(model: TextMelody, examples: Sequence[MelodyExample]) -> tuple[float, float]:
    """Mean validation loss and mean log-F0 correlation over ``examples``."""
    model.eval()
    losses = [melody_loss(model(e.phone_ids, e.alignment), e.f0_hz) for e in examples]
    kept = [float(x) for x in losses if x is not None]
    corrs = [c for c in (_correlation(model, e) for e in examples) if c is not None]
    model.train()
    return (float(np.mean(kept)) if kept else float("nan"), float(np.mean(corrs)) if corrs else float("nan"))


def fit_melody(examples: Sequence[MelodyExample], config: MelodyConfig | None = None, steps: int = 4000,
               seed: int = 0, val_count: int = 30, lr: float = 3e-4, every: int = 500,
               log: Callable[[str], None] | None = None) -> tuple[TextMelody, MelodyReport]:
    """Train a melody model on ``examples`` (``val_count`` of them held out; the best one kept)."""
    if len(examples) < 2:
        raise ValueError("a melody model needs at least 2 utterances")
    rng = random.Random(seed)
    torch.manual_seed(seed)
    order = list(examples)
    rng.shuffle(order)
    n_val = min(val_count, max(1, len(order) // 10))
    val, train = order[:n_val], order[n_val:]
    model = TextMelody(config)
    for example in train:
        model.known[example.phone_ids.clamp(0, model.config.vocab_size - 1)] = True
    optimizer = torch.optim.AdamW(model.parameters(), lr, weight_decay=1e-2)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, lr, total_steps=max(steps, 1), pct_start=0.05)
    report = MelodyReport(steps, len(train), len(val))
    best_state = {k: v.clone() for k, v in model.state_dict().items()}
    running: list[float] = []
    model.train()
    for step in range(1, steps + 1):
        if (step - 1) % len(train) == 0:
            rng.shuffle(train)
        example = train[(step - 1) % len(train)]
        loss = melody_loss(model(example.phone_ids, example.alignment), example.f0_hz)
        if loss is not None:
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            running.append(float(loss.detach()))
        schedule.step()
        if step % every == 0 or step == steps:
            val_loss, corr = evaluate(model, val)
            report.history.append({"step": step, "train_loss": float(np.mean(running[-every:] or [np.nan])),
                                   "val_loss": val_loss, "val_correlation": corr})
            if val_loss < report.best_val_loss:
                report.best_step, report.best_val_loss = step, val_loss
                best_state = {k: v.clone() for k, v in model.state_dict().items()}
            if log is not None:
                log(f"step {step}: train {report.history[-1]['train_loss']:.4f}, val {val_loss:.4f}, "
                    f"correlation {corr:.3f}")
    model.load_state_dict(best_state)
    return model.eval(), report
