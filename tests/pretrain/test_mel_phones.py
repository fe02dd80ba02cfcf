"""The mel phone recogniser and the phone loss built on it (gpt_sovits.pretrain.mel_phones)."""

from __future__ import annotations

import math

import pytest
import torch

from gpt_sovits.pretrain.mel_phones import (
    LOG_FLOOR,
    PhoneLoss,
    band_limit,
    fit_mel_recognizer,
    load_recognizer,
    recognizer_phone_error,
    save_recognizer,
)
from gpt_sovits.pretrain.phone_space import ctc_targets, silent_ids
from gpt_sovits.text.symbols import symbols

BINS, TOTAL_BINS, FMAX = 24, 32, 16000.0


def _pronounced(count: int) -> list[int]:
    silent = silent_ids()
    return [i for i in range(len(symbols())) if i not in silent][:count]


def _utterances(n: int, seed: int) -> list[tuple[torch.Tensor, list[int]]]:
    """Synthetic speech: each of 6 phones is a bump in its own low band (below 2 kHz, so band
    limiting keeps it), held 3-5 frames, in random order, over a little noise."""
    gen = torch.Generator().manual_seed(seed)
    phones = _pronounced(6)
    found = []
    for _ in range(n):
        ids = [phones[int(i)] for i in torch.randint(0, 6, (8,), generator=gen)]
        frames = []
        for k, pid in enumerate(ids):
            if k and ids[k - 1] == pid:
                continue
            length = int(torch.randint(3, 6, (1,), generator=gen))
            frame = torch.full((length, BINS), -6.0) + 0.3 * torch.randn(length, BINS, generator=gen)
            frame[:, 2 * phones.index(pid): 2 * phones.index(pid) + 2] += 5.0
            frames.append(frame)
        kept = [p for k, p in enumerate(ids) if not k or ids[k - 1] != p]
        found.append((torch.cat(frames), kept))
    return found


@pytest.fixture(scope="module")
def recognizer():
    model, data = fit_mel_recognizer(_utterances(60, 0), FMAX, TOTAL_BINS, epochs=12,
                                     generator=torch.Generator().manual_seed(0))
    return model, data


def test_recognizer_learns_to_read_phones_it_never_saw_in_that_order(recognizer):
    model, data = recognizer
    assert len(data) == 120  # every utterance once as it is and once band-limited
    held_out = [(m, ctc_targets(ids, silent_ids())) for m, ids in _utterances(20, 99)]
    assert recognizer_phone_error(model, held_out) < 0.15


def test_band_limit_floors_the_bins_above_the_cutoff_only():
    mel = torch.zeros(5, BINS)
    limited = band_limit(mel, 4000.0, FMAX, TOTAL_BINS)
    kept = int((limited[0] == 0).sum())
    assert 0 < kept < BINS and bool((limited[:, kept:] == LOG_FLOOR).all()) and bool((limited[:, :kept] == 0).all())
    assert torch.equal(band_limit(mel, FMAX, FMAX, TOTAL_BINS), mel)  # nothing above fmax to remove
    assert torch.equal(mel, torch.zeros(5, BINS))  # the input is left as it was


def test_phone_loss_is_zero_for_the_same_speech_and_grows_for_other_phones(recognizer):
    model, _ = recognizer
    loss = PhoneLoss(model, weight=3.0)
    (a, _), (b, _) = _utterances(2, 5)
    n = min(len(a), len(b))
    real = a[:n].T[None]  # [1, m, n] as S2 hands its log-mels over
    other = b[:n].T[None].clone().requires_grad_(True)
    assert float(loss(real, real.clone())) == pytest.approx(0.0, abs=1e-6)
    value = loss(real, other)
    assert float(value.detach()) > 0.1
    value.backward()
    assert other.grad is not None and other.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.parameters())  # the recogniser stays frozen
    wider = torch.cat([real, torch.full((1, TOTAL_BINS - BINS, n), -3.0)], dim=1)
    assert float(loss(wider, real.clone())) == pytest.approx(0.0, abs=1e-6)  # reads its own bins only


def test_recognizer_round_trips_through_safetensors(recognizer, tmp_path):
    model, _ = recognizer
    save_recognizer(model, tmp_path / "mel-phones.safetensors")
    again = load_recognizer(tmp_path / "mel-phones.safetensors")
    x = _utterances(1, 7)[0][0][None]
    assert torch.allclose(model(x), again(x)) and again.bins == BINS


def test_no_usable_utterance_is_a_clear_error():
    with pytest.raises(ValueError, match="no utterance"):
        fit_mel_recognizer([(torch.zeros(2, BINS), _pronounced(5))], FMAX, TOTAL_BINS, 1, torch.Generator())
    assert math.isfinite(LOG_FLOOR)
