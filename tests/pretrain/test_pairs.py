"""S1 prompt-continuation pairs: same speaker, fixed by the seed, collated like single items."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gpt_sovits.pretrain.pairs import PairedItem, speaker_of, with_pairs
from gpt_sovits.train.dataset import collate_s1


@dataclass
class Item:
    slice_id: str
    frames: int
    phone_ids: torch.Tensor
    bert: torch.Tensor
    semantic: torch.Tensor


def _items() -> list[Item]:
    out = []
    for speaker, count in (("kokoro-a-en", 4), ("espeak-zh0", 3), ("solo", 1)):
        for i in range(count):
            n = 3 + i
            out.append(Item(f"{speaker}_{i:05d}", 4 * n, torch.arange(1, n + 1), torch.full((8, n), float(i)),
                            torch.arange(2 * n) + 100 * i))
    return out


def test_pairs_join_two_utterances_of_one_speaker_in_prompt_target_order() -> None:
    items = _items()
    paired = with_pairs(items, fraction=1.0, seed=3)
    assert len(paired) == len(items)
    assert paired[-1] is items[-1]  # a speaker with one utterance stays single
    for original, item in zip(items[:-1], paired[:-1], strict=True):
        assert isinstance(item, PairedItem) and item.second is original
        assert item.first is not original and speaker_of(item.first.slice_id) == speaker_of(original.slice_id)
        assert torch.equal(item.phone_ids, torch.cat([item.first.phone_ids, original.phone_ids]))
        assert torch.equal(item.semantic[-original.semantic.shape[0]:], original.semantic)
        assert item.bert.shape == (8, item.phone_ids.shape[0]) and item.frames == item.first.frames + original.frames
    batch = collate_s1(paired[:3], eos=1024)
    assert batch.phones.shape[1] == max(i.phone_ids.shape[0] for i in paired[:3])


def test_pairing_is_fixed_by_the_seed_and_respects_fraction_and_length() -> None:
    items = _items()
    ids = lambda xs: [x.slice_id for x in xs]  # noqa: E731
    assert ids(with_pairs(items, 0.5, seed=1)) == ids(with_pairs(items, 0.5, seed=1))
    assert with_pairs(items, 0.0, seed=1) == items
    assert all(not isinstance(x, PairedItem) for x in with_pairs(items, 1.0, seed=1, max_frames=10))
    mixed = with_pairs(items * 20, 0.5, seed=2)
    share = sum(isinstance(x, PairedItem) for x in mixed) / len(mixed)
    assert 0.3 < share < 0.7


def test_pairs_are_drawn_anew_each_epoch_and_reproducibly() -> None:
    from gpt_sovits.pretrain.pairs import pairs_for_epoch

    items = _items() * 3  # speakers with several utterances each
    ids = lambda xs: [x.slice_id for x in xs]  # noqa: E731
    assert ids(pairs_for_epoch(items, 1.0, 7, epoch=4)) == ids(pairs_for_epoch(items, 1.0, 7, epoch=4))
    epochs = [pairs_for_epoch(items, 1.0, 7, epoch) for epoch in range(8)]
    assert len({tuple(ids(e)) for e in epochs}) == 8
    for epoch in epochs:  # same length, every target at its own index, prompts of its speaker
        assert len(epoch) == len(items)
        for original, item in zip(items, epoch, strict=True):
            target = item.second if isinstance(item, PairedItem) else item
            assert target is original
    # a target meets several prompts over the run (a fixed draw gave it one, every epoch)
    prompts = {e[0].first.slice_id for e in epochs if isinstance(e[0], PairedItem)}
    assert len(prompts) > 1
    fixed = [with_pairs(items, 1.0, 7) for _ in range(3)]
    assert len({tuple(ids(e)) for e in fixed}) == 1
