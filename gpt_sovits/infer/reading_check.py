"""Reading check: of several S1 takes, keep the one whose tokens spell the text best.

A base profile can ship a token readout beside its S2 weights
(``token-readout.safetensors``, :mod:`gpt_sovits.pretrain.token_readout`): a small CTC recogniser
that reads phones straight from semantic tokens, trained on the base's corpus. Voices of that base
(zero-shot, or fine-tuned: the codebook stays the base's) then sample ``READING_TAKES`` S1 takes
per segment and keep the one the readout hears closest to the segment's phones, among those the
stability guard accepts. S1 is the cheap half of synthesis (S2 renders only the kept take), so a
few takes cost little, and they catch what the guard cannot: a take of plausible length with
swallowed or invented words.

Measured on the starter's pretraining state (MODEL_CARD.md, session 14; 40 training utterances of
40 voices, each after a prompt of its voice, Whisper-base on S2's rendering, mean error per
utterance capped at 1): one take at the UI defaults 0.90, best of 4 at the same settings 0.85,
best of 4 at top-k 3, temperature 0.5, no repetition penalty 0.77 (greedy, one take: 0.81).

Shapes: n = tokens, p = phones.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

READING_TAKES = 4  # S1 takes per segment attempt when the voice has a readout


def readout_beside(s2_path: str | Path) -> Path:
    """Where a profile or voice folder keeps its token readout (next to the S2 weights)."""
    from gpt_sovits.voice_format import READOUT_FILE

    return Path(s2_path).parent / READOUT_FILE


def load_voice_readout(path: Path, codebook_size: int) -> Any:
    """The readout at ``path``, checked against the voice's codebook.

    Raises:
        CheckpointError: unreadable, or made for another codebook (the message says what to do).
    """
    from gpt_sovits.errors import CheckpointError
    from gpt_sovits.pretrain.token_readout import load_readout

    readout = load_readout(path)
    if readout.embed.num_embeddings != codebook_size:
        raise CheckpointError(f"{path.name} reads a {readout.embed.num_embeddings}-entry codebook, another codebook "
                              f"than the voice's S2 ({codebook_size} entries); export the voice again from its base")
    return readout


def reading_error(readout: Any, tokens: torch.Tensor, phone_ids: Sequence[int]) -> float:
    """Phone errors per pronounced phone of what ``readout`` hears in ``tokens`` [n] (0 = the
    tokens say exactly ``phone_ids``; above 1 when they say much more)."""
    from gpt_sovits.pretrain.token_readout import phone_errors

    tokens = tokens.reshape(-1).long()
    tokens = tokens[(tokens >= 0) & (tokens < readout.embed.num_embeddings)]  # never an EOS or pad id
    edits, units = phone_errors(readout, tokens, phone_ids)
    return edits / max(units, 1)


def take_seed(seed: int, take: int) -> int:
    """S1 sampling seed of the ``take``-th take of an attempt (take 0 keeps the attempt's seed)."""
    return seed if take == 0 else (seed * 6_364_136_223_846_793_005 + take * 1_442_695_040_888_963_407) % (2**63 - 1)
