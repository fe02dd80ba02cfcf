"""A loss that keeps the phones: a small frozen mel → phone recogniser judges S2's output.

Why: with the mel L1 loss alone S2's posterior path learns timbre and spectral envelope but not
what is said. Measured in session 12 (MODEL_CARD): behind the rate bridge the decoder speaks
Piper joe's own latents with 3.8 % WER, yet the posterior reconstruction of every voice but joe
(the one the latent anchor supervises) loses a third to two thirds of the words, and a fine-tune
on one voice that lowered the validation mel from 58 to 33 made the reconstruction *less*
intelligible (0.67 → 0.80 WER).

The recogniser (:class:`MelPhoneRecognizer`) reads pronounced phones from the S2's own log-mel
frames (50 Hz, the decodable bins) and is trained once with CTC on the corpus
(:func:`fit_mel_recognizer`); band-limited copies of every utterance (everything above a cut-off
between 3.4 and 8 kHz at the floor) teach it telephone-band speech too. During S2 training
(:class:`PhoneLoss`) it stays frozen and compares, frame by frame, its phone posteriors on the real
slice with those on the generated slice: ``weight x KL(p_real || p_fake)``, averaged over frames.
No alignment is needed, and the gradient points to what a listener would hear as another phone.

Shapes: b = batch, n = 50 Hz frames, m = mel bins used, c = phone classes (CTC blank + symbols).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from gpt_sovits.audio.spectral import LOG_CLAMP
from gpt_sovits.pretrain.phone_space import ctc_targets, greedy_phone_error, silent_ids, train_ctc
from gpt_sovits.text.symbols import symbols

LOG_FLOOR = math.log(LOG_CLAMP)
BAND_CUTOFFS_HZ = (3400.0, 8000.0)
RECOGNIZER_FILE = "mel-phones.safetensors"  # in a run's run/ folder and in an exported profile
RECOGNIZER_SEED = 4321


class MelPhoneRecognizer(nn.Module):
    """``[b, n, m]`` log-mel frames → ``[b, n, c]`` logits; five convolutions (±10 frames)."""

    def __init__(self, bins: int, classes: int, hidden: int = 256, blocks: int = 4) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(bins))
        self.register_buffer("std", torch.ones(bins))
        self.inp = nn.Conv1d(bins, hidden, kernel_size=5, padding=2)
        self.blocks = nn.ModuleList(nn.Conv1d(hidden, hidden, kernel_size=5, padding=2) for _ in range(blocks))
        self.classify = nn.Linear(hidden, classes)

    @property
    def bins(self) -> int:
        return int(self.mean.numel())

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        x = ((mel - self.mean) / self.std).transpose(1, 2)
        h = self.inp(x).relu()
        for conv in self.blocks:
            h = h + conv(h).relu()
        return self.classify(h.transpose(1, 2))


def band_limit(mel: torch.Tensor, cutoff_hz: float, fmax_hz: float, total_bins: int) -> torch.Tensor:
    """``mel`` ``[n, m]`` with the bins above ``cutoff_hz`` at the log floor. ``m`` is the lower
    part of a filterbank of ``total_bins`` bins spaced evenly on the Slaney mel scale from 0 to
    ``fmax_hz`` (:func:`gpt_sovits.audio.spectral.mel_filterbank`)."""
    import librosa

    keep = int(total_bins * librosa.hz_to_mel(cutoff_hz) / librosa.hz_to_mel(fmax_hz))
    out = mel.clone()
    out[:, keep:] = LOG_FLOOR
    return out


def fit_mel_recognizer(utterances: Sequence[tuple[torch.Tensor, Sequence[int]]], fmax_hz: float, total_bins: int,
                       epochs: int,
                       generator: torch.Generator, batch_size: int = 16,
                       lr: float = 2e-3) -> tuple[MelPhoneRecognizer, list[tuple[torch.Tensor, torch.Tensor]]]:
    """Train on ``(log-mel [n, m], phone symbol ids)`` utterances, each also once band-limited at a
    cut-off drawn from ``BAND_CUTOFFS_HZ``. Returns the recogniser (eval mode) and its CTC data.

    Utterances with no pronounced phone, or more phones than frames, are left out.

    Raises:
        ValueError: no usable utterance.
    """
    silent = silent_ids()
    data = [(mel.float(), ctc_targets(ids, silent)) for mel, ids in utterances]
    data = [(x, y) for x, y in data if 0 < len(y) <= len(x)]
    if not data:
        raise ValueError("no utterance has both frames and pronounced phones to train a mel phone recogniser")
    low, high = BAND_CUTOFFS_HZ
    cutoffs = low + (high - low) * torch.rand(len(data), generator=generator)
    data += [(band_limit(x, float(c), fmax_hz, total_bins), y) for (x, y), c in zip(data, cutoffs, strict=True)]
    frames = torch.cat([x for x, _ in data])
    with torch.random.fork_rng():  # initial weights from ``generator``; the global RNG is untouched
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))
        model = MelPhoneRecognizer(frames.shape[1], len(symbols()) + 1)
    model.mean.copy_(frames.mean(0))
    model.std.copy_(frames.std(0).clamp(min=1e-3))
    train_ctc(model, data, epochs, generator, batch_size, lr)
    model.zero_grad(set_to_none=True)
    return model.eval(), data


def recognizer_phone_error(model: MelPhoneRecognizer, data: list[tuple[torch.Tensor, torch.Tensor]]) -> float:
    """Greedy CTC phone error of ``model`` on ``(log-mel, CTC targets)`` pairs."""
    return greedy_phone_error(model, data)


class PhoneLoss:
    """``weight x KL(p_real || p_fake)`` of a frozen recogniser's phone posteriors, mean per frame.

    Called with the real and generated log-mels ``[b, M, n]`` of the same slices (all M bins; the
    recogniser reads its lower ``bins``).
    """

    def __init__(self, recognizer: MelPhoneRecognizer, weight: float) -> None:
        self.recognizer = recognizer.eval().requires_grad_(False)
        self.weight = weight

    def __call__(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        bins = self.recognizer.bins
        self.recognizer.to(fake.device)
        with torch.no_grad():
            log_p = self.recognizer(real[:, :bins].transpose(1, 2).float()).log_softmax(-1)
        log_q = self.recognizer(fake[:, :bins].transpose(1, 2).float()).log_softmax(-1)
        return self.weight * (log_p.exp() * (log_p - log_q)).sum(-1).mean()


def utterance_mel(spec: torch.Tensor, cfg) -> torch.Tensor:
    """The recogniser's input ``[n, m]`` for a linear spectrogram ``[1025, n]``: the S2's log-mel
    (``cfg``: its S2Config) cut to the bins its decoder can make."""
    from gpt_sovits.audio.spectral import spec_to_mel
    from gpt_sovits.train.s2_trainer import decodable_mel_bins

    mel = spec_to_mel(spec.float(), sr=cfg.sampling_rate, n_fft=cfg.filter_length, n_mels=cfg.n_mel_channels,
                      fmin=cfg.mel_fmin, fmax=cfg.mel_fmax)
    return mel[: decodable_mel_bins(cfg)].T


def run_recognizer(items: Sequence, cfg, epochs: int, path: Path) -> MelPhoneRecognizer:
    """The phone recogniser of a pretraining run: loaded from ``path`` when it exists (a run keeps
    one judge for its whole life, even when its corpus grows), else trained on ``items`` (``.spec``
    ``[1025, n]``, ``.phone_ids``) with a fixed seed and saved there.

    Raises:
        ValueError: no usable training utterance.
    """
    if path.is_file():
        return load_recognizer(path)
    data = [(utterance_mel(item.spec, cfg), item.phone_ids.tolist()) for item in items]
    fmax = cfg.mel_fmax or cfg.sampling_rate / 2
    model, _ = fit_mel_recognizer(data, fmax, cfg.n_mel_channels, epochs, torch.Generator().manual_seed(RECOGNIZER_SEED))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    save_recognizer(model, tmp)
    tmp.replace(path)
    return model


def save_recognizer(model: MelPhoneRecognizer, path: Path) -> None:
    from safetensors.torch import save_file

    meta = {"bins": str(model.bins), "classes": str(model.classify.out_features),
            "hidden": str(model.inp.out_channels), "blocks": str(len(model.blocks))}
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path), metadata=meta)


def load_recognizer(path: Path) -> MelPhoneRecognizer:
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(path), "pt") as handle:
        meta = handle.metadata()
    model = MelPhoneRecognizer(int(meta["bins"]), int(meta["classes"]), int(meta["hidden"]), int(meta["blocks"]))
    model.load_state_dict(load_file(str(path)), strict=True)
    return model.eval()
