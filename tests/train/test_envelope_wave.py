"""The envelope decoder's waveform loss renders a window of the predicted frames beside the real
audio of the same window, and its gradient reaches the decoder through the envelope."""

from __future__ import annotations

import torch

from gpt_sovits.models.s2.envelope_decoder import EnvelopeDecoder, EnvelopeFrames
from gpt_sovits.train.envelope_wave import WINDOW_FRAMES, rendered_windows, wave_term

HOP = 640  # samples per latent frame at 32 kHz


def _decoder() -> EnvelopeDecoder:
    torch.manual_seed(0)
    return EnvelopeDecoder(192, 512, 32000, HOP)


def _block_pattern(frames: int) -> torch.Tensor:
    """1 on latent frames whose index // 5 is even, else 0 ``[frames]``."""
    return ((torch.arange(frames) // 5) % 2 == 0).float()


def test_the_rendered_window_is_the_same_stretch_of_time_as_the_real_one() -> None:
    dec, frames = _decoder(), 200
    loud = _block_pattern(frames)
    log_env = torch.where(loud.repeat_interleave(2)[:, None] > 0, torch.tensor(0.0), torch.tensor(-12.0))
    predicted = EnvelopeFrames(log_env.expand(-1, 80)[None], torch.zeros(1, 2 * frames),
                               torch.full((1, 2 * frames), -10.0))  # unvoiced: shaped noise only
    wav = loud.repeat_interleave(HOP)[None, None]  # the same on/off pattern in the "recording"
    for seed in range(3):
        real, fake = rendered_windows(dec, predicted, wav, [frames], torch.Generator().manual_seed(seed))
        assert real.shape == fake.shape == (1, 1, WINDOW_FRAMES * HOP)
        real_on = real[0, 0].reshape(-1, HOP)[:, HOP // 4: -HOP // 4].abs().mean(1) > 0.5
        fake_rms = fake[0, 0].reshape(-1, HOP)[:, HOP // 4: -HOP // 4].pow(2).mean(1).sqrt()
        assert real_on.any() and (~real_on).any()
        assert fake_rms[real_on].min() > 10 * fake_rms[~real_on].max()


def test_short_items_are_padded_and_the_envelope_gets_the_gradient() -> None:
    dec = _decoder()
    z, ge = torch.randn(2, 192, 70), torch.randn(2, 512, 1)
    wav = torch.randn(2, 1, 70 * HOP)
    predicted = dec.predict(z, ge)
    real, fake = rendered_windows(dec, predicted, wav, [70, 20], torch.Generator().manual_seed(0))
    assert real.shape == (2, 1, WINDOW_FRAMES * HOP)
    assert torch.equal(real[1, 0, : 20 * HOP], wav[1, 0, : 20 * HOP])  # the whole short item from its start
    assert not real[1, 0, 20 * HOP:].any() and not fake[1, 0, 20 * HOP:].any()

    term = wave_term(lambda r, f: (r - f).abs().mean(), dec, dec.predict(z, ge), wav, [70, 20],
                     torch.Generator().manual_seed(0))
    term.backward()
    assert dec.out.weight.grad is not None and dec.out.weight.grad[:80].abs().sum() > 0
    assert torch.isfinite(dec.out.weight.grad).all()


def test_the_loss_trains_after_synthesis_ran_in_the_same_process() -> None:
    """Synthesis renders in inference mode; nothing it leaves cached may break a later training step."""
    import gpt_sovits.audio.envelope as envelope_module

    for value in vars(envelope_module).values():  # as in a fresh process: synthesis fills the caches first
        if hasattr(value, "cache_clear"):
            value.cache_clear()
    dec = _decoder()
    z, ge = torch.randn(1, 192, 60), torch.randn(1, 512, 1)
    with torch.inference_mode():
        dec(z, g=ge, generator=torch.Generator().manual_seed(0))
    term = wave_term(lambda r, f: (r - f).abs().mean(), dec, dec.predict(z, ge), torch.randn(1, 1, 60 * HOP), [60],
                     torch.Generator().manual_seed(0))
    term.backward()
    assert dec.out.weight.grad is not None
