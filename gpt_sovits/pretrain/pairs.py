"""Prompt-continuation pairs for S1 pretraining.

At synthesis time S1 reads *prompt phones + target phones* and continues the reference's semantic
tokens. Trained only on single corpus sentences, a from-scratch S1 sees that layout never and ends
the target far too early after a prompt (measured on the starter run: 25-49 tokens where ~85 were
due). The official model learns the layout implicitly from 5,000 hours of long utterances; with a
small corpus we show it explicitly: a share of the S1 training items are two utterances of the
same speaker joined end to end (phones, BERT features and tokens concatenated), which is exactly
what inference feeds the model.

Pairs are drawn afresh for every epoch (:func:`pairs_for_epoch`, seeded by the run's seed and the
epoch), so a resumed run sees exactly the batches it would have seen, and each utterance meets many
prompts over a run instead of the same one every epoch. Runs of ``s1_pairs_each_epoch=False`` keep
one draw for the whole run (:func:`with_pairs`). Speakers come from corpus slice names
(``<voice>_<index>``, see :mod:`gpt_sovits.corpus.build`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import torch


def speaker_of(slice_id: str) -> str:
    """Corpus slice ``kokoro-jfalpha-en_00012`` → speaker ``kokoro-jfalpha-en``."""
    return slice_id.rsplit("_", 1)[0]


class PairedItem:
    """Two utterances of one speaker as one S1 item: ``first`` is the prompt, ``second`` the target.

    Exposes what :func:`gpt_sovits.train.dataset.collate_s1` and the batch bucketing read
    (``phone_ids``, ``bert``, ``semantic``, ``frames``, ``slice_id``).
    """

    def __init__(self, first: Any, second: Any) -> None:
        self.first, self.second = first, second
        self.slice_id = f"{first.slice_id}+{second.slice_id}"
        self.frames = first.frames + second.frames
        # where the target sentence starts (read by collate_s1 for the per-sentence guided diagonal)
        self.prompt_phones, self.prompt_tokens = len(first.phone_ids), len(first.semantic)

    @property
    def phone_ids(self) -> torch.Tensor:  # [p1 + p2]
        return torch.cat([self.first.phone_ids, self.second.phone_ids])

    @property
    def bert(self) -> torch.Tensor:  # [d, p1 + p2]
        return torch.cat([self.first.bert, self.second.bert], dim=1)

    @property
    def semantic(self) -> torch.Tensor:  # [y1 + y2]
        return torch.cat([self.first.semantic, self.second.semantic])

    @property
    def alignment(self) -> list[int] | None:  # [y1 + y2] phone of each token (phone-pointer S1)
        first, second = getattr(self.first, "alignment", None), getattr(self.second, "alignment", None)
        if first is None or second is None:
            return None
        return list(first) + [a + self.prompt_phones for a in second]


def with_pairs(items: list[Any], fraction: float, seed: int, max_frames: int = 1000) -> list[Any]:
    """``items`` with a seeded ``fraction`` of them replaced by a same-speaker pair.

    Each chosen item becomes the target after a different utterance of its speaker (the prompt);
    pairs longer than ``max_frames`` 50 Hz frames (20 s) stay single. Speakers with one utterance
    are never paired. The result has as many items as ``items``, each at the same index.
    """
    return _paired(items, fraction, np.random.default_rng(seed), max_frames)


def pairs_for_epoch(items: list[Any], fraction: float, seed: int, epoch: int,
                    max_frames: int = 1000) -> list[Any]:
    """:func:`with_pairs` drawn for one epoch: the same for the same (seed, epoch), new every epoch."""
    return _paired(items, fraction, np.random.default_rng([seed, epoch]), max_frames)


def _paired(items: list[Any], fraction: float, rng: np.random.Generator, max_frames: int) -> list[Any]:
    if fraction <= 0 or len(items) < 2:
        return list(items)
    by_speaker: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        by_speaker[speaker_of(item.slice_id)].append(index)
    out = []
    for index, item in enumerate(items):
        mates = [i for i in by_speaker[speaker_of(item.slice_id)] if i != index]
        if not mates or rng.random() >= fraction:
            out.append(item)
            continue
        prompt = items[mates[int(rng.integers(len(mates)))]]
        out.append(PairedItem(prompt, item) if prompt.frames + item.frames <= max_frames else item)
    return out
