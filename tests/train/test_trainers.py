"""One optimisation step of each trainer on real (espeak-ng) features: finite losses, weights move."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from gpt_sovits.data.project import Project
from gpt_sovits.features.cache import FeatureCache, feature_key
from gpt_sovits.registry import Registry
from gpt_sovits.train.config import TrainConfig
from gpt_sovits.train.dataset import collate_s2, load_items
from gpt_sovits.train.s1_trainer import S1Trainer
from gpt_sovits.train.s2_trainer import TEXT_SIDE, S2Trainer
from gpt_sovits.train.stages import load_s1_for_training, load_s2_for_training
from tests.train.conftest import PROJECT


def _items(workspace: Path, pretrained: Path):
    profile = Registry(pretrained).profile("tiny")
    project = Project(workspace / PROJECT)
    cache = FeatureCache(project.features_dir(feature_key(profile.name, profile.content_encoder)))
    ids = sorted(p.name.removesuffix(".safetensors") for p in cache.folder.glob("*.safetensors"))
    return profile, load_items(cache, ids)


def test_s2_one_step_changes_weights(template_workspace: Path, pretrained: Path) -> None:
    torch.manual_seed(0)
    profile, items = _items(template_workspace, pretrained)
    events = []
    gen, disc = load_s2_for_training(profile, events.append)
    assert not events  # the tiny base ships enc_q and s2d
    before_g = {k: v.clone() for k, v in gen.state_dict().items()}
    before_d = {k: v.clone() for k, v in disc.state_dict().items()}
    config = TrainConfig.preset("tiny")
    trainer = S2Trainer(gen, disc, config, torch.device("cpu"), items[:1])
    trainer.set_epoch(0)
    losses, grad_norm = trainer.train_step(items[1:3])
    assert set(losses) >= {"d", "g_total", "g_adv", "fm", "mel", "kl"}
    assert all(math.isfinite(v) for v in losses.values()) and math.isfinite(grad_norm) and grad_norm > 0
    after = gen.state_dict()
    changed = {k for k in before_g if not torch.equal(before_g[k], after[k])}
    assert any(k.startswith("dec.") for k in changed) and any(k.startswith("enc_q.") for k in changed)
    assert not any(k.startswith(("ssl_proj.", "quantizer.")) for k in changed)  # frozen
    assert any(not torch.equal(before_d[k], v) for k, v in disc.state_dict().items())
    # text-side modules train at 0.4x the learning rate
    text_group = trainer.opt_g.param_groups[1]
    assert text_group["lr"] == config.s2_lr * config.text_low_lr_rate
    names = {id(p): n for n, p in gen.named_parameters()}
    assert all(names[id(p)].startswith(TEXT_SIDE) for p in text_group["params"])
    trainer.set_epoch(3)
    assert math.isclose(trainer.current_lr(), config.s2_lr * config.s2_lr_decay**3)
    val = trainer.validate()
    # validation always reports the prior path (synthesis decodes it), whatever the run trains with
    assert set(val) == {"mel", "kl", "total", "prior_mel"} and all(math.isfinite(v) for v in val.values())


def test_s2_random_parts_are_announced(template_workspace: Path, pretrained: Path, tmp_path: Path) -> None:
    from dataclasses import replace

    from gpt_sovits.checkpoint.s2_official import load_any_s2, save_s2

    profile, _ = _items(template_workspace, pretrained)
    weights = load_any_s2(profile.s2g)
    exported = tmp_path / "s2g.safetensors"
    save_s2(exported, "s2g", weights.config, {k: v for k, v in weights.state_dict.items() if "enc_q" not in k})
    events = []
    gen, _ = load_s2_for_training(replace(profile, s2g=exported, s2d=None), events.append)
    messages = " ".join(e.message for e in events)
    assert "enc_q" in messages and "discriminator" in messages
    assert gen.has_posterior


def test_s1_one_step_changes_weights(template_workspace: Path, pretrained: Path) -> None:
    torch.manual_seed(0)
    profile, items = _items(template_workspace, pretrained)
    model = load_s1_for_training(profile)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trainer = S1Trainer(model, TrainConfig.preset("tiny"), torch.device("cpu"), items[:2])
    losses, grad_norm = trainer.train_step(items[2:4])
    assert math.isfinite(losses["loss"]) and losses["loss"] > losses["ce"] > 0
    assert 0.0 <= losses["acc_top3"] <= 1.0 and math.isfinite(grad_norm)
    changed = [k for k, v in model.state_dict().items() if not torch.equal(before[k], v)]
    assert "ar_predict_layer.weight" in changed and "h.layers.0.linear1.weight" in changed
    val = trainer.validate()
    assert math.isfinite(val["ce"])


def test_s2_step_adds_the_latent_anchor(template_workspace: Path, pretrained: Path, tmp_path: Path) -> None:
    from gpt_sovits.pretrain.anchor import LatentAnchor
    from tests.pretrain.test_anchor import fake_anchor_files

    torch.manual_seed(0)
    profile, items = _items(template_workspace, pretrained)
    gen, _ = load_s2_for_training(profile, lambda event: None)
    anchor = LatentAnchor(fake_anchor_files(tmp_path, gen.cfg), weight=3.0, batch=2, frames=30)
    trainer = S2Trainer(gen, None, TrainConfig.preset("tiny"), torch.device("cpu"), [], latent_anchor=anchor)
    trainer.set_epoch(0)
    losses, _ = trainer.train_step(items[1:3])
    assert losses["anchor"] > 0
    assert math.isclose(losses["g_total"], losses["mel"] + losses["kl"] + losses["anchor"], rel_tol=1e-5)


def _recording_loss(seen: list, scale: float = 1.0):
    """An extra S2 loss ``scale x L1(real, fake)`` that records what it was called with."""
    def loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        seen.append((real.shape, fake.shape, real.requires_grad, fake.requires_grad))
        return scale * (real - fake).abs().mean()

    return loss


def test_s2_step_adds_the_phone_loss_and_validation_reports_it(template_workspace: Path, pretrained: Path) -> None:
    """A phone loss sees the real and the generated log-mels of the same slices, its term joins
    the generator loss, and validation reports it beside an unchanged mel + KL ``total``."""
    torch.manual_seed(0)
    profile, items = _items(template_workspace, pretrained)
    gen, _ = load_s2_for_training(profile, lambda event: None)
    seen: list = []
    trainer = S2Trainer(gen, None, TrainConfig.preset("tiny"), torch.device("cpu"), items[:1],
                        phone_loss=_recording_loss(seen, 2.0))
    trainer.set_epoch(0)
    losses, _ = trainer.train_step(items[1:3])
    real_shape, fake_shape, real_grad, fake_grad = seen[0]
    assert real_shape == fake_shape and real_shape[0] == 2 and real_shape[-1] == gen.cfg.segment_frames
    assert fake_grad and not real_grad  # the gradient flows into what S2 generated only
    assert losses["phones"] > 0
    assert math.isclose(losses["g_total"], losses["mel"] + losses["kl"] + losses["phones"], rel_tol=1e-5)
    val = trainer.validate()
    assert val["phones"] > 0 and math.isclose(val["total"], val["mel"] + val["kl"], rel_tol=1e-6)


def _prior_run(profile, items, weight: float, steps: int) -> tuple[dict[str, float], dict[str, float]]:
    torch.manual_seed(0)
    gen, _ = load_s2_for_training(profile, lambda event: None)
    # The decoder stays fixed, so the runs differ only in what trains the prior side.
    config = TrainConfig.preset("tiny").replace(s2_prior_weight=weight, s2_lr=3e-4, s2_freeze_decoder=True)
    trainer = S2Trainer(gen, None, config, torch.device("cpu"), items[:1],
                        phone_loss=lambda real, fake: (real - fake).abs().mean())
    trainer.set_epoch(0)
    for _ in range(steps):
        losses, _ = trainer.train_step(items[:1])
    return losses, trainer.validate()


def test_s2_prior_loss_trains_what_synthesis_decodes(template_workspace: Path, pretrained: Path) -> None:
    """With ``s2_prior_weight`` the slice decoded from the prior, as synthesis decodes it, joins
    the loss (mel and phones, times the weight), and training on it fits the prior path better
    than the KL alone does (seeds 0-3 of this setting: 0.54-0.84 x the prior mel loss of a KL-only
    run); without it the step has no prior terms."""
    profile, items = _items(template_workspace, pretrained)
    losses, _ = _prior_run(profile, items, 0.0, 1)
    assert not {"prior_mel", "prior_phones"} & set(losses)
    start, _ = _prior_run(profile, items, 2.0, 1)
    assert start["prior_mel"] > 0 and start["prior_phones"] > 0
    assert math.isclose(start["g_total"], sum(start[k] for k in ("mel", "kl", "phones", "prior_mel", "prior_phones")),
                        rel_tol=1e-5)
    _, without = _prior_run(profile, items, 0.0, 16)
    _, trained = _prior_run(profile, items, 2.0, 16)
    assert trained["prior_mel"] < 0.9 * without["prior_mel"]


def test_s2_step_adds_the_waveform_loss_on_both_paths(template_workspace: Path, pretrained: Path) -> None:
    """A waveform loss (the Whisper feature loss in pretraining) sees the real slices and the
    generated ones: the posterior's (``wave``) and, with ``s2_prior_weight``, the prior's
    (``prior_wave``, times the weight); its gradient flows into what S2 generated only."""
    torch.manual_seed(0)
    profile, items = _items(template_workspace, pretrained)
    gen, _ = load_s2_for_training(profile, lambda event: None)
    seen: list = []
    config = TrainConfig.preset("tiny").replace(s2_prior_weight=3.0)
    trainer = S2Trainer(gen, None, config, torch.device("cpu"), items[:1], wave_loss=_recording_loss(seen))
    trainer.set_epoch(0)
    losses, _ = trainer.train_step(items[1:3])
    assert len(seen) == 2
    for real_shape, fake_shape, real_grad, fake_grad in seen:
        assert real_shape == fake_shape == (2, 1, gen.cfg.segment_size)
        assert fake_grad and not real_grad
    assert losses["wave"] > 0 and losses["prior_wave"] > 0
    terms = ("mel", "kl", "wave", "prior_mel", "prior_wave")
    assert math.isclose(losses["g_total"], sum(losses[k] for k in terms), rel_tol=1e-5)
    val = trainer.validate()
    assert val["wave"] > 0 and val["prior_wave"] > 0


def test_s2_step_adds_the_stft_and_buzz_losses_on_both_paths(template_workspace: Path, pretrained: Path) -> None:
    """``s2_stft_weight`` / ``s2_buzz_weight`` add the multi-resolution STFT and frame-rate buzz
    losses of the posterior's slice (``stft``, ``buzz``) and, with ``s2_prior_weight``, of the
    prior's (``prior_stft``, ``prior_buzz``, times that weight) to the total."""
    profile, items = _items(template_workspace, pretrained)
    terms = {}
    for weight in (0.0, 5.0):
        torch.manual_seed(0)
        gen, _ = load_s2_for_training(profile, lambda event: None)
        config = TrainConfig.preset("tiny").replace(s2_prior_weight=2.0, s2_stft_weight=weight, s2_buzz_weight=weight)
        trainer = S2Trainer(gen, None, config, torch.device("cpu"), items[:1])
        trainer.set_epoch(0)
        terms[weight], _ = trainer.train_step(items[:1])
    assert not {"stft", "prior_stft", "buzz", "prior_buzz"} & set(terms[0.0])
    losses = terms[5.0]
    assert losses["stft"] > 0 and losses["prior_stft"] > 0 and losses["buzz"] >= 0 and losses["prior_buzz"] >= 0
    parts = ("mel", "kl", "prior_mel", "stft", "prior_stft", "buzz", "prior_buzz")
    assert math.isclose(losses["g_total"], sum(losses[k] for k in parts), rel_tol=1e-5)
    assert math.isclose(losses["mel"], terms[0.0]["mel"], rel_tol=1e-5)  # the same slices either way


