"""The latents a frozen S2 gives each training item, for runs in which only the envelope decoder learns.

When only the decoder learns, the timbre vector, the posterior's mean and log-std and a prior
latent (noise ``noise_scale``, reverse flow: what synthesis decodes) never change, nor do the
decoder's targets (:func:`gpt_sovits.train.dataset.item_envelope`). :class:`FrozenLatents` computes
them once per item; :meth:`FrozenLatents.fill` does so for a whole run up front and keeps them in a
safetensors file, so a resumed run reads them back instead of computing them again. The file names
the frozen weights it was made from (a hash); a file made from other weights is ignored and rewritten.

Shapes: ``ge`` ``[1, gin, 1]``; ``m_q``, ``logs_q``, ``z_prior`` ``[1, inter, t]`` (fp16 in memory);
envelope targets ``[2t, 80]`` (fp16 on disk) and F0 ``[2t]``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
import torch.nn.functional as F

from gpt_sovits.models.s2.envelope_decoder import envelope_loss
from gpt_sovits.models.s2.model import SynthesizerTrn
from gpt_sovits.train.config import TrainConfig
from gpt_sovits.train.dataset import TrainItem, collate_s2, item_envelope
from gpt_sovits.train.envelope_wave import WaveLoss, wave_term

LATENT_KEYS = ("ge", "m_q", "logs_q", "z_prior")
TARGET_KEYS = ("env", "f0")


def frozen_fingerprint(gen: SynthesizerTrn, noise_scale: float, seed: int) -> str:
    """A hash of everything but the decoder's weights, and of the prior noise's scale and seed."""
    digest = hashlib.sha256(f"{noise_scale}|{seed}".encode())
    for name, tensor in sorted(gen.state_dict().items()):
        if not name.startswith("dec."):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().float().numpy().tobytes())
    return digest.hexdigest()[:32]


class FrozenLatents:
    """Per-item latents of a frozen S2 (see the module docstring). A fresh posterior sample is drawn
    each step; the prior sample is fixed per item."""

    def __init__(self, gen: SynthesizerTrn, noise_scale: float, seed: int) -> None:
        self.gen, self.noise_scale, self.seed = gen, noise_scale, seed
        self.generator = torch.Generator().manual_seed(seed)
        self.cache: dict[str, tuple[torch.Tensor, ...]] = {}
        self.fingerprint: str | None = None  # of the weights the cache was filled from

    def forget_if_changed(self) -> None:
        """Drop the cache when S2's frozen weights are no longer those it was filled from."""
        if self.fingerprint is not None and frozen_fingerprint(self.gen, self.noise_scale,
                                                               self.seed) != self.fingerprint:
            self.cache.clear()
            self.fingerprint = None

    def get(self, item: TrainItem, seg_frames: int) -> tuple[torch.Tensor, ...]:
        """``(ge, m_q, logs_q, z_prior)`` over the item's frames (computed on first use)."""
        if item.slice_id not in self.cache:
            if self.fingerprint is None:  # so that forget_if_changed also guards latents computed on demand
                self.fingerprint = frozen_fingerprint(self.gen, self.noise_scale, self.seed)
            training = self.gen.training
            self.gen.eval()
            with torch.no_grad():
                batch = collate_s2([item], seg_frames)
                out = self.gen(batch.ssl, batch.spec, batch.spec_lengths, batch.text, batch.text_lengths,
                               generator=self.generator)
                z_prior = self.gen.prior_latent(out, self.noise_scale, self.generator)
            self.gen.train(training)
            t = item.frames
            self.cache[item.slice_id] = (out.ge.float(), out.m_q[..., :t].half(), out.logs_q[..., :t].half(),
                                         z_prior[..., :t].half())
        return self.cache[item.slice_id]

    def fill(self, items: Sequence[TrainItem], path: Path | None, seg_frames: int,
             log: Callable[[str], None] | None = None) -> None:
        """Latents and envelope targets of every item: read from ``path`` when it was made from these
        frozen weights, else computed (and, with ``path``, written there)."""
        fingerprint = self.fingerprint = frozen_fingerprint(self.gen, self.noise_scale, self.seed)
        if path is not None and self._read(path, fingerprint, items):
            return
        for index, item in enumerate(items, start=1):
            self.get(item, seg_frames)
            item_envelope(item)
            if log is not None and index % 200 == 0:
                log(f"frozen latents: {index}/{len(items)} items")
        if path is not None:
            self._write(path, fingerprint, items)

    def _read(self, path: Path, fingerprint: str, items: Sequence[TrainItem]) -> bool:
        from safetensors import safe_open

        if not path.is_file():
            return False
        with safe_open(str(path), framework="pt") as f:
            if (f.metadata() or {}).get("fingerprint") != fingerprint:
                return False
            names = set(f.keys())
            if any(f"{item.slice_id}/{key}" not in names for item in items for key in LATENT_KEYS + TARGET_KEYS):
                return False
            for item in items:
                self.cache[item.slice_id] = tuple(f.get_tensor(f"{item.slice_id}/{key}") for key in LATENT_KEYS)
                item.envelope = tuple(f.get_tensor(f"{item.slice_id}/{key}").float() for key in TARGET_KEYS)
        return True

    def _write(self, path: Path, fingerprint: str, items: Sequence[TrainItem]) -> None:
        from safetensors.torch import save_file

        tensors = {}
        for item in items:
            env, f0 = item_envelope(item)
            for key, value in zip(LATENT_KEYS + TARGET_KEYS, self.cache[item.slice_id] + (env.half(), f0), strict=True):
                tensors[f"{item.slice_id}/{key}"] = value.contiguous()
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        save_file(tensors, str(partial), metadata={"fingerprint": fingerprint})
        os.replace(partial, path)


