"""A phone-discriminative space for the semantic codebook: a linear projection learnt with CTC.

Why: k-means of the standardised Whisper features spends its codes on whatever the features vary
with most - voice, pitch, loudness - as much as on what is said. The tokens then carry the words
only loosely, S1 must predict a lot that the text does not tell, and S2 must guess the words back.
Measured with six voices held out (MODEL_CARD.md): a small phone recogniser reading the tokens
(embedding + one convolution + CTC) makes 0.48 phone errors per phone on the held-out voices with
the standardised codebook and 0.39 with this one when trained on 1.0 h; 0.30 vs 0.28 on 2.0 h
(more data narrows the gap; the continuous features read by a linear classifier: 0.29 on 1.0 h).

How: on pair-averaged, standardised 25 Hz frames ``x`` (``[c]`` each) a linear bottleneck
``z = P x + b`` (``d`` dims) and a linear phone classifier on ``z`` are trained with CTC against each
utterance's phones (silent symbols removed). The codebook is then k-means of ``z``. Everything up to
``z`` is linear, so the S2's ``ssl_proj`` (Conv1d, kernel 2, stride 2) holds it exactly
(:func:`gpt_sovits.pretrain.codebook.init_codebook`): pair average, standardisation and ``P`` folded
into one convolution whose output rows beyond ``d`` are zero.

Shapes: c = content channels, t = 50 Hz frames, n = 25 Hz frames, d = projection dims, p = phones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pad_sequence

from gpt_sovits.text.symbols import SILENT_SYMBOLS, phones_to_ids, symbols

HELD_OUT_SHARE = 0.1  # utterances kept aside to report the projection's phone error


@dataclass
class PhoneProjection:
    """``z = weight @ x + bias`` on standardised 25 Hz frames ``x``; ``phone_error``: greedy CTC
    phone error rate of the classifier on held-out utterances (on training ones if there are < 10)."""

    weight: torch.Tensor  # [d, c]
    bias: torch.Tensor  # [d]
    phone_error: float


class _Recogniser(nn.Module):
    def __init__(self, channels: int, dims: int, classes: int) -> None:
        super().__init__()
        self.project = nn.Linear(channels, dims)
        self.classify = nn.Linear(dims, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [b, n, c] -> [b, n, classes] logits
        return self.classify(self.project(x))


def silent_ids(version: str = "v2") -> frozenset[int]:
    """Symbol ids that are not pronounced (CTC targets leave them out)."""
    return frozenset(phones_to_ids(sorted(SILENT_SYMBOLS & set(symbols(version))), version))


def ctc_targets(phone_ids: Sequence[int], silent: frozenset[int]) -> torch.Tensor:
    """The pronounced phones of an utterance as CTC targets ``[p]`` (symbol id + 1; 0 is the blank)."""
    return torch.tensor([int(i) + 1 for i in phone_ids if int(i) not in silent], dtype=torch.long)


def ctc_collapse(best: list[int]) -> list[int]:
    """Greedy CTC decoding of per-frame best classes: repeats merged, blanks (0) dropped."""
    return [c for i, c in enumerate(best) if c != 0 and (i == 0 or c != best[i - 1])]


def train_ctc(model: nn.Module, data: list[tuple[torch.Tensor, torch.Tensor]], epochs: int,
              generator: torch.Generator, batch_size: int, lr: float) -> None:
    """Adam on the CTC loss over ``(input [n, ...], targets [p])`` pairs in shuffled batches; the
    inputs (frames or token ids) are zero-padded and ``model`` maps ``[b, n, ...]`` to ``[b, n, classes]``."""
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        order = torch.randperm(len(data), generator=generator).tolist()
        for start in range(0, len(data), batch_size):
            rows = order[start : start + batch_size]
            inputs = pad_sequence([data[r][0] for r in rows], batch_first=True)
            lengths = torch.tensor([len(data[r][0]) for r in rows])
            targets = [data[r][1] for r in rows]
            log_probs = model(inputs).log_softmax(-1).transpose(0, 1)  # [n, b, classes]
            loss = F.ctc_loss(log_probs, torch.cat(targets), lengths, torch.tensor([len(t) for t in targets]),
                              zero_infinity=True)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()


def greedy_phone_error(model: nn.Module, data: list[tuple[torch.Tensor, torch.Tensor]]) -> float:
    """Edits per reference phone of the greedy CTC readout of ``model`` over ``data``."""
    from gpt_sovits.evaluation.metrics import edit_distance

    edits = units = 0
    with torch.no_grad():
        for frames, target in data:
            hyp = ctc_collapse(model(frames[None])[0].argmax(-1).tolist())
            edits += edit_distance(target.tolist(), hyp)
            units += len(target)
    return round(edits / max(units, 1), 4)


def fit_phone_projection(utterances: Sequence[tuple[torch.Tensor, Sequence[int]]], mean: torch.Tensor,
                         std: torch.Tensor, dims: int, epochs: int, generator: torch.Generator,
                         batch_size: int = 16, lr: float = 2e-3) -> PhoneProjection:
    """Learn the projection from ``(frames [n, c] pair-averaged, phone symbol ids)`` utterances.

    ``mean``/``std`` ``[c]`` standardise the frames first (the codebook's statistics). Utterances
    with no pronounced phone, or more phones than frames (CTC cannot align them), are left out.

    Raises:
        ValueError: no usable utterance, or ``dims`` outside 1..c.
    """
    silent = silent_ids()
    data = [((f.float() - mean) / std, ctc_targets(ids, silent)) for f, ids in utterances]
    data = [(x, y) for x, y in data if 0 < len(y) <= x.shape[0]]
    channels = int(mean.shape[0])
    if not data:
        raise ValueError("no corpus utterance has both content frames and pronounced phones for the phone space")
    if not 1 <= dims <= channels:
        raise ValueError(f"the phone space needs 1..{channels} dims, got {dims}")
    held = len(data) // round(1 / HELD_OUT_SHARE) if len(data) >= 10 else 0
    train, test = data[held:], data[:held] or data[held:]
    with torch.random.fork_rng():  # the layers' initial weights from ``generator``, global RNG untouched
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))
        model = _Recogniser(channels, dims, len(symbols()) + 1)
    train_ctc(model, train, epochs, generator, batch_size, lr)
    return PhoneProjection(weight=model.project.weight.detach().clone(), bias=model.project.bias.detach().clone(),
                           phone_error=greedy_phone_error(model, test))