def test_prior_path_meets_the_discriminator_when_asked(template_workspace: Path, pretrained: Path) -> None:
    """With ``s2_prior_adversarial`` the discriminator also learns from the prior path's slice (the
    one synthesis decodes) and the generator gets ``prior_g_adv`` / ``prior_fm`` at that weight;
    the posterior path's terms and the slices drawn stay what they were without it."""
    profile, items = _items(template_workspace, pretrained)
    runs = {}
    for weight in (0.0, 0.5):
        torch.manual_seed(0)
        gen, disc = load_s2_for_training(profile, lambda event: None)
        seen = []
        forward = disc.forward

        def recording(y, y_hat, forward=forward, seen=seen):
            seen.append(y_hat.requires_grad)
            return forward(y, y_hat)

        disc.forward = recording
        config = TrainConfig.preset("tiny").replace(s2_prior_weight=1.0, s2_prior_adversarial=weight)
        trainer = S2Trainer(gen, disc, config, torch.device("cpu"), items[:1])
        trainer.set_epoch(0)
        runs[weight] = trainer.train_step(items[1:3])[0], seen
    plain, with_prior = runs[0.0][0], runs[0.5][0]
    assert runs[0.0][1] == [False, True] and runs[0.5][1] == [False, False, True, True]  # detached for D, not for G
    assert not {"prior_g_adv", "prior_fm"} & set(plain)
    assert with_prior["prior_g_adv"] > 0 and with_prior["prior_fm"] > 0
    assert with_prior["d"] > plain["d"]  # the discriminator's loss now counts the prior's slice too
    for name in ("mel", "kl", "prior_mel"):  # the same slices and noise (D moved, so g_adv differs)
        assert math.isclose(with_prior[name], plain[name], rel_tol=1e-5), name
    parts = [k for k in with_prior if k not in ("d", "grad_norm_d", "g_total")]
    assert math.isclose(with_prior["g_total"], sum(with_prior[k] for k in parts), rel_tol=1e-5)