def _padded(tensors: list[torch.Tensor], length: int, value: float = 0.0) -> torch.Tensor:
    """Stack ``[..., t]`` tensors padded on the last axis to ``length``."""
    return torch.cat([F.pad(t, (0, length - t.shape[-1]), value=value) for t in tensors])


def cached_envelope_terms(latents: FrozenLatents, items: list[TrainItem], config: TrainConfig, prior_weight: float,
                          seg_frames: int, generator: torch.Generator | None,
                          wave_loss: WaveLoss | None = None) -> dict[str, torch.Tensor]:
    """``envelope`` (+ ``prior_envelope``; ``wave`` / ``prior_wave`` with ``wave_loss``) of a batch
    from :class:`FrozenLatents`, over all items' frames in one padded pass of the decoder (no KL:
    nothing it measures can change)."""
    dec = latents.gen.dec
    cached = [latents.get(item, seg_frames) for item in items]
    frames = max(item.frames for item in items)
    ge = torch.cat([c[0] for c in cached])
    m_q = _padded([c[1].float() for c in cached], frames)
    logs_q = _padded([c[2].float() for c in cached], frames)
    targets = [item_envelope(item) for item in items]
    env = _padded([t[0].t()[None] for t in targets], 2 * frames).transpose(1, 2)  # [B, 2T, 80]
    f0 = _padded([t[1][None] for t in targets], 2 * frames)
    mask = _padded([torch.ones(1, 2 * item.frames) for item in items], 2 * frames)
    z = m_q + torch.randn(m_q.shape, generator=generator) * torch.exp(logs_q)
    posterior = dec.predict(z, ge)
    found = {"envelope": envelope_loss(posterior, env, f0, mask).float() * config.c_mel}
    lengths, wav = [item.frames for item in items], None
    if wave_loss is not None:
        wav = _padded([item.wav.reshape(1, 1, -1) for item in items], frames * 2 * dec.hop)
        found["wave"] = wave_term(wave_loss, dec, posterior, wav, lengths, generator)
    if prior_weight > 0:
        z_prior = _padded([c[3].float() for c in cached], frames)
        prior = dec.predict(z_prior, ge)
        found["prior_envelope"] = envelope_loss(prior, env, f0, mask).float() * config.c_mel * prior_weight
        if wave_loss is not None:
            found["prior_wave"] = wave_term(wave_loss, dec, prior, wav, lengths, generator) * prior_weight
    return found
