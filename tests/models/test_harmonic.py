"""The decoder's harmonic source: it sounds at the F0 it is given, stays out of official files, and
its pitch predictor and losses behave as the trainer relies on."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gpt_sovits.audio.pitch import pitch_track
from gpt_sovits.errors import CheckpointError
from gpt_sovits.models.s2.config import s2_preset
from gpt_sovits.models.s2.harmonic import HarmonicSource, nearest_frames, pitch_loss
from gpt_sovits.models.s2.model import SynthesizerTrn


def _tiny(**changes) -> SynthesizerTrn:
    torch.manual_seed(0)
    return SynthesizerTrn(s2_preset("tiny").replace(harmonic_source=True, **changes))


def _peak_hz(signal: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal))))
    return float(np.fft.rfftfreq(len(signal), 1 / sr)[spectrum.argmax()])


@pytest.mark.parametrize("hz", [95.0, 180.0, 310.0])
def test_the_excitation_sounds_at_the_pitch_it_is_given(hz):
    source = HarmonicSource(22050, (8, 8, 4), (128, 64, 32)).eval()
    with torch.no_grad():
        source.merge.weight.fill_(0.0)
        source.merge.bias.fill_(0.0)
        source.merge.weight[0, 0] = 5.0  # the fundamental alone, well above the noise
        frames = torch.full((1, 100), hz)
        frames[:, 60:] = 0.0  # then unvoiced
        wave = source.excitation(frames)[0, 0].numpy()
    voiced, unvoiced = wave[: 60 * 256], wave[60 * 256:]
    assert _peak_hz(voiced, 22050) == pytest.approx(hz, rel=0.03)
    track = pitch_track(voiced, 22050)
    assert np.median(track[track > 0]) == pytest.approx(hz, rel=0.03)
    assert unvoiced.std() < 0.1 * voiced.std()  # no sine where unvoiced


def test_each_stage_gets_its_channels_and_length():
    source = HarmonicSource(22050, (8, 8, 4), (128, 64, 32))
    parts = source(torch.full((2, 10), 150.0), [80, 640, 2560])
    assert [tuple(p.shape) for p in parts] == [(2, 128, 80), (2, 64, 640), (2, 32, 2560)]


def test_the_decoder_follows_the_f0_it_is_given_and_predicts_one_otherwise():
    gen = _tiny().eval()
    z, ge = torch.randn(1, 32, 20), torch.randn(1, 512, 1)
    with torch.no_grad():
        low = gen.dec(z, g=ge, f0=torch.full((1, 20), 100.0), generator=torch.Generator().manual_seed(1))
        high = gen.dec(z, g=ge, f0=torch.full((1, 20), 250.0), generator=torch.Generator().manual_seed(1))
        again = gen.dec(z, g=ge, f0=torch.full((1, 20), 100.0), generator=torch.Generator().manual_seed(1))
        predicted = gen.dec(z, g=ge)
    assert low.shape == high.shape == predicted.shape == (1, 1, 20 * 640)
    assert torch.equal(low, again) and not torch.allclose(low, high)
    assert torch.isfinite(predicted).all()


def test_official_shapes_have_no_source_and_a_source_never_goes_to_official_files(tmp_path):
    from gpt_sovits.checkpoint.s2_official import export_official_s2, load_any_s2, save_s2

    for name in ("v2", "starter"):
        with torch.device("meta"):
            keys = SynthesizerTrn(s2_preset(name)).state_dict()
        assert not any(k.startswith(("dec.pitch.", "dec.source.")) for k in keys)
    gen = _tiny()
    save_s2(tmp_path / "s2g.safetensors", "s2g", gen.cfg, gen.state_dict())
    loaded = load_any_s2(tmp_path / "s2g.safetensors")
    assert loaded.config.harmonic_source and "dec.source.merge.weight" in loaded.state_dict
    with pytest.raises(CheckpointError, match="harmonic source"):
        export_official_s2(tmp_path / "x.pth", gen.cfg, gen.state_dict(), 1, 1)
    assert not (tmp_path / "x.pth").exists()


def test_training_needs_the_true_pitch_and_returns_the_prediction():
    gen = _tiny()
    frames = 40
    args = (torch.randn(2, 768, frames), torch.rand(2, 1025, frames), torch.tensor([frames, 30]),
            torch.randint(1, 50, (2, 12)), torch.tensor([12, 9]))
    with pytest.raises(ValueError, match="pass f0"):
        gen(*args)
    f0 = torch.full((2, frames), 160.0)
    out = gen(*args, f0=f0, generator=torch.Generator().manual_seed(0))
    assert out.f0_slice.shape == (2, gen.cfg.segment_frames) and (out.f0_slice == 160.0).all()
    assert out.pitch[0].shape == out.pitch[1].shape == (2, frames)
    prior = gen.decode_prior_slice(out, 0.5, torch.Generator().manual_seed(0))
    assert prior.shape == out.y_hat.shape


def test_pitch_loss_is_zero_for_a_perfect_confident_prediction_and_ignores_masked_frames():
    f0 = torch.tensor([[0.0, 100.0, 200.0, 0.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0, 0.0]])
    log_f0 = torch.log(torch.tensor([[1.0, 1.0, 2.0, 9.0]]))
    voicing = torch.tensor([[-50.0, 50.0, 50.0, 50.0]])  # the last frame is wrong but masked
    assert float(pitch_loss(log_f0, voicing, f0, mask)) == pytest.approx(0.0, abs=1e-6)
    octave_off = pitch_loss(log_f0 + np.log(2), voicing, f0, mask)
    assert float(octave_off) == pytest.approx(np.log(2), rel=1e-5)


def test_nearest_frames_keeps_voicing_boundaries_sharp():
    f0 = torch.tensor([[0.0, 0.0, 200.0, 200.0]])  # 20 ms frames
    out = nearest_frames(f0, 0.02, 256 / 22050, 7)
    assert set(out.unique().tolist()) == {0.0, 200.0}
    assert out[0, 0] == 0.0 and out[0, -1] == 200.0


def test_the_harmonic_loss_hears_a_wrong_pitch_that_the_mel_loss_hardly_does():
    """The loss that teaches the decoder to follow its source: a voice at 86 Hz instead of 200 Hz
    (same spectral envelope, the starter's old failure) costs far more than another phase."""
    from gpt_sovits.audio.spectral import mel_spectrogram
    from gpt_sovits.models.s2.losses import harmonic_loss

    t = torch.arange(20480) / 32000

    def voice(f0: float, phase: float = 0.0) -> torch.Tensor:
        k = torch.arange(1, int(4000 / f0) + 1)[:, None]
        envelope = torch.exp(-((k * f0 - 700.0) / 900.0) ** 2)  # one formant, whatever the pitch
        wave = (envelope * torch.sin(2 * torch.pi * k * f0 * t + phase * k)).sum(0)
        return (0.3 * wave / wave.abs().max())[None, None]

    real, shifted, monotone = voice(200.0), voice(200.0, 1.0), voice(86.0)
    same, wrong = harmonic_loss(real, shifted, 32000), harmonic_loss(real, monotone, 32000)
    assert float(wrong) > 3 * float(same)

    def mel(x: torch.Tensor) -> torch.Tensor:
        return mel_spectrogram(x[:, 0], sr=32000, n_fft=2048, hop=640, win=2048, n_mels=128, fmin=0.0, fmax=None)

    mel_same = (mel(real) - mel(shifted)).abs().mean()
    mel_wrong = (mel(real) - mel(monotone)).abs().mean()
    assert float(wrong / same) > float(mel_wrong / mel_same)
