"""S2 network: configs, official key layout, quantizer, decode behaviour, weight norm, training step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from gpt_sovits.audio.spectral import mel_spectrogram, spec_to_mel
from gpt_sovits.checkpoint.s2_official import expected_s2_shapes, expected_s2d_shapes
from gpt_sovits.config import ConfigError
from gpt_sovits.errors import CheckpointError
from gpt_sovits.models.s2 import losses
from gpt_sovits.models.s2.config import S2_PRESETS, S2Config
from gpt_sovits.models.s2.discriminators import MultiPeriodDiscriminator
from gpt_sovits.models.s2.model import SynthesizerTrn
from gpt_sovits.models.s2.segments import slice_segments
from gpt_sovits.models.s2.weight_norm import WNConv1d, WNConvTranspose1d

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TINY = S2_PRESETS["tiny"]


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """The test machine's cores are shared; a single intra-op thread avoids oversubscription."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def tiny_model() -> SynthesizerTrn:
    torch.manual_seed(0)
    model = SynthesizerTrn(TINY).eval()
    with torch.no_grad():  # the flow's post convs start at zero; make the flow non-trivial
        for name, p in model.named_parameters():
            if name.startswith("flow.") and ".post." in name:
                p.normal_(0, 0.05)
    return model


def _inputs(seed: int = 1, n_codes: int = 12, n_phones: int = 9, ref_frames: int = 30):
    g = torch.Generator().manual_seed(seed)
    codes = torch.randint(0, TINY.codebook_size, (1, 1, n_codes), generator=g)
    phones = torch.randint(0, TINY.n_symbols, (1, n_phones), generator=g)
    refer = torch.rand(1, TINY.spec_channels, ref_frames, generator=g) * 3
    return codes, phones, refer


@pytest.mark.parametrize("name", sorted(S2_PRESETS))
def test_presets_round_trip_and_strict_keys(name: str) -> None:
    cfg = S2_PRESETS[name]
    assert S2Config.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(ConfigError, match="unknown key"):
        S2Config.from_dict({**cfg.to_dict(), "hiden_channels": 3})


def test_config_validation_and_official_conversion() -> None:
    with pytest.raises(ConfigError, match="upsample_rates"):
        S2Config(upsample_rates=(10, 8, 2, 2, 4))
    hps = torch.load(FIXTURES / "s2_io.pt", weights_only=True)["hps"]
    assert S2Config.from_official(hps) == TINY
    assert S2Config.from_official(S2_PRESETS["v2"].to_official()) == S2_PRESETS["v2"]
    assert TINY.spec_channels == 1025 and TINY.segment_frames == 32


@pytest.mark.parametrize("variant,posterior", [("with_enc_q", True), ("without_enc_q", False)])
def test_v2_generator_matches_official_manifest(variant: str, posterior: bool) -> None:
    manifest = json.loads((FIXTURES / "manifest_s2G_v2.json").read_text())[variant]
    expected = [(t["key"], tuple(t["shape"])) for t in manifest["tensors"]]
    assert list(expected_s2_shapes(S2_PRESETS["v2"], posterior).items()) == expected


def test_v2_discriminator_matches_official_manifest() -> None:
    manifest = json.loads((FIXTURES / "manifest_s2D_v2.json").read_text())
    expected = [(t["key"], tuple(t["shape"])) for t in manifest["tensors"]]
    assert list(expected_s2d_shapes(S2_PRESETS["v2"].discriminator_periods).items()) == expected


@pytest.mark.filterwarnings("ignore:.*weight_norm.*deprecated:FutureWarning")
def test_weight_norm_layers_match_torch_legacy_weight_norm() -> None:
    torch.manual_seed(0)
    x = torch.randn(2, 8, 20)
    ours = WNConvTranspose1d(8, 4, 6, 2, padding=2)
    assert ours.weight_g.shape == (8, 1, 1)
    with torch.no_grad():
        ours.weight_g.mul_(torch.rand_like(ours.weight_g) + 0.5)
    ref = torch.nn.ConvTranspose1d(8, 4, 6, 2, padding=2)
    ref = torch.nn.utils.weight_norm(ref)
    ref.load_state_dict(ours.state_dict())
    torch.testing.assert_close(ours(x), ref(x))
    conv = WNConv1d(8, 8, 3, padding=1)
    assert list(conv.state_dict()) == ["bias", "weight_g", "weight_v"]
    before = conv(x)
    conv.fold()
    assert list(conv.state_dict()) == ["bias", "weight"]
    torch.testing.assert_close(conv(x), before)


