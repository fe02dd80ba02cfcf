"""Training data from the feature cache: items, train/validation split, bucketed batches, collation.

Shapes: c = content channels, t = 50 Hz frames (= spectrogram frames, 640 samples at 32 kHz),
p = phones, n = samples at 32 kHz, y = 25 Hz semantic tokens.

The batch order of an epoch is a pure function of ``(seed, epoch)`` (items sorted by length into
buckets, shuffled within buckets, batches shuffled), so resuming needs only the epoch and the
batch index, and a resumed run sees exactly the batches an uninterrupted run would.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from gpt_sovits.audio.spectral import linear_spectrogram
from gpt_sovits.features.cache import FeatureCache

HOP = 640
SAMPLE_RATE = 32000
BERT_DIM = 1024


@dataclass
class TrainItem:
    """One cached slice, cropped to an even number of 50 Hz frames.

    Args:
        slice_id: the slice name.
        text: its label text; language: its label language.
        phone_ids: [p] int64; bert: [1024, p] (zeros for profiles without BERT).
        content: [c, t] content features; spec: [1025, t] linear spectrogram; wav: [t * 640] audio.
        semantic: [y] semantic tokens (from the whole clip).
        f0: [t] pitch per frame in Hz (0 = unvoiced), filled in by :func:`item_f0` when first needed.
        envelope: ([2t, 80] log envelope, [2t] F0 in Hz) at half-frame hops, filled in by
            :func:`item_envelope` when first needed (targets of the envelope decoder).
    """

    slice_id: str
    text: str
    language: str
    phone_ids: torch.Tensor
    bert: torch.Tensor
    content: torch.Tensor
    spec: torch.Tensor
    wav: torch.Tensor
    semantic: torch.Tensor
    f0: torch.Tensor | None = None
    envelope: tuple[torch.Tensor, torch.Tensor] | None = None

    @property
    def frames(self) -> int:
        return int(self.spec.shape[-1])

    @property
    def seconds(self) -> float:
        return self.wav.shape[0] / SAMPLE_RATE


def load_items(cache: FeatureCache, slice_ids: Sequence[str]) -> list[TrainItem]:
    """Read the cached features of ``slice_ids``; slices shorter than two frames are skipped."""
    items = []
    for slice_id in slice_ids:
        feats = cache.load(slice_id)
        frames = min(feats.content.shape[-1], feats.wav32k.shape[0] // HOP) // 2 * 2
        if frames < 2 or not feats.phone_ids or feats.semantic.numel() == 0:
            continue
        wav = feats.wav32k[: frames * HOP].float()  # [t * 640]
        items.append(TrainItem(
            slice_id=slice_id, text=feats.text, language=feats.language,
            phone_ids=torch.tensor(feats.phone_ids, dtype=torch.long),
            bert=feats.bert_or_zeros(BERT_DIM).float(),
            content=feats.content[:, :frames].float(),
            spec=linear_spectrogram(wav),  # [1025, t]
            wav=wav,
            semantic=feats.semantic.long(),
        ))
    return items


def item_f0(item: TrainItem) -> torch.Tensor:
    """The item's pitch ``[t]`` in Hz (0 = unvoiced) at its spectrogram frames' centres (YIN,
    :func:`gpt_sovits.audio.pitch.pitch_track`), computed once and kept on the item."""
    if getattr(item, "f0", None) is None:
        from gpt_sovits.audio.pitch import pitch_track

        # frame i of the spectrogram is centred at (i + 0.5) hops: every other frame of a track at twice the rate
        track = pitch_track(item.wav.numpy(), SAMPLE_RATE, 2 * SAMPLE_RATE / HOP)[1::2][: item.frames]
        item.f0 = F.pad(torch.from_numpy(track).float(), (0, item.frames - track.shape[0]))
    return item.f0


def item_envelope(item: TrainItem) -> tuple[torch.Tensor, torch.Tensor]:
    """The item's envelope-decoder targets: log envelope ``[2t, 80]`` and F0 ``[2t]`` (Hz, 0 =
    unvoiced) at frames ``HOP / 2`` apart centred at ``(i + 0.5) * HOP / 2`` (two per spectrogram
    frame; :mod:`gpt_sovits.audio.envelope`), computed once and kept on the item."""
    if getattr(item, "envelope", None) is None:
        from gpt_sovits.audio.envelope import analyse
        from gpt_sovits.audio.pitch import pitch_track

        n = 2 * item.frames
        wav = item.wav.numpy()  # [-1, 1]
        track = pitch_track(wav, SAMPLE_RATE, 4 * SAMPLE_RATE / HOP)[1::2][:n]
        track = np.pad(track, (0, n - track.shape[0]))
        env = analyse(wav, SAMPLE_RATE, HOP // 2, track)
        item.envelope = (torch.from_numpy(env).float(), torch.from_numpy(track).float())
    return item.envelope


def auto_val_count(n_items: int) -> int:
    """Held-out slices: none for a single slice, 1 for up to 19, then 10 % (at most 4)."""
    if n_items < 2:
        return 0
    return min(4, max(1, n_items // 10))


def split_items(items: list[TrainItem], n_val: int, seed: int) -> tuple[list[TrainItem], list[TrainItem]]:
    """Deterministic (seeded) train/validation split; at least one item stays for training."""
    n_val = min(n_val, len(items) - 1) if items else 0
    order = np.random.default_rng(seed).permutation(len(items))
    val_idx = set(order[:n_val].tolist())
    train = [item for i, item in enumerate(items) if i not in val_idx]
    val = [item for i, item in enumerate(items) if i in val_idx]
    return train, val


def auto_batch_size(stage: str, n_items: int, device: torch.device) -> int:
    """Items per step from the data size and the device.

    CUDA: the original's rule (half the GPU memory in GiB, at most 16 here); CPU: small batches,
    because a CPU step costs time proportional to the batch and 1 minute of data is ~15 slices,
    so small batches give more optimiser steps per second of compute. Never more than a quarter
    of the data (the original's ``min(batch, len / 4)``), never less than 1.
    """
    if device.type == "cuda":
        gib = torch.cuda.get_device_properties(device).total_memory / 2**30
        wanted = max(1, min(16, int(gib // 2)))
    else:
        wanted = 4 if stage == "s2" else 8
    return max(1, min(wanted, n_items // 4 if n_items >= 4 else 1))


def bucket_batches(lengths: Sequence[int], batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """Batches of similar-length items; the order depends only on ``(seed, epoch)``."""
    rng = np.random.default_rng([seed, epoch])
    jitter = rng.random(len(lengths))  # shuffles items of equal length
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], jitter[i]))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches)).tolist()]


def steps_per_epoch(n_items: int, batch_size: int) -> int:
    return math.ceil(n_items / batch_size) if n_items else 0


def _pad_stack(tensors: list[torch.Tensor], length: int, value: float = 0.0) -> torch.Tensor:
    """Right-pad the last axis of each tensor to ``length`` and stack: [B, ..., length]."""
    return torch.stack([F.pad(t, (0, length - t.shape[-1]), value=value) for t in tensors])


@dataclass
class S2Batch:
    """ssl [B, c, T], spec [B, 1025, T], spec_lengths [B], wav [B, 1, T * 640], text [B, L],
    text_lengths [B], f0 [B, T] (Hz, 0 = unvoiced; only when asked for), env [B, 2T, 80] and
    env_f0 [B, 2T] (envelope targets; only when asked for); T is even and at least one training
    segment long."""

    ssl: torch.Tensor
    spec: torch.Tensor
    spec_lengths: torch.Tensor
    wav: torch.Tensor
    text: torch.Tensor
    text_lengths: torch.Tensor
    f0: torch.Tensor | None = None
    env: torch.Tensor | None = None
    env_f0: torch.Tensor | None = None

    def to(self, device: torch.device) -> S2Batch:
        return S2Batch(*(None if t is None else t.to(device) for t in (
            self.ssl, self.spec, self.spec_lengths, self.wav, self.text, self.text_lengths, self.f0,
            self.env, self.env_f0)))


def collate_s2(items: Sequence[TrainItem], min_frames: int, f0: bool = False, envelope: bool = False) -> S2Batch:
    """Pad a list of items into an :class:`S2Batch` (short clips are zero-padded to ``min_frames``);
    with ``f0`` also their pitch (:func:`item_f0`), with ``envelope`` the envelope decoder's targets
    (:func:`item_envelope`: ``env`` [B, 2T, 80], ``env_f0`` [B, 2T])."""
    frames = max(max(item.frames for item in items), min_frames)
    frames += frames % 2
    text_len = max(item.phone_ids.shape[0] for item in items)
    return S2Batch(
        ssl=_pad_stack([item.content for item in items], frames),
        spec=_pad_stack([item.spec for item in items], frames),
        spec_lengths=torch.tensor([item.frames for item in items], dtype=torch.long),
        wav=_pad_stack([item.wav for item in items], frames * HOP).unsqueeze(1),
        text=_pad_stack([item.phone_ids for item in items], text_len),
        text_lengths=torch.tensor([item.phone_ids.shape[0] for item in items], dtype=torch.long),
        f0=_pad_stack([item_f0(item) for item in items], frames) if f0 else None,
        env=_pad_stack([item_envelope(item)[0].t() for item in items], 2 * frames).transpose(1, 2) if envelope else None,
        env_f0=_pad_stack([item_envelope(item)[1] for item in items], 2 * frames) if envelope else None,
    )


@dataclass
class S1Batch:
    """phones [B, X], phone_lens [B], bert [B, 1024, X], semantic [B, Y], semantic_lens [B];
    prompt_phone_lens / prompt_semantic_lens [B]: how much of each item is a prompt sentence
    (pretraining's prompt + target pairs; 0 for a single sentence); pointer [B, Y] / advance
    [B, Y+1]: a phone-pointer S1's inputs and targets (:mod:`gpt_sovits.models.s1.pointer`), from
    the items' ``alignment`` when they all have one."""

    phones: torch.Tensor
    phone_lens: torch.Tensor
    bert: torch.Tensor
    semantic: torch.Tensor
    semantic_lens: torch.Tensor
    prompt_phone_lens: torch.Tensor | None = None
    prompt_semantic_lens: torch.Tensor | None = None
    pointer: torch.Tensor | None = None
    advance: torch.Tensor | None = None

    def to(self, device: torch.device) -> S1Batch:
        return S1Batch(*(None if t is None else t.to(device) for t in (
            self.phones, self.phone_lens, self.bert, self.semantic, self.semantic_lens, self.prompt_phone_lens,
            self.prompt_semantic_lens, self.pointer, self.advance)))


def collate_s1(items: Sequence[TrainItem], eos: int) -> S1Batch:
    """Right-pad phones (0), BERT (0) and semantic tokens (EOS) into an :class:`S1Batch`."""
    text_len = max(item.phone_ids.shape[0] for item in items)
    sem_len = max(item.semantic.shape[0] for item in items)
    pointer = advance = None
    alignments = [getattr(item, "alignment", None) for item in items]
    if all(a is not None for a in alignments):
        from gpt_sovits.models.s1.pointer import collate_pointer

        pointer, advance = collate_pointer(alignments, sem_len)
    return S1Batch(
        phones=_pad_stack([item.phone_ids for item in items], text_len),
        phone_lens=torch.tensor([item.phone_ids.shape[0] for item in items], dtype=torch.long),
        bert=_pad_stack([item.bert for item in items], text_len),
        semantic=_pad_stack([item.semantic for item in items], sem_len, value=eos),
        semantic_lens=torch.tensor([item.semantic.shape[0] for item in items], dtype=torch.long),
        prompt_phone_lens=torch.tensor([getattr(item, "prompt_phones", 0) for item in items], dtype=torch.long),
        prompt_semantic_lens=torch.tensor([getattr(item, "prompt_tokens", 0) for item in items], dtype=torch.long),
        pointer=pointer,
        advance=advance,
    )
