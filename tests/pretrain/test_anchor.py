"""Latent anchor: Piper's recorded latents decode back to its audio, and the loss teaches enc_q."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gpt_sovits.audio.spectral import mel_spectrogram
from gpt_sovits.config import ConfigError
from gpt_sovits.models.s2.config import S2Config, s2_preset
from gpt_sovits.models.s2.model import SynthesizerTrn
from gpt_sovits.pretrain.anchor import LatentAnchor, build_anchor_set
from gpt_sovits.pretrain.config import PretrainConfig
from gpt_sovits.train.s2_trainer import decodable_mel_bins


def _log_mel(wav: torch.Tensor, bins: int) -> torch.Tensor:
    return mel_spectrogram(wav.float()[None])[0, :bins]


def test_recorded_latents_decode_back_to_pipers_audio(tmp_path) -> None:
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    pytest.importorskip("piper")  # requirements-dev.txt installs piper-tts
    from gpt_sovits.models.s2.model import build_decoder
    from gpt_sovits.pretrain.warmstart import warm_start_decoder

    texts = ["The library opens at nine on Monday morning.", "Seven green boats sailed past the old harbour."]
    files = build_anchor_set(texts, tmp_path / "anchor", seed=0)
    assert [f.name[:4] for f in files] == ["0000", "0001"] and all(f.is_file() for f in files)
    stamps = [f.stat().st_mtime_ns for f in files]
    assert build_anchor_set(texts, tmp_path / "anchor", seed=0) == files  # resumes: nothing redone
    assert [f.stat().st_mtime_ns for f in files] == stamps

    cfg = s2_preset("starter")
    dec = build_decoder(cfg).eval()
    warm_start_decoder(dec)
    bins = decodable_mel_bins(cfg)
    for path in files:
        with np.load(path) as data:
            wav, z = torch.from_numpy(data["wav"].astype(np.float32)), torch.from_numpy(data["z"].astype(np.float32))
        assert z.shape[0] == cfg.inter_channels and wav.shape[0] == z.shape[1] * cfg.hop_length
        with torch.no_grad():
            aligned = dec(z[None])[0, 0]
            shifted = dec(torch.roll(z, 3, dims=1)[None])[0, 0]  # 60 ms late: a misaligned latent
        target = _log_mel(wav, bins)
        err = (target - _log_mel(aligned, bins)).abs().mean().item()
        err_shifted = (target - _log_mel(shifted, bins)).abs().mean().item()
        assert err < 0.45, err  # the retimed latent re-creates the sentence (0.24-0.27 measured)
        assert err < 0.4 * err_shifted, (err, err_shifted)  # 0.24-0.27 vs 1.5 measured


def fake_anchor_files(tmp_path, cfg: S2Config, count: int = 3) -> list:
    """Sentences whose 'latent' is a fixed function of the audio, so enc_q can learn it."""
    rng = np.random.default_rng(0)
    proj = rng.standard_normal((cfg.inter_channels, 8)).astype(np.float32)
    files = []
    for i in range(count):
        frames = 40 + 10 * i
        env = np.repeat(rng.uniform(0.05, 0.5, (8, frames)), cfg.hop_length, axis=1)
        tone = np.sin(np.arange(frames * cfg.hop_length)[None] * (2 * np.pi * np.arange(1, 9)[:, None] * 300 / 32000))
        wav = (env * tone).sum(0).astype(np.float32) / 4
        z = proj @ np.log(env[:, :: cfg.hop_length] + 1e-2)
        files.append(tmp_path / f"{i:04d}-fake.npz")
        np.savez(files[-1], wav=wav.astype(np.float16), z=z.astype(np.float16))
    return files


def test_anchor_loss_moves_only_the_posterior_and_falls(tmp_path) -> None:
    torch.manual_seed(0)
    cfg = s2_preset("tiny").replace(inter_channels=32)
    gen = SynthesizerTrn(cfg)
    anchor = LatentAnchor(fake_anchor_files(tmp_path, cfg), weight=2.0, batch=2, frames=30)
    fixed = anchor.sample(crop=False, items=anchor.items)
    first = sum(anchor.distance(gen, *fixed)).item()
    before = {k: v.clone() for k, v in gen.state_dict().items()}
    opt = torch.optim.Adam(gen.parameters(), lr=3e-3)
    for _ in range(60):
        opt.zero_grad()
        loss = anchor(gen)
        assert loss.dim() == 0 and math.isfinite(loss.item())
        loss.backward()
        opt.step()
    assert sum(anchor.distance(gen, *fixed)).item() < 0.5 * first
    changed = {k.split(".")[0] for k, v in gen.state_dict().items() if not torch.equal(before[k], v)}
    assert changed == {"enc_q"}


def test_mel_loss_covers_only_what_the_decoder_can_make() -> None:
    assert decodable_mel_bins(s2_preset("v2")) == 128
    cfg = s2_preset("starter")
    bins = decodable_mel_bins(cfg)
    assert 100 < bins < 128
    from gpt_sovits.audio.spectral import mel_filterbank

    basis = mel_filterbank(cfg.sampling_rate, cfg.filter_length, cfg.n_mel_channels, 0.0, None,
                           torch.float32, torch.device("cpu"))
    hz_per_bin = cfg.sampling_rate / cfg.filter_length
    top_hz = [float(torch.nonzero(row).max()) * hz_per_bin for row in basis]
    assert max(top_hz[:bins]) <= 0.94 * 11025 < top_hz[bins]


def test_anchor_needs_the_piper_decoder() -> None:
    with pytest.raises(ConfigError, match="s2_anchor_weight"):
        PretrainConfig(s2_decoder_init="", s2_anchor_weight=1.0)
    assert PretrainConfig.preset("starter").s2_anchor_weight > 0
    assert PretrainConfig.preset("tiny").s2_anchor_weight == 0
