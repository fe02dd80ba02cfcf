"""S2's envelope decoder: the frames it predicts, the waveform it renders (at the pitch it predicts,
shifted on request), its loss, its file format, and that it never goes to official files."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gpt_sovits.config import ConfigError
from gpt_sovits.errors import CheckpointError
from gpt_sovits.models.s2.config import s2_preset
from gpt_sovits.models.s2.envelope_decoder import EnvelopeDecoder, EnvelopeFrames, PitchControl, envelope_loss
from gpt_sovits.models.s2.model import SynthesizerTrn

FRAMES = 40


def _tiny() -> SynthesizerTrn:
    torch.manual_seed(0)
    return SynthesizerTrn(s2_preset("tiny").replace(decoder="envelope"))


def _inputs() -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(1)
    return (torch.randn(2, 768, FRAMES, generator=g), torch.rand(2, 1025, FRAMES, generator=g),
            torch.tensor([FRAMES, 30]), torch.randint(1, 50, (2, 12), generator=g), torch.tensor([12, 9]))


def _steady_vowel(dec: EnvelopeDecoder, hz: float) -> None:
    """Make ``dec`` predict one voiced vowel-like envelope at ``hz`` whatever its input."""
    with torch.no_grad():
        dec.out.weight.zero_()
        bands = torch.linspace(0, 1, 80)
        dec.out.bias[:80] = 3.0 - 6.0 * bands  # a speech-like level, falling towards high frequencies
        dec.out.bias[80] = math.log(hz / 100.0)
        dec.out.bias[81] = 20.0


def test_config_refuses_unknown_decoders_and_a_source_on_the_envelope_decoder():
    with pytest.raises(ConfigError, match="decoder 'wavenet'"):
        s2_preset("tiny").replace(decoder="wavenet")
    with pytest.raises(ConfigError, match="harmonic_source with the envelope decoder"):
        s2_preset("tiny").replace(decoder="envelope", harmonic_source=True)
    assert s2_preset("v2").has_official_form and not s2_preset("tiny").replace(decoder="envelope").has_official_form


def test_training_pass_predicts_two_envelope_frames_per_latent_frame_and_no_waveform():
    gen = _tiny()
    out = gen(*_inputs(), generator=torch.Generator().manual_seed(0))
    assert out.y_hat is None
    assert out.envelope.log_env.shape == (2, 2 * FRAMES, 80)
    assert out.envelope.log_f0.shape == out.envelope.voicing.shape == (2, 2 * FRAMES)
    prior = gen.prior_envelope(out, 0.5, torch.Generator().manual_seed(0))
    assert prior.log_env.shape == out.envelope.log_env.shape
    loss = envelope_loss(prior, torch.zeros(2, 2 * FRAMES, 80), torch.full((2, 2 * FRAMES), 120.0),
                         torch.ones(2, 2 * FRAMES))
    loss.backward()  # the prior path is differentiable down to the text encoder
    assert gen.enc_p.proj.weight.grad is not None and gen.dec.out.weight.grad is not None


def test_synthesis_renders_the_predicted_pitch_and_shifts_it_by_semitones():
    gen = _tiny().eval()
    _steady_vowel(gen.dec, 150.0)
    z, ge = torch.randn(1, 32, 50), torch.randn(1, 512, 1)
    with torch.no_grad():
        wave = gen.dec(z, g=ge, generator=torch.Generator().manual_seed(0))
        octave_up = gen.dec(z, g=ge, generator=torch.Generator().manual_seed(0),
                           pitch=PitchControl(shift=12.0))
    assert wave.shape == (1, 1, 50 * 640) and torch.isfinite(wave).all()
    for audio, hz in ((wave, 150.0), (octave_up, 300.0)):
        spectrum = np.abs(np.fft.rfft(audio[0, 0, :32000].numpy()))  # 1 Hz per bin
        assert 50 + spectrum[50:450].argmax() == pytest.approx(hz, abs=2)  # the fundamental
        assert spectrum[int(hz) // 2] < 0.05 * spectrum[int(hz)]  # and nothing an octave below


def test_decode_gives_the_waveform_inference_expects():
    gen = _tiny().eval()
    ssl, spec = _inputs()[:2]
    codes = gen.extract_latent(ssl[:1])
    audio = gen.decode(codes, torch.randint(1, 50, (1, 10)), spec[:1], generator=torch.Generator().manual_seed(0))
    assert audio.shape == (1, 1, 2 * codes.shape[-1] * 640) and torch.isfinite(audio).all()


def test_decode_with_the_same_seed_gives_the_same_take():
    """The Synthesize tab's seed must reproduce a take: the rendered noise comes from the seed too."""
    gen = _tiny().eval()
    ssl, spec = _inputs()[:2]
    codes = gen.extract_latent(ssl[:1])
    phones = torch.randint(1, 50, (1, 10))

    def take(seed: int, global_seed: int) -> torch.Tensor:
        torch.manual_seed(global_seed)  # the global RNG's state must not matter
        return gen.decode(codes, phones, spec[:1], generator=torch.Generator().manual_seed(seed))

    assert torch.equal(take(3, 0), take(3, 1))
    assert not torch.equal(take(3, 0), take(4, 0))


