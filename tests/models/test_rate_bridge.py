"""The rate bridge: a 22.05 kHz decoder inside a 32 kHz / 640-hop S2, and its resampler."""

from __future__ import annotations

import numpy as np
import pytest
import soxr
import torch

from gpt_sovits.models.s2.config import PIPER_MEDIUM_DECODER, S2Config
from gpt_sovits.models.s2.model import SynthesizerTrn
from gpt_sovits.models.s2.rate_bridge import RateBridgedGenerator, SincResampler, retime_frames


def _bridged_config(**changes) -> S2Config:
    return S2Config(ssl_dim=64, inter_channels=32, hidden_channels=32, filter_channels=64, n_layers=1,
                    gin_channels=32, mrte_channels=32,
                    **{**PIPER_MEDIUM_DECODER, "upsample_initial_channel": 32, **changes})


@pytest.mark.parametrize("freq", [220.0, 1000.0, 7000.0])
def test_resampler_matches_soxr_on_tones(freq):
    t = np.arange(22050) / 22050
    x = (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    ours = SincResampler(22050, 32000)(torch.from_numpy(x)[None, None])[0, 0].numpy()
    ref = soxr.resample(x, 22050, 32000)
    assert ours.shape == ref.shape == (32000,)
    middle = slice(1000, -1000)  # edges: ours pads with zeros, soxr does not
    assert np.max(np.abs(ours[middle] - ref[middle])) < 0.01


def test_resampler_removes_what_the_new_rate_cannot_hold():
    x = torch.sin(2 * torch.pi * 10000 * torch.arange(22050) / 22050)[None, None]
    y = SincResampler(22050, 16000)(x)[0, 0, 500:-500]
    assert y.abs().max() < 0.02


def test_retime_frames_is_identity_at_equal_periods_and_interpolates_between():
    x = torch.arange(10.0).reshape(1, 1, 10)
    assert torch.allclose(retime_frames(x, 0.02, 0.02, 10), x)
    half = retime_frames(x, 0.02, 0.01, 20)[0, 0]
    assert half[0] == 0 and half[-1] == 9  # edges held
    assert torch.allclose(half[1:-1], (torch.arange(1, 19) - 0.5) / 2)


def test_bridged_generator_keeps_the_s2_frame_contract():
    cfg = _bridged_config()
    dec = SynthesizerTrn(cfg, with_posterior=False).dec
    assert isinstance(dec, RateBridgedGenerator)
    for frames in (1, 7, 16):
        with torch.no_grad():
            y = dec(torch.randn(2, 32, frames), torch.randn(2, 32, 1))
        assert y.shape == (2, 1, frames * 640)


def test_bridged_generator_time_alignment():
    """A latent step at frame k shows up in the audio at k * 640 samples, not stretched."""
    dec = SynthesizerTrn(_bridged_config(), with_posterior=False).dec
    z = torch.zeros(1, 32, 40)
    z[..., 20:] = 3.0
    with torch.no_grad():
        quiet = dec(torch.zeros(1, 32, 40))[0, 0]
        y = (dec(z)[0, 0] - quiet).abs()
    energy = y.reshape(40, 640).mean(1)
    onset = int(torch.nonzero(energy > 0.5 * energy[25:].mean())[0])
    assert 19 <= onset <= 20


def test_bridged_s2_saves_and_loads_without_extra_keys():
    cfg = _bridged_config()
    a, b = SynthesizerTrn(cfg), SynthesizerTrn(cfg)
    b.load_state_dict(a.state_dict(), strict=True)
    assert not any("resampler" in k or "kernel" in k for k in a.state_dict())
    assert S2Config.from_dict(cfg.to_dict()) == cfg
