"""Text melody: the pitch contour a sentence's phones ask for, for decoders that predict their own F0.

The envelope decoder (:mod:`gpt_sovits.models.s2.envelope_decoder`) reads its melody from the latent
alone, and flattens Mandarin's tones (MODEL_CARD, session 39: spread 0.57 of the recordings', correlation
0.69). The tones are written in the text: every Mandarin final carries its tone in its phone symbol, and
a phone-pointer S1 says which phone each semantic token speaks. :class:`TextMelody` reads both (phone
ids and the token -> phone alignment) and predicts log F0 relative to the sentence's own median at the
decoder's frame rate (``frames_per_token`` = 4: 25 Hz tokens, 100 Hz envelope frames). Synthesis keeps
the decoder's level and voicing and takes this contour's shape (:class:`~gpt_sovits.models.s2.
envelope_decoder.PitchControl`'s ``contour``).

It is trained apart from S1 and S2 (:mod:`gpt_sovits.pretrain.melody_fit`) and shipped beside the S2
weights as ``melody.safetensors`` (:data:`gpt_sovits.voice_format.MELODY_FILE`); it applies only to sentences whose phones it has learnt
(:meth:`TextMelody.covers`), so a Mandarin-trained model leaves English to the decoder.

Shapes: p = phones, n = tokens, k = n * frames_per_token.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

COVERAGE = 0.9  # share of a sentence's pronounced phones the model must have learnt to speak for it


@dataclass
class MelodyConfig:
    """Sizes of :class:`TextMelody` (the defaults are what the starter ships)."""

    vocab_size: int = 732
    dim: int = 96
    phone_layers: int = 3
    frame_dilations: tuple[int, ...] = (1, 2, 4, 8, 1)
    frames_per_token: int = 4
    kernel: int = 5
    dropout: float = 0.0
    blend: float = 1.0  # share of this contour in the melody's shape at synthesis (the rest: the decoder's)

    @classmethod
    def from_dict(cls, data: dict) -> MelodyConfig:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if "frame_dilations" in known:
            known["frame_dilations"] = tuple(int(d) for d in known["frame_dilations"])
        return cls(**known)


class _Residual(nn.Module):
    def __init__(self, dim: int, kernel: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(1, dim)
        self.conv = nn.Conv1d(dim, dim, kernel, padding=dilation * (kernel // 2), dilation=dilation)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [1, d, t]
        return x + self.dropout(self.conv(F.gelu(self.norm(x))))


def phone_spans(alignment: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For each token of ``alignment`` [n] (phone index per token): the index of the first token of
    its run of equal entries and the run's length, both [n]."""
    n = alignment.numel()
    if n == 0:
        return torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long)
    new_run = torch.ones(n, dtype=torch.bool)
    new_run[1:] = alignment[1:] != alignment[:-1]
    run_id = torch.cumsum(new_run.long(), 0) - 1
    starts = torch.nonzero(new_run).flatten()
    lengths = torch.diff(torch.cat([starts, torch.tensor([n])]))
    return starts[run_id], lengths[run_id]


class TextMelody(nn.Module):
    """Phones + token alignment -> log F0 relative to the sentence's median, ``[k]``."""

    def __init__(self, config: MelodyConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or MelodyConfig()
        self.embed = nn.Embedding(config.vocab_size, config.dim)
        self.phones = nn.ModuleList([_Residual(config.dim, config.kernel, 1, config.dropout)
                                     for _ in range(config.phone_layers)])
        self.project = nn.Linear(config.dim + 3, config.dim)
        self.frames = nn.ModuleList([_Residual(config.dim, config.kernel, d, config.dropout)
                                     for d in config.frame_dilations])
        self.out = nn.Conv1d(config.dim, 1, 1)
        self.register_buffer("known", torch.zeros(config.vocab_size, dtype=torch.bool))  # phones seen in training

    def forward(self, phone_ids: torch.Tensor, alignment: torch.Tensor) -> torch.Tensor:
        """``phone_ids`` [p], ``alignment`` [n] (indices into ``phone_ids``) -> ``[n * frames_per_token]``."""
        phone_ids, alignment = phone_ids.reshape(-1).long(), alignment.reshape(-1).long()
        h = self.embed(phone_ids.clamp(0, self.config.vocab_size - 1)).T[None]  # [1, d, p]
        for block in self.phones:
            h = block(h)
        h = h[0].T  # [p, d]
        per = self.config.frames_per_token
        frame = torch.arange(alignment.numel() * per)
        token = frame // per
        start, length = (t[token].float() for t in phone_spans(alignment))
        where = (frame.float() - per * start + 0.5) / (per * length)  # position within the phone, (0, 1)
        first = (where < 1.0 / (per * length)).float()
        x = torch.cat([h[alignment[token]], where[:, None], torch.log(length)[:, None] / 3, first[:, None]], dim=1)
        x = self.project(x).T[None]  # [1, d, k]
        for block in self.frames:
            x = block(x)
        return self.out(x)[0, 0]

    def covers(self, phone_ids: Sequence[int]) -> bool:
        """Whether this model has learnt enough of these phones (pronounced ones) to give their melody."""
        from gpt_sovits.features.token_align import pronounced_positions

        positions = pronounced_positions(phone_ids)
        if not positions:
            return False
        ids = torch.tensor([int(phone_ids[i]) for i in positions]).clamp(0, self.config.vocab_size - 1)
        return float(self.known[ids].float().mean()) >= COVERAGE


def melody_loss(predicted: torch.Tensor, f0_hz: torch.Tensor) -> torch.Tensor | None:
    """L1 between the predicted relative log F0 [k] and the recording's F0 [k'] (Hz, 0 = unvoiced),
    both taken about their mean over the voiced frames (the level is the decoder's business); None
    when fewer than 5 frames are voiced. A small term keeps the prediction centred on 0."""
    n = min(predicted.shape[0], f0_hz.shape[0])
    predicted, f0_hz = predicted[:n], f0_hz[:n]
    voiced = f0_hz > 0
    if int(voiced.sum()) < 5:
        return None
    target = torch.log(f0_hz[voiced])
    guess = predicted[voiced]
    return (guess - guess.mean() - (target - target.mean())).abs().mean() + 0.1 * guess.mean() ** 2


def save_melody(model: TextMelody, path: Path) -> None:
    """fp16 weights + the config (and the phones it knows) as safetensors metadata, written atomically."""
    from safetensors.torch import save

    from gpt_sovits.fileio import atomic_open

    state = {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in model.state_dict().items()}
    meta = {"kind": "text-melody", "config": json.dumps(asdict(model.config))}
    with atomic_open(path, "wb") as handle:
        handle.write(save(state, metadata=meta))


def load_melody(path: Path) -> TextMelody:
    """A model saved by :func:`save_melody`, in eval mode (float32).

    Raises:
        CheckpointError: unreadable or not a melody model.
    """
    from safetensors import SafetensorError, safe_open

    from gpt_sovits.errors import CheckpointError

    try:
        with safe_open(str(path), framework="pt") as handle:
            meta = handle.metadata() or {}
            state = {k: handle.get_tensor(k) for k in handle.keys()}
        if meta.get("kind") != "text-melody":
            raise CheckpointError(f"{path.name} is not a text-melody file (kind {meta.get('kind')!r})")
        model = TextMelody(MelodyConfig.from_dict(json.loads(meta["config"])))
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    except (OSError, ValueError, KeyError, RuntimeError, SafetensorError) as exc:
        raise CheckpointError(f"{path.name} could not be read as a text-melody model ({exc}); "
                              "copy it again from the base's folder") from exc
    return model.eval()
