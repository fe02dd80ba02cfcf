"""Does a token sequence say the right phones? A small CTC phone recogniser that reads semantic tokens.

Why: judging S1 by Whisper on S2's rendering of its tokens mixes two models: with the starter's S2
still far from perfect (its prior path misreads most of a sentence even from the *true* tokens),
S1's own progress is invisible. Reading the phones straight from the tokens measures S1 alone:
the readout is trained on the true tokens of the corpus's training utterances, then reads the
tokens S1 writes for a text; their phone error against that text says whether S1 reads.

Model: token embedding → one convolution (5 tokens, ±80 ms at 25 Hz) → phone classes + CTC blank
(the same targets as :mod:`gpt_sovits.pretrain.phone_space`: pronounced symbols only). On the 2 h
starter corpus (1,740 training utterances) 8 epochs take ~66 s on 2 idle cores, after ~57 s of
loading the cached tokens.

Shapes: n = 25 Hz tokens, p = phones, k = codebook entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from gpt_sovits.pretrain.phone_space import ctc_collapse, ctc_targets, silent_ids, train_ctc
from gpt_sovits.text.symbols import symbols


class TokenReadout(nn.Module):
    """``[b, n]`` token ids → ``[b, n, classes]`` logits (class 0 = CTC blank, symbol id + 1 after)."""

    def __init__(self, codes: int, classes: int, dims: int = 64, hidden: int = 256) -> None:
        super().__init__()
        self.embed = nn.Embedding(codes, dims)
        self.conv = nn.Conv1d(dims, hidden, kernel_size=5, padding=2)
        self.classify = nn.Linear(hidden, classes)
        self.trained_on = ""  # fingerprint of the training tokens (set by reading.run_readout)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.conv(self.embed(tokens).transpose(1, 2)).relu()
        return self.classify(x.transpose(1, 2))

    @torch.no_grad()
    def read(self, tokens: torch.Tensor) -> list[int]:
        """Greedy CTC reading of one sequence ``[n]``: the phone symbol ids it hears.

        Raises:
            ValueError: a token id outside the codebook (e.g. an S1's EOS left in).
        """
        if tokens.numel() == 0:
            return []
        codes = self.embed.num_embeddings
        if int(tokens.min()) < 0 or int(tokens.max()) >= codes:
            raise ValueError(f"token ids must lie in 0..{codes - 1}; strip S1's EOS before reading")
        return [c - 1 for c in ctc_collapse(self(tokens.long()[None])[0].argmax(-1).tolist())]


def fit_token_readout(utterances: Sequence[tuple[torch.Tensor, Sequence[int]]], codes: int, epochs: int,
                      generator: torch.Generator, batch_size: int = 16, lr: float = 3e-3) -> TokenReadout:
    """Train a readout on ``(tokens [n], phone symbol ids)`` utterances of a ``codes``-entry codebook.

    Utterances with no pronounced phone, or more phones than tokens (CTC cannot align them), are
    left out.

    Raises:
        ValueError: no usable utterance, or a token id outside ``0..codes-1``.
    """
    silent = silent_ids()
    data = [(t.long(), ctc_targets(ids, silent)) for t, ids in utterances]
    data = [(x, y) for x, y in data if 0 < len(y) <= len(x)]
    if not data:
        raise ValueError("no utterance has both semantic tokens and pronounced phones to train a token readout")
    if any(int(x.min()) < 0 or int(x.max()) >= codes for x, _ in data):
        raise ValueError(f"token ids must lie in 0..{codes - 1} for a {codes}-entry codebook")
    with torch.random.fork_rng():  # initial weights from ``generator``; the global RNG is untouched
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))
        model = TokenReadout(codes, len(symbols()) + 1)
    train_ctc(model, data, epochs, generator, batch_size, lr)
    return model.eval()


def phone_errors(readout: TokenReadout, tokens: torch.Tensor, phone_ids: Sequence[int]) -> tuple[int, int]:
    """(edits, reference phones) of the readout's reading of ``tokens`` against the pronounced
    phones of ``phone_ids``."""
    from gpt_sovits.evaluation.metrics import edit_distance

    silent = silent_ids()
    reference = [int(i) for i in phone_ids if int(i) not in silent]
    return edit_distance(reference, readout.read(tokens)), len(reference)


def save_readout(readout: TokenReadout, path: Path) -> None:
    """Write ``readout`` as safetensors (fp32 weights; sizes and the symbol count in the metadata)."""
    from safetensors.torch import save

    from gpt_sovits.fileio import atomic_open

    meta = {"codes": str(readout.embed.num_embeddings), "classes": str(readout.classify.out_features),
            "dims": str(readout.embed.embedding_dim), "hidden": str(readout.conv.out_channels),
            "trained_on": readout.trained_on}
    state = {k: v.detach().float().contiguous() for k, v in readout.state_dict().items()}
    with atomic_open(Path(path), "wb") as handle:
        handle.write(save(state, metadata=meta))


def load_readout(path: Path) -> TokenReadout:
    """A readout written by :func:`save_readout`, in eval mode.

    Raises:
        CheckpointError: not a readout file, or one made for another phone symbol table.
    """
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    from gpt_sovits.errors import CheckpointError

    try:
        with safe_open(str(path), "pt") as handle:
            meta = handle.metadata() or {}
        sizes = {k: int(meta[k]) for k in ("codes", "classes", "dims", "hidden")}
        readout = TokenReadout(sizes["codes"], sizes["classes"], sizes["dims"], sizes["hidden"])
        readout.load_state_dict(load_file(str(path)), strict=True)
    except (OSError, SafetensorError, KeyError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{Path(path).name}: not a token readout ({exc}); delete it or export the "
                              "profile again") from None
    if sizes["classes"] != len(symbols()) + 1:
        raise CheckpointError(f"{Path(path).name}: made for {sizes['classes'] - 1} phone symbols, this "
                              f"version has {len(symbols())}; export the profile again")
    readout.trained_on = meta.get("trained_on", "")
    return readout.eval()