def test_quantize_decode_round_trip(tiny_model: SynthesizerTrn) -> None:
    q = tiny_model.quantizer
    codes = torch.randint(0, TINY.codebook_size, (1, 2, 17))
    vectors = q.decode(codes)
    assert vectors.shape == (2, TINY.ssl_dim, 17)
    assert torch.equal(q.encode(vectors), codes)
    noisy = vectors + 1e-3 * torch.randn_like(vectors)
    assert torch.equal(q.encode(noisy), codes)
    ssl = torch.randn(2, TINY.ssl_dim, 40)
    latent = tiny_model.extract_latent(ssl)
    assert latent.shape == (2, 1, 20) and latent.dtype == torch.int64


def test_decode_is_deterministic_for_a_generator(tiny_model: SynthesizerTrn) -> None:
    codes, phones, refer = _inputs()
    runs = [
        tiny_model.decode(codes, phones, [refer], noise_scale=0.5,
                          generator=torch.Generator().manual_seed(seed))
        for seed in (7, 7, 8)
    ]
    assert runs[0].shape == (1, 1, 2 * 12 * TINY.hop_length)
    assert torch.equal(runs[0], runs[1])
    assert not torch.allclose(runs[0], runs[2])
    faster = tiny_model.decode(codes, phones, refer, noise_scale=0.0, length_scale=0.8)
    assert faster.shape[-1] == (int(24 / 1.25) + 1) * TINY.hop_length


def test_padded_batch_equals_unpadded(tiny_model: SynthesizerTrn) -> None:
    items = [_inputs(seed=1, n_codes=12, n_phones=9), _inputs(seed=2, n_codes=8, n_phones=6)]
    singles = [tiny_model.decode(c, p, [r], noise_scale=0.0, return_intermediates=True)
               for c, p, r in items]
    codes = torch.zeros(1, 2, 12, dtype=torch.long)
    phones = torch.zeros(2, 9, dtype=torch.long)
    for i, (c, p, _) in enumerate(items):
        codes[0, i, : c.shape[-1]] = c[0, 0]
        phones[i, : p.shape[-1]] = p[0]
    refer = torch.cat([items[0][2], items[1][2]])
    batch = tiny_model.decode(codes, phones, [refer], noise_scale=0.0, return_intermediates=True,
                              code_lengths=torch.tensor([12, 8]), phone_lengths=torch.tensor([9, 6]))
    for i, single in enumerate(singles):
        frames = single.m_p.shape[-1]
        for field in ("ge", "m_p", "logs_p", "z"):
            ours = getattr(batch, field)[i : i + 1, ..., :frames]
            torch.testing.assert_close(ours, getattr(single, field), atol=1e-5, rtol=1e-5)
        assert float(batch.y_mask[i, 0, frames:].sum()) == 0.0


def test_mean_timbre_over_references(tiny_model: SynthesizerTrn) -> None:
    _, _, r1 = _inputs(seed=3)
    _, _, r2 = _inputs(seed=4, ref_frames=41)
    with torch.no_grad():
        ge = tiny_model.ref_timbre([r1, r2])
        torch.testing.assert_close(ge, (tiny_model.ref_timbre(r1) + tiny_model.ref_timbre([r2])) / 2)
    assert ge.shape == (1, TINY.gin_channels, 1)


def test_fold_weight_norm_keeps_outputs() -> None:
    torch.manual_seed(3)
    model = SynthesizerTrn(TINY, with_posterior=False).eval()
    codes, phones, refer = _inputs(seed=5)
    before = model.decode(codes, phones, [refer], noise_scale=0.0)
    assert model.fold_weight_norm() > 0
    assert not any(k.endswith("weight_g") for k in model.state_dict())
    torch.testing.assert_close(model.decode(codes, phones, [refer], noise_scale=0.0), before,
                               atol=1e-6, rtol=1e-5)