def test_envelope_loss_is_zero_for_a_perfect_prediction_and_ignores_masked_frames():
    env = torch.randn(1, 4, 80)
    f0 = torch.tensor([[0.0, 100.0, 200.0, 0.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0, 0.0]])
    perfect = EnvelopeFrames(env.clone(), torch.log(torch.tensor([[1.0, 1.0, 2.0, 1.0]])),
                             torch.tensor([[-50.0, 50.0, 50.0, 50.0]]))  # the last frame is wrong but masked
    assert float(envelope_loss(perfect, env, f0, mask)) == pytest.approx(0.0, abs=1e-6)
    louder = EnvelopeFrames(env + 0.5, perfect.log_f0, perfect.voicing)
    assert float(envelope_loss(louder, env, f0, mask)) == pytest.approx(0.5, rel=1e-5)


def test_our_file_keeps_the_decoder_and_official_export_refuses_it(tmp_path):
    from gpt_sovits.checkpoint.s2_official import export_official_s2, load_any_s2, save_s2

    gen = _tiny().eval()
    save_s2(tmp_path / "s2g.safetensors", "s2g", gen.cfg, gen.state_dict())
    loaded = load_any_s2(tmp_path / "s2g.safetensors")
    assert loaded.config.decoder == "envelope" and "dec.out.weight" in loaded.state_dict
    again = SynthesizerTrn(loaded.config)
    again.load_state_dict(loaded.state_dict, strict=True)
    z, ge = torch.randn(1, 32, 10), torch.randn(1, 512, 1)
    with torch.no_grad():
        assert torch.equal(gen.dec.predict(z, ge).log_env, again.dec.predict(z, ge).log_env)
    with pytest.raises(CheckpointError, match="envelope decoder"):
        export_official_s2(tmp_path / "x.pth", gen.cfg, gen.state_dict(), 1, 1)
    assert not (tmp_path / "x.pth").exists()


def test_intonation_scales_the_melody_around_its_median_and_keeps_unvoiced_frames_unvoiced():
    f0 = torch.tensor([[100.0, 0.0, 200.0, 400.0, 0.0, 200.0]])
    wider = PitchControl(intonation=2.0).apply(f0)
    assert wider[0].tolist() == pytest.approx([50.0, 0.0, 200.0, 800.0, 0.0, 200.0], rel=1e-4)
    flat = PitchControl(intonation=0.0, shift=12.0).apply(f0)
    assert flat[0].tolist() == pytest.approx([400.0, 0.0, 400.0, 400.0, 0.0, 400.0], rel=1e-4)
    extreme = PitchControl(shift=12.0, intonation=2.0).apply(f0)
    assert float(extreme.max()) <= 1100.0  # kept within what a voice can sing
    assert torch.equal(PitchControl().apply(f0), f0)


def test_an_anchor_moves_the_median_to_the_speakers_pitch_and_keeps_the_melodys_shape():
    f0 = torch.tensor([[100.0, 0.0, 200.0, 400.0, 0.0, 200.0]])  # median 200 Hz
    anchored = PitchControl(anchor_hz=150.0).apply(f0)
    assert anchored[0].tolist() == pytest.approx([75.0, 0.0, 150.0, 300.0, 0.0, 150.0], rel=1e-4)
    up = PitchControl(anchor_hz=150.0, shift=12.0, intonation=0.0).apply(f0)  # the shift moves from the anchor
    assert up[0].tolist() == pytest.approx([300.0, 0.0, 300.0, 300.0, 0.0, 300.0], rel=1e-4)
    assert not PitchControl(anchor_hz=150.0).neutral
    with pytest.raises(ValueError, match="anchor_hz"):
        PitchControl(anchor_hz=5.0)