def test_discriminator_sees_real_slices_in_the_band_a_slower_decoder_can_make(template_workspace: Path,
                                                                               pretrained: Path) -> None:
    """Beside a decoder below 32 kHz (the starter's 22.05 kHz one behind the rate bridge) the
    discriminator gets the real slices through the same band limit as the generated ones, not
    their top band, which no generator gradient could ever match."""
    profile, items = _items(template_workspace, pretrained)
    torch.manual_seed(0)
    gen, disc = load_s2_for_training(profile, lambda event: None)
    gen.cfg = gen.cfg.replace(decoder_sampling_rate=8000)  # what the trainer reads of a bridged decoder
    seen = []
    forward = disc.forward

    def recording(y, y_hat):
        seen.append((y.detach().clone(), y_hat.detach().clone()))
        return forward(y, y_hat)

    disc.forward = recording
    trainer = S2Trainer(gen, disc, TrainConfig.preset("tiny"), torch.device("cpu"), items[:1])
    trainer.set_epoch(0)
    slicing = trainer.generators["segments"].get_state()
    trainer.train_step(items[1:3])
    real, fake = seen[0]
    assert real.shape == fake.shape

    def top_share(x):  # share of the energy above 0.94 x 4 kHz
        power = torch.fft.rfft(x.squeeze(1), dim=-1).abs().square().sum(0)
        edge = int(power.shape[-1] * 0.94 * 8000 / gen.cfg.sampling_rate)
        return float(power[edge + 20:].sum() / power.sum())

    trainer.generators["segments"].set_state(slicing)  # the same slices again, as they were
    _, raw = trainer._forward(collate_s2(items[1:3], trainer.seg_frames), trainer.generators["segments"])
    assert top_share(raw) > 1e-4  # espeak's slices do have a top band
    assert top_share(real) < 1e-3 * top_share(raw)
    low = torch.fft.rfft(real.squeeze(1) - raw.squeeze(1), dim=-1).abs().square()[:, : int(real.shape[-1] * 0.1)]
    assert float(low.sum() / torch.fft.rfft(raw.squeeze(1), dim=-1).abs().square().sum()) < 1e-3  # well below the edge, unchanged


