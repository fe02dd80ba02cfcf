"""Decoder-only envelope runs: the frozen rest of S2's latents, computed once per item, kept in a
file a resumed run reads back, forgotten when the weights they came from change; and the batched
loss over them, which padding must not change."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from gpt_sovits.models.s2.model import SynthesizerTrn
from gpt_sovits.train.config import TrainConfig
from gpt_sovits.train.frozen_latents import FrozenLatents, cached_envelope_terms
from gpt_sovits.train.stages import load_s2_for_training
from tests.train.test_trainers import _items

SEG = 32


def _envelope_gen(template_workspace: Path, pretrained: Path) -> tuple[SynthesizerTrn, list]:
    torch.manual_seed(0)
    profile, items = _items(template_workspace, pretrained)
    plain, _ = load_s2_for_training(profile, lambda event: None)
    gen = SynthesizerTrn(plain.cfg.replace(decoder="envelope"))
    gen.load_state_dict({k: v for k, v in plain.state_dict().items() if not k.startswith("dec.")}, strict=False)
    return gen, items


def _fresh(items: list) -> list:
    """The same slices without the envelope targets computed on them."""
    for item in items:
        item.envelope = None
    return items


def test_a_resumed_run_reads_the_latents_back_and_recomputes_them_for_other_weights(
        template_workspace: Path, pretrained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gen, items = _envelope_gen(template_workspace, pretrained)
    path = tmp_path / "run" / "frozen-latents.safetensors"
    first = FrozenLatents(gen, 0.5, seed=3)
    first.fill(items, path, SEG)
    assert path.is_file() and set(first.cache) == {item.slice_id for item in items}

    # a new round: nothing is computed, the same latents and targets come back
    monkeypatch.setattr(SynthesizerTrn, "forward", lambda *a, **k: pytest.fail("latents computed again"))
    import gpt_sovits.audio.envelope as envelope_module
    monkeypatch.setattr(envelope_module, "analyse", lambda *a, **k: pytest.fail("targets computed again"))
    again_items = _fresh(items)
    again = FrozenLatents(gen, 0.5, seed=3)
    again.fill(again_items, path, SEG)
    for item in again_items:
        assert all(torch.equal(a, b) for a, b in zip(first.cache[item.slice_id], again.cache[item.slice_id], strict=True))
        assert item.envelope is not None and item.envelope[0].shape == (2 * item.frames, 80)
    monkeypatch.undo()

    # other frozen weights (or another prior seed): the file is not used, and is rewritten
    with torch.no_grad():
        gen.enc_p.proj.weight.mul_(1.01)
    changed = FrozenLatents(gen, 0.5, seed=3)
    changed.fill(items, path, SEG)
    slice_id = items[0].slice_id
    assert not torch.equal(changed.cache[slice_id][3], first.cache[slice_id][3])
    again.forget_if_changed()  # a trainer whose checkpoint brought other weights drops its cache
    assert not again.cache
    reread = FrozenLatents(gen, 0.5, seed=3)
    reread.fill(items, path, SEG)
    assert torch.equal(reread.cache[slice_id][3], changed.cache[slice_id][3])
    lazy = FrozenLatents(gen, 0.5, seed=3)  # latents computed on demand are guarded the same way
    lazy.get(items[0], SEG)
    with torch.no_grad():
        gen.enc_p.proj.weight.mul_(1.01)
    lazy.forget_if_changed()
    assert not lazy.cache


def test_the_batched_loss_counts_real_frames_only(template_workspace: Path, pretrained: Path) -> None:
    """The prior path (no noise drawn per step) of a batch: one item twice is that item's loss; a
    short and a long item give about their frame-weighted mean (not exactly: the decoder's
    convolutions see the short item's padding near its end). Counting padded frames, whose targets
    are zeros, would move it far off."""
    gen, items = _envelope_gen(template_workspace, pretrained)
    latents = FrozenLatents(gen, 0.5, seed=3)
    config = TrainConfig.preset("tiny")
    long = items[0]
    t = long.frames // 3 // 2 * 2  # a third of it, as another slice
    short = dataclasses.replace(long, slice_id="short", content=long.content[:, :t], spec=long.spec[:, :t],
                                wav=long.wav[: t * 640], semantic=long.semantic[: t // 2], envelope=None)

    def prior_term(batch: list) -> float:
        with torch.no_grad():
            return float(cached_envelope_terms(latents, batch, config, 1.0, SEG, None)["prior_envelope"])

    assert prior_term([short, short]) == pytest.approx(prior_term([short]), rel=1e-5)
    expected = (prior_term([short]) * short.frames + prior_term([long]) * long.frames) / (short.frames + long.frames)
    assert prior_term([short, long]) == pytest.approx(expected, rel=0.05)