def test_one_training_step_changes_weights() -> None:
    torch.manual_seed(0)
    cfg = TINY.replace(segment_size=8 * TINY.hop_length)
    net_g, net_d = SynthesizerTrn(cfg).train(), MultiPeriodDiscriminator(cfg.discriminator_periods)
    opt_g = torch.optim.AdamW(net_g.parameters(), 1e-4, betas=(0.8, 0.99), eps=1e-9)
    opt_d = torch.optim.AdamW(net_d.parameters(), 1e-4, betas=(0.8, 0.99), eps=1e-9)
    frames, hop = 40, cfg.hop_length
    wav = 0.3 * torch.randn(2, 1, frames * hop)
    from gpt_sovits.audio.spectral import linear_spectrogram

    spec = linear_spectrogram(wav.squeeze(1))
    lengths = torch.tensor([frames, frames - 4])
    ssl = torch.randn(2, cfg.ssl_dim, frames)
    text, text_lengths = torch.randint(0, cfg.n_symbols, (2, 7)), torch.tensor([7, 5])
    before_g = net_g.dec.conv_pre.weight.detach().clone()
    before_d = net_d.discriminators[1].conv_post.weight_v.detach().clone()
    codebook = net_g.quantizer.codebooks()[0].embed.clone()

    out = net_g(ssl, spec, lengths, text, text_lengths, generator=torch.Generator().manual_seed(1))
    seg = cfg.segment_frames
    y = slice_segments(wav, out.ids_slice * hop, seg * hop)
    y_d_r, y_d_g, _, _ = net_d(y, out.y_hat.detach())
    loss_d, _, _ = losses.discriminator_loss(y_d_r, y_d_g)
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()

    mel_real = slice_segments(spec_to_mel(spec), out.ids_slice, seg)
    mel_fake = mel_spectrogram(out.y_hat.squeeze(1))
    _, y_d_g, fmap_r, fmap_g = net_d(y, out.y_hat)
    loss_gen, _ = losses.generator_loss(y_d_g)
    loss_g = (loss_gen + losses.feature_loss(fmap_r, fmap_g)
              + 45 * losses.mel_l1_loss(mel_real, mel_fake)
              + losses.kl_loss(out.z_p, out.logs_q, out.m_p, out.logs_p, out.y_mask)
              + out.commit_loss)
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()

    assert torch.isfinite(loss_d) and torch.isfinite(loss_g)
    assert out.y_hat.shape == (2, 1, cfg.segment_size)
    assert not torch.equal(before_g, net_g.dec.conv_pre.weight)
    assert not torch.equal(before_d, net_d.discriminators[1].conv_post.weight_v)
    assert torch.equal(codebook, net_g.quantizer.codebooks()[0].embed)  # frozen
    assert net_g.ssl_proj.weight.grad is None


def test_kl_loss_is_zero_for_identical_distributions() -> None:
    m = torch.randn(1, 4, 5)
    logs = torch.zeros(1, 4, 5)
    mask = torch.ones(1, 1, 5)
    kl = losses.kl_loss(m, logs, m, logs, mask)
    # (logs_p - logs_q - 0.5) summed over 4 channels, averaged over the 5 valid frames
    assert abs(float(kl) + 0.5 * 4) < 1e-6
    total, real, fake = losses.discriminator_loss([torch.ones(2, 3)], [torch.zeros(2, 3)])
    assert float(total) == 0.0 and len(real) == len(fake) == 1