def test_s2_decoder_only_step_trains_a_harmonic_source_on_both_paths(template_workspace: Path,
                                                                    pretrained: Path) -> None:
    """Pretraining a decoder that gained a harmonic source: only ``dec.*`` moves, the source and
    pitch predictor at their own rate, the harmonic and pitch losses on both paths, the gradient
    clipped to ``s2_grad_clip`` (the norm reported is the one before clipping)."""
    from gpt_sovits.models.s2.model import SynthesizerTrn

    torch.manual_seed(0)
    profile, items = _items(template_workspace, pretrained)
    plain, _ = load_s2_for_training(profile, lambda event: None)
    gen = SynthesizerTrn(plain.cfg.replace(harmonic_source=True))
    gen.load_state_dict(plain.state_dict(), strict=False)
    before = {k: v.clone() for k, v in gen.state_dict().items()}
    config = TrainConfig.preset("tiny").replace(s2_decoder_only=True, s2_prior_weight=1.0, s2_source_lr_scale=3.0,
                                                s2_grad_clip=0.5)
    trainer = S2Trainer(gen, None, config, torch.device("cpu"), items[:1])
    trainer.set_epoch(0)
    losses, grad_norm = trainer.train_step(items[1:3])
    assert {"harmonics", "prior_harmonics", "pitch", "prior_pitch"} <= set(losses)
    assert all(math.isfinite(v) for v in losses.values())
    changed = {k for k, v in gen.state_dict().items() if not torch.equal(before[k], v)}
    assert changed and all(k.startswith("dec.") for k in changed)
    assert any(k.startswith("dec.source.") for k in changed) and any(k.startswith("dec.pitch.") for k in changed)
    source_group = trainer.opt_g.param_groups[2]
    assert source_group["lr"] == 3.0 * config.s2_lr
    names = {id(p): n for n, p in gen.named_parameters()}
    assert all(names[id(p)].startswith(("dec.source.", "dec.pitch.")) for p in source_group["params"])
    grads = [p.grad for group in trainer.opt_g.param_groups for p in group["params"] if p.grad is not None]
    assert grad_norm > 0.5 and float(torch.stack([g.norm() for g in grads]).norm()) <= 0.5 * 1.001
    val = trainer.validate()
    assert {"pitch", "prior_pitch", "harmonics"} <= set(val)


