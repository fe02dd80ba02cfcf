"""The text melody model: shapes, spans, what it knows, saving, learning tones, and steering the decoder's F0."""

from __future__ import annotations

import math

import pytest
import torch

from gpt_sovits.errors import CheckpointError
from gpt_sovits.models.s2.envelope_decoder import PitchControl
from gpt_sovits.models.s2.melody import (
    MelodyConfig,
    TextMelody,
    load_melody,
    melody_loss,
    phone_spans,
    save_melody,
)
from gpt_sovits.pretrain.melody_fit import MelodyExample, evaluate, fit_melody
from gpt_sovits.text.symbols import phones_to_ids

TINY = MelodyConfig(dim=16, phone_layers=1, frame_dilations=(1, 2))


def test_phone_spans_give_each_tokens_run_start_and_length() -> None:
    starts, lengths = phone_spans(torch.tensor([0, 0, 1, 1, 1, 3]))
    assert starts.tolist() == [0, 0, 2, 2, 2, 5]
    assert lengths.tolist() == [2, 2, 3, 3, 3, 1]
    empty = phone_spans(torch.tensor([], dtype=torch.long))
    assert empty[0].numel() == 0 and empty[1].numel() == 0


def test_the_contour_has_four_frames_per_token_and_depends_on_the_phones() -> None:
    torch.manual_seed(0)
    model = TextMelody(TINY).eval()
    phones = torch.tensor(phones_to_ids(["n", "i3", "h", "ao3"]))
    alignment = torch.tensor([0, 1, 1, 1, 2, 3, 3])
    with torch.no_grad():
        contour = model(phones, alignment)
        other = model(torch.tensor(phones_to_ids(["n", "i1", "h", "ao1"])), alignment)
    assert contour.shape == (4 * 7,)
    assert not torch.allclose(contour, other)


def test_covers_only_sentences_whose_phones_it_learnt() -> None:
    model = TextMelody(TINY)
    zh = phones_to_ids(["n", "i3", "h", "ao3", "."])
    model.known[torch.tensor(zh)] = True
    assert model.covers(zh)
    assert not model.covers(phones_to_ids(["HH", "AH0", "L", "OW1"]))
    assert not model.covers(phones_to_ids(["."]))  # nothing pronounced


def test_save_and_load_keep_weights_config_and_known_phones(tmp_path) -> None:
    torch.manual_seed(1)
    model = TextMelody(TINY).eval()
    model.known[5] = True
    path = tmp_path / "melody.safetensors"
    save_melody(model, path)
    loaded = load_melody(path)
    assert loaded.config == TINY and bool(loaded.known[5]) and not loaded.training
    phones, alignment = torch.tensor([10, 20, 30]), torch.tensor([0, 1, 1, 2])
    with torch.no_grad():
        assert torch.allclose(loaded(phones, alignment), model(phones, alignment), atol=2e-2)
    (tmp_path / "bad.safetensors").write_bytes(b"not a model")
    with pytest.raises(CheckpointError, match="text-melody"):
        load_melody(tmp_path / "bad.safetensors")


def _tone_example(index: int, rng: torch.Generator) -> MelodyExample:
    """A made-up utterance: tone-1 finals level and high, tone-4 finals falling, initials in between."""
    phones, alignment, f0 = [], [], []
    for _ in range(int(torch.randint(3, 7, (1,), generator=rng))):
        tone = int(torch.randint(0, 2, (1,), generator=rng))
        phones += phones_to_ids(["d", "a1" if tone == 0 else "a4"])
        for position, count in ((len(phones) - 2, 1), (len(phones) - 1, int(torch.randint(2, 4, (1,), generator=rng)))):
            alignment += [position] * count
            frames = 4 * count
            if position == len(phones) - 2:
                f0 += [0.0] * frames
            elif tone == 0:
                f0 += [220.0] * frames
            else:
                f0 += [260.0 * math.exp(-0.5 * k / frames) for k in range(frames)]
    return MelodyExample(f"u{index}", torch.tensor(phones), torch.tensor(alignment), torch.tensor(f0))


def test_fitting_learns_tone_contours_from_examples() -> None:
    rng = torch.Generator().manual_seed(0)
    examples = [_tone_example(i, rng) for i in range(60)]
    model, report = fit_melody(examples, TINY, steps=300, every=100, val_count=6, lr=3e-3)
    assert report.best_step > 0 and report.history[-1]["val_correlation"] > 0.8
    assert report.best_val_loss < 0.5 * melody_loss(torch.zeros(400), examples[0].f0_hz).item()
    assert model.covers(examples[0].phone_ids.tolist())
    loss, corr = evaluate(model, examples[:6])
    assert corr > 0.8 and loss == pytest.approx(loss)


def test_a_text_contour_replaces_the_decoders_shape_but_keeps_its_level_and_voicing() -> None:
    f0 = torch.tensor([[200.0, 0.0, 200.0, 200.0, 200.0, 0.0, 200.0, 200.0]])  # flat at 200 Hz, two unvoiced frames
    contour = torch.tensor([0.0, 0.1, 0.2, 0.3])  # rising; resampled to the 8 frames
    out = PitchControl(contour=contour).apply(f0)
    assert out[0, 1] == 0 and out[0, 5] == 0
    voiced = out[0][f0[0] > 0]
    assert torch.all(voiced[1:] >= voiced[:-1] - 1e-3)  # follows the rise
    assert float(torch.log(voiced).median()) == pytest.approx(math.log(200.0), abs=1e-4)
    anchored = PitchControl(contour=contour, anchor_hz=150.0, intonation=0.0).apply(f0)
    assert anchored[0][f0[0] > 0].tolist() == pytest.approx([150.0] * 6, rel=1e-4)
    assert not PitchControl(contour=contour).neutral
    own = PitchControl(anchor_hz=150.0).apply(f0)
    assert torch.allclose(PitchControl(contour=contour, anchor_hz=150.0, contour_weight=0.0).apply(f0), own)
    half = PitchControl(contour=contour, contour_weight=0.5).apply(f0)
    assert torch.allclose(torch.log(half[0][f0[0] > 0]), 0.5 * (torch.log(voiced) + math.log(200.0)), atol=1e-4)