def _reference_decoder(dec, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """HiFi-GAN forward with plain conv1d layers (the original's formulation)."""
    import torch.nn.functional as F

    x = dec.conv_pre(x) + dec.cond(g)
    n = dec.num_kernels
    for i, up in enumerate(dec.ups):
        x = up(F.leaky_relu(x, 0.1))
        outs = []
        for block in dec.resblocks[i * n : (i + 1) * n]:
            y = x
            for c1, c2 in zip(block.convs1, block.convs2, strict=True):
                y = c2(F.leaky_relu(c1(F.leaky_relu(y, 0.1)), 0.1)) + y
            outs.append(y)
        x = sum(outs) / n
    return torch.tanh(dec.conv_post(F.leaky_relu(x)))


def test_channels_last_decoder_equals_conv1d_reference(tiny_model: SynthesizerTrn) -> None:
    torch.manual_seed(4)
    z = torch.randn(2, TINY.inter_channels, 11)
    g = torch.randn(2, TINY.gin_channels, 1)
    with torch.no_grad():
        ours = tiny_model.dec(z, g)
        ref = _reference_decoder(tiny_model.dec, z, g)
    assert ours.shape == (2, 1, 11 * TINY.hop_length)
    torch.testing.assert_close(ours, ref, atol=1e-6, rtol=1e-5)
    z.requires_grad_(True)
    tiny_model.dec(z, g).square().sum().backward()  # the training path has gradients too
    assert z.grad is not None and torch.isfinite(z.grad).all()


def test_trainable_codebook_ema_update_and_straight_through() -> None:
    from gpt_sovits.models.s2.quantizer import ResidualVectorQuantizer

    torch.manual_seed(0)
    q = ResidualVectorQuantizer(dim=8, codebook_size=16, frozen=False).train()
    x = torch.randn(2, 8, 30, requires_grad=True)
    before = q.codebooks()[0].embed.clone()
    quantized, codes, commit = q(x)
    assert codes.shape == (1, 2, 30) and float(commit.detach()) > 0
    quantized.sum().backward()
    torch.testing.assert_close(x.grad, torch.ones_like(x))  # straight-through estimator
    assert not torch.equal(before, q.codebooks()[0].embed)
    q.eval()
    _, eval_codes, eval_commit = q(x.detach())
    assert float(eval_commit) == 0.0 and eval_codes.shape == codes.shape


def test_starter_preset_uses_512_dim_content_features() -> None:
    shapes = expected_s2_shapes(S2_PRESETS["starter"], True)
    assert shapes["ssl_proj.weight"] == (512, 512, 2)
    assert shapes["enc_p.ssl_proj.weight"] == (192, 512, 1)
    assert shapes["quantizer.vq.layers.0._codebook.embed"] == (1024, 512)
    assert shapes["enc_p.mrte.c_pre.weight"] == (512, 192, 1)


def test_prior_slice_is_what_synthesis_decodes(tiny_model: SynthesizerTrn) -> None:
    """The prior-path loss trains exactly the inference path: for the same content features,
    phones, reference and noise, ``decode_prior_slice`` equals the decoder run on the slice of
    the latent that :meth:`SynthesizerTrn.decode` makes."""
    frames = 2 * TINY.segment_frames  # even, longer than a training slice
    g = torch.Generator().manual_seed(3)
    wav = 0.3 * torch.randn(1, frames * TINY.hop_length, generator=g)
    from gpt_sovits.audio.spectral import linear_spectrogram

    spec = linear_spectrogram(wav)
    ssl = torch.randn(1, TINY.ssl_dim, frames, generator=g)
    phones = torch.randint(0, TINY.n_symbols, (1, 7), generator=g)
    with torch.no_grad():
        out = tiny_model(ssl, spec, torch.tensor([frames]), phones, torch.tensor([7]),
                         generator=torch.Generator().manual_seed(4))
        trained = tiny_model.decode_prior_slice(out, 0.5, torch.Generator().manual_seed(5))
    codes = tiny_model.extract_latent(ssl)  # [B, n_q, N] -> decode wants [n_q, B, N]
    result = tiny_model.decode(codes.transpose(0, 1), phones, spec, noise_scale=0.5,
                               generator=torch.Generator().manual_seed(5), return_intermediates=True)
    with torch.no_grad():
        expected = tiny_model.dec(slice_segments(result.dec_in, out.ids_slice, TINY.segment_frames), g=result.ge)
    assert trained.shape == out.y_hat.shape
    torch.testing.assert_close(trained, expected, rtol=1e-4, atol=1e-5)
    # ... and it is not the posterior's output
    assert not torch.allclose(trained, out.y_hat, atol=1e-3)


@pytest.mark.parametrize("divisor", [2, 4, 8, 16])
def test_narrow_discriminator_scores_like_the_official_one(divisor: int, tmp_path: Path) -> None:
    """A width divisor keeps the discriminator's structure (same keys, outputs and feature-map
    lengths) with fewer channels; its weights round-trip through our format, and a file of the
    official width is refused for a narrow config (and the other way round)."""
    from gpt_sovits.checkpoint.s2_official import load_any_s2, save_s2

    cfg = TINY.replace(discriminator_periods=(2, 3), discriminator_width_divisor=divisor)
    narrow, full = MultiPeriodDiscriminator.for_config(cfg), MultiPeriodDiscriminator((2, 3))
    assert narrow.state_dict().keys() == full.state_dict().keys()
    assert sum(p.numel() for p in narrow.parameters()) < sum(p.numel() for p in full.parameters()) / divisor
    y, y_hat = torch.randn(2, 1, 2048), torch.randn(2, 1, 2048)
    real_n, fake_n, fmap_n, _ = narrow(y, y_hat)
    real_f, _, fmap_f, _ = full(y, y_hat)
    assert [r.shape for r in real_n] == [r.shape for r in real_f] and len(fake_n) == 3
    assert [[f.shape[2:] for f in maps] for maps in fmap_n] == [[f.shape[2:] for f in maps] for maps in fmap_f]
    save_s2(tmp_path / "d.safetensors", "s2d", cfg, narrow.state_dict())
    loaded = load_any_s2(tmp_path / "d.safetensors")
    assert loaded.config.discriminator_width_divisor == divisor
    MultiPeriodDiscriminator.for_config(loaded.config).load_state_dict(loaded.state_dict, strict=True)
    save_s2(tmp_path / "wrong.safetensors", "s2d", cfg, full.state_dict())
    with pytest.raises(CheckpointError, match="shape"):
        load_any_s2(tmp_path / "wrong.safetensors")


def test_discriminator_width_divisor_is_checked() -> None:
    with pytest.raises(ConfigError, match="discriminator_width_divisor 3"):
        S2Config(discriminator_width_divisor=3)
