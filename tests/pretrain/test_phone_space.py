"""The phone space of the codebook: tokens that follow the phones, not the voice."""

from __future__ import annotations

from types import SimpleNamespace

import torch

from gpt_sovits.models.s2.model import SynthesizerTrn
from gpt_sovits.pretrain.codebook import corpus_codebook, init_codebook, pair_average, standardisation
from gpt_sovits.pretrain.config import PretrainConfig
from gpt_sovits.pretrain.phone_space import fit_phone_projection, silent_ids
from gpt_sovits.text.symbols import phones_to_ids

PHONES = phones_to_ids(["AA1", "B", "K", "S", "IY1", "M", "a1", "i4"])


def _utterance(gen: torch.Generator, table: torch.Tensor, voices: torch.Tensor):
    """(50 Hz features [512, t], phone ids, phone index per frame [t]) of a random phone string: each
    phone is a pattern in 8 channels held 6-10 frames (an even count: pair averages stay within a
    phone); one of ``voices`` (offsets that fill the other 504 channels, and slightly the 8) and
    frame noise lie over it."""
    count = int(torch.randint(4, 9, (1,), generator=gen))
    picks = torch.randint(0, len(PHONES), (count,), generator=gen).tolist()
    voice = voices[int(torch.randint(0, len(voices), (1,), generator=gen))]
    frames, labels = [], []
    for p in picks:
        hold = 2 * int(torch.randint(3, 6, (1,), generator=gen))
        frames += [voice + table[p]] * hold
        labels += [p] * hold
    content = torch.stack(frames, 1) + 0.3 * torch.randn(512, len(frames), generator=gen)
    return content, [PHONES[p] for p in picks], torch.tensor(labels)


def _corpus(seed: int, count: int) -> list[tuple[torch.Tensor, list[int]]]:
    gen = torch.Generator().manual_seed(seed)
    table = torch.zeros(len(PHONES), 512)
    table[:, :8] = 1.5 * torch.randn(len(PHONES), 8, generator=gen)
    voices = 4.0 * torch.randn(6, 512, generator=gen)
    voices[:, :8] *= 0.05
    return [_utterance(gen, table, voices) for _ in range(count)]


def _purity(codes: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of frames whose code's most frequent phone is their own phone."""
    right = 0
    for code in codes.unique():
        right += int(torch.bincount(labels[codes == code]).max())
    return right / len(labels)


def test_phone_space_tokens_follow_phones_where_standardised_tokens_follow_voices():
    cfg = PretrainConfig.preset("tiny").s2_config().replace(codebook_size=16)
    train, test = _corpus(0, 60), _corpus(0, 80)[60:]
    frames = torch.cat([pair_average(c) for c, _, _ in train])
    mean, std = standardisation(frames)
    gen = torch.Generator().manual_seed(1)
    projection = fit_phone_projection([(pair_average(c), ids) for c, ids, _ in train], mean, std, 8, 80, gen, lr=1e-2)
    assert projection.weight.shape == (8, 512) and projection.phone_error < 0.3

    purity = {}
    for name, proj in (("standardised", None), ("phone-ctc", projection)):
        model = SynthesizerTrn(cfg, with_posterior=False)
        init_codebook(model, frames, 10, torch.Generator().manual_seed(2), proj, (mean, std))
        codes = torch.cat([model.extract_latent(c[None]).flatten() for c, _, _ in test])
        purity[name] = _purity(codes, torch.cat([labels[::2] for _, _, labels in test]))
    assert purity["phone-ctc"] > 0.75 and purity["phone-ctc"] > purity["standardised"] + 0.3, purity


def test_ssl_proj_holds_the_projection_exactly():
    cfg = PretrainConfig.preset("tiny").s2_config().replace(codebook_size=8)
    model = SynthesizerTrn(cfg, with_posterior=False)
    gen = torch.Generator().manual_seed(3)
    content = 2.0 + 3.0 * torch.randn(512, 60, generator=gen)
    frames = pair_average(content)
    mean, std = standardisation(frames)
    projection = SimpleNamespace(weight=torch.randn(5, 512, generator=gen), bias=torch.randn(5, generator=gen),
                                 phone_error=0.0)
    stats = init_codebook(model, frames, 3, gen, projection, (mean, std))
    with torch.no_grad():
        out = model.ssl_proj(content[None])[0].t()  # [n, c]
    expected = ((frames - mean) / std) @ projection.weight.t() + projection.bias
    assert torch.allclose(out[:, :5], expected, atol=1e-3) and out[:, 5:].abs().max() == 0
    assert stats["space"] == "phone-ctc" and stats["dims"] == 5


def test_corpus_codebook_learns_the_phone_space_from_cached_features():
    utterances = _corpus(4, 80)
    items = {f"v_{i:05d}": SimpleNamespace(content=c, phone_ids=ids + [phones_to_ids([","])[0]])
             for i, (c, ids, _) in enumerate(utterances)}
    cache = SimpleNamespace(load=items.__getitem__)
    cfg = PretrainConfig.preset("tiny").replace(codebook_space="phone-ctc", codebook_phone_dims=8,
                                                codebook_phone_epochs=150, kmeans_frames=8000)
    model = SynthesizerTrn(cfg.s2_config().replace(codebook_size=16), with_posterior=False)
    stats = corpus_codebook(model, cache, sorted(items), cfg, torch.Generator().manual_seed(5))
    assert stats["space"] == "phone-ctc" and stats["phone_error"] < 0.5  # the pause "," is no CTC target
    assert phones_to_ids([","])[0] in silent_ids()