def test_s2_envelope_decoder_trains_by_regression_on_both_paths(template_workspace: Path, pretrained: Path) -> None:
    """A profile whose decoder is replaced by the envelope decoder: one decoder-only step moves only
    ``dec.*``, by the envelope regression of both paths (no waveform, no mel, and no KL: the frozen
    rest of S2's latents come from a per-item cache, computed once); a few more steps on the same
    slices lower it; validation reports the same terms."""
    from gpt_sovits.models.s2.model import SynthesizerTrn

    torch.manual_seed(0)
    profile, items = _items(template_workspace, pretrained)
    plain, _ = load_s2_for_training(profile, lambda event: None)
    gen = SynthesizerTrn(plain.cfg.replace(decoder="envelope"))
    gen.load_state_dict({k: v for k, v in plain.state_dict().items() if not k.startswith("dec.")}, strict=False)
    before = {k: v.clone() for k, v in gen.state_dict().items()}
    config = TrainConfig.preset("tiny").replace(s2_decoder_only=True, s2_prior_weight=1.0, s2_lr=1e-3)
    trainer = S2Trainer(gen, None, config, torch.device("cpu"), items[:1])
    trainer.set_epoch(0)
    first, _ = trainer.train_step(items[1:3])
    assert {"envelope", "prior_envelope"} <= set(first) and not {"mel", "kl"} & set(first)
    assert {item.slice_id for item in items[1:3]} <= set(trainer.frozen.cache)
    changed = {k for k, v in gen.state_dict().items() if not torch.equal(before[k], v)}
    assert changed and all(k.startswith("dec.") for k in changed)
    for _ in range(5):
        last, _ = trainer.train_step(items[1:3])
    assert last["envelope"] < first["envelope"]
    val = trainer.validate()
    assert {"envelope", "prior_envelope", "total"} <= set(val)
    # a run that trains the rest of S2 too computes the latents every step, with the KL
    whole = S2Trainer(gen, None, config.replace(s2_decoder_only=False), torch.device("cpu"), items[:1])
    whole.set_epoch(0)
    assert whole.frozen is None and {"envelope", "prior_envelope", "kl"} <= set(whole.train_step(items[1:3])[0])


def test_s2_envelope_decoder_meets_a_waveform_loss_on_both_paths(template_workspace: Path, pretrained: Path) -> None:
    """With a waveform loss (pretraining's Whisper feature loss) the envelope trainer renders a window
    of each path and hands it to that loss with the real audio of the window, cached latents or not."""
    from gpt_sovits.models.s2.model import SynthesizerTrn

    torch.manual_seed(0)
    profile, items = _items(template_workspace, pretrained)
    plain, _ = load_s2_for_training(profile, lambda event: None)
    gen = SynthesizerTrn(plain.cfg.replace(decoder="envelope"))
    gen.load_state_dict({k: v for k, v in plain.state_dict().items() if not k.startswith("dec.")}, strict=False)
    seen: list[tuple[torch.Tensor, torch.Tensor]] = []

    def wave_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        seen.append((real, fake))
        return (real - fake).abs().mean() * 10

    config = TrainConfig.preset("tiny").replace(s2_decoder_only=True, s2_prior_weight=1.0)
    for decoder_only in (True, False):
        seen.clear()
        trainer = S2Trainer(gen, None, config.replace(s2_decoder_only=decoder_only), torch.device("cpu"), items[:1],
                            wave_loss=wave_loss)
        trainer.set_epoch(0)
        terms, _ = trainer.train_step(items[1:3])
        assert {"wave", "prior_wave"} <= set(terms) and terms["wave"] > 0
        assert len(seen) == 2 and all(r.shape == f.shape and r.shape[:2] == (2, 1) for r, f in seen)
        audio, hop = items[1].wav.float(), 2 * gen.dec.hop
        real = seen[0][0][0, 0, : min(items[1].frames, 50) * hop]
        starts = [s for s in range(audio.shape[0] // hop - real.shape[0] // hop + 1)
                  if torch.equal(audio[s * hop: s * hop + real.shape[0]], real)]
        assert starts, "the real window is a stretch of the item's own audio"
