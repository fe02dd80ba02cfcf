"""S1 network: presets, official layout, cache consistency, causality, padding, sampling, decoding."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import torch

from gpt_sovits.config import ConfigError
from gpt_sovits.models.s1.batch_generate import generate_batch
from gpt_sovits.models.s1.config import S1_PRESETS, S1Config
from gpt_sovits.models.s1.generate import DecodeOptions, generate
from gpt_sovits.models.s1.loss import IGNORE_INDEX, make_targets, s1_loss, top_k_accuracy
from gpt_sovits.models.s1.model import Text2Semantic
from gpt_sovits.models.s1.sampling import logits_to_probs, sample, token_presence

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TINY = S1Config(d_model=32, n_heads=4, n_layers=2)


def _model(seed: int = 0, config: S1Config = TINY) -> Text2Semantic:
    torch.manual_seed(seed)
    model = Text2Semantic(config).eval()
    with torch.no_grad():  # non-trivial alphas and norms, like trained weights
        model.ar_text_position.alpha.fill_(0.7)
        model.ar_audio_position.alpha.fill_(1.3)
    return model


def _inputs(seed: int, text_len: int, prompt_len: int, cfg: S1Config = TINY):
    g = torch.Generator().manual_seed(seed)
    phones = torch.randint(0, cfg.phoneme_vocab_size, (text_len,), generator=g)
    bert = torch.randn(cfg.bert_dim, text_len, generator=g) * 0.25
    prompt = torch.randint(0, cfg.eos, (prompt_len,), generator=g)
    return phones, bert, prompt


# ----------------------------------------------------------------------------- config
@pytest.mark.parametrize("name", sorted(S1_PRESETS))
def test_presets_round_trip(name):
    cfg = S1_PRESETS[name]
    assert S1Config.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    if cfg.phone_pointer:  # ours only (models/s1/pointer.py): no official form
        with pytest.raises(ConfigError, match="official"):
            cfg.to_official()
        return
    assert S1Config.from_official(cfg.to_official()).to_official() == cfg.to_official()


def test_unknown_or_invalid_config_raises():
    data = S1_PRESETS["tiny"].to_dict() | {"n_layer": 3}
    with pytest.raises(ConfigError, match="n_layer"):
        S1Config.from_dict(data)
    with pytest.raises(ConfigError, match="divisible"):
        S1Config(d_model=30, n_heads=4)
    with pytest.raises(ConfigError, match="eos"):
        S1Config(eos=5)


def test_tiny_preset_matches_fixture_config():
    official = torch.load(FIXTURES / "s1.ckpt", weights_only=True)["config"]
    assert S1Config.from_official(official) == S1_PRESETS["tiny"]


def test_v2_preset_matches_official_manifest():
    manifest = json.loads((FIXTURES / "manifest_s1_v2.json").read_text())
    expected = [(t["key"], list(t["shape"])) for t in manifest["tensors"]]
    with torch.device("meta"):
        model = Text2Semantic(S1_PRESETS["v2"])
    ours = [("model." + k, list(v.shape)) for k, v in model.state_dict().items()]
    assert ours == expected
    assert sum(v.numel() for v in model.state_dict().values()) == 77_606_402


# ----------------------------------------------------------------------------- forward
def test_kv_cache_decoding_equals_full_forward():
    model = _model(1)
    phones, bert, prompt = _inputs(1, 13, 7)
    result = generate(model, phones, bert, prompt, options=DecodeOptions(top_k=3, early_stop_num=20),
                      generator=torch.Generator().manual_seed(5), return_logits=True)
    assert len(result.tokens) == 21 and not result.eos
    y = torch.cat([prompt, result.tokens]).unsqueeze(0)
    with torch.no_grad():
        full = model(phones[None], torch.tensor([13]), bert[None], y, torch.tensor([y.shape[1]]))
    # row P + t of the teacher-forced logits predicts the token of step t
    steps = result.step_logits.shape[0]
    torch.testing.assert_close(full[0, 7 : 7 + steps], result.step_logits, atol=2e-5, rtol=0)


def test_causality_no_gradient_from_future_audio():
    model = _model(2)
    phones, bert, semantic = _inputs(2, 9, 12)
    captured = {}

    def keep(_module, _inputs, output):
        output.retain_grad()
        captured["audio"] = output

    handle = model.ar_audio_embedding.register_forward_hook(keep)
    try:
        for row in (0, 5, 12):
            logits = model(phones[None], torch.tensor([9]), bert[None], semantic[None], torch.tensor([12]))
            logits[0, row].sum().backward()
            grad = captured["audio"].grad[0].abs().sum(-1)  # per audio position
            assert torch.all(grad[row:] == 0), f"row {row} sees future audio"
            if row > 0:
                assert torch.all(grad[:row] > 0)
            model.zero_grad()
    finally:
        handle.remove()


def test_right_padding_does_not_change_valid_rows():
    model = _model(3)
    long_in, short_in = _inputs(3, 15, 10), _inputs(4, 9, 6)
    phones = torch.zeros(2, 15, dtype=torch.long)
    bert = torch.zeros(2, TINY.bert_dim, 15)
    semantic = torch.full((2, 10), TINY.eos)
    for i, (p, b, s) in enumerate((long_in, short_in)):
        phones[i, : len(p)], bert[i, :, : len(p)], semantic[i, : len(s)] = p, b, s
    with torch.no_grad():
        batched = model(phones, torch.tensor([15, 9]), bert, semantic, torch.tensor([10, 6]))
        alone = model(short_in[0][None], torch.tensor([9]), short_in[1][None], short_in[2][None], torch.tensor([6]))
    torch.testing.assert_close(batched[1, :7], alone[0], atol=1e-5, rtol=0)


def test_targets_loss_and_accuracy_ignore_padding():
    semantic = torch.tensor([[5, 6, 7], [8, 9, 1024]])
    targets = make_targets(semantic, torch.tensor([3, 2]), eos=1024)
    assert targets.tolist() == [[5, 6, 7, 1024], [8, 9, 1024, IGNORE_INDEX]]
    logits = torch.full((2, 4, 1025), -10.0)
    for b in range(2):
        for t in range(4):
            if targets[b, t] >= 0:
                logits[b, t, targets[b, t]] = 10.0
    logits[0, 0, 5] = -20.0  # one miss (target 5 not in top-3)
    assert top_k_accuracy(logits, targets, eos=1024) == pytest.approx(4 / 5)
    loss = s1_loss(logits, targets)
    per_row = torch.nn.functional.cross_entropy(logits[0, 1], targets[0, 1])
    assert loss > per_row * 6  # 7 real targets summed, padding excluded
    assert torch.isfinite(loss)


# ----------------------------------------------------------------------------- sampling
def test_repetition_penalty_is_in_place_and_once_per_token():
    logits = torch.tensor([[2.0, -2.0, 1.0, 0.5]])
    seen = token_presence(torch.tensor([[0, 1, 1, 0]]), 4)
    probs = logits_to_probs(logits, seen, top_k=None, repetition_penalty=2.0)
    assert logits.tolist() == [[1.0, -4.0, 1.0, 0.5]]
    torch.testing.assert_close(probs, torch.softmax(logits, -1))


def test_top_p_keeps_at_least_one_and_top_k_filters():
    logits = torch.tensor([[3.0, 1.0, 0.0, -1.0]])
    probs = logits_to_probs(logits.clone(), top_p=0.01)
    assert probs.tolist() == [[1.0, 0.0, 0.0, 0.0]]
    probs = logits_to_probs(logits.clone(), top_k=2, temperature=0.5)
    assert (probs[0, 2:] == 0).all() and probs[0, :2].sum() == pytest.approx(1.0)


def test_sample_follows_distribution_and_generator():
    probs = torch.tensor([[0.7, 0.2, 0.1, 0.0]]).repeat(4000, 1)
    draws = sample(probs, torch.Generator().manual_seed(0))[:, 0]
    freq = torch.bincount(draws, minlength=4).float() / 4000
    assert abs(freq[0] - 0.7) < 0.04 and freq[3] == 0
    again = sample(probs, torch.Generator().manual_seed(0))[:, 0]
    assert torch.equal(draws, again)


# ----------------------------------------------------------------------------- decoding
def test_generation_is_deterministic_for_a_seeded_generator():
    model = _model(4)
    phones, bert, prompt = _inputs(4, 11, 5)
    opts = DecodeOptions(top_k=15, early_stop_num=30)

    def run(seed):
        return generate(model, phones, bert, prompt, options=opts, generator=torch.Generator().manual_seed(seed))

    a, b, c = run(7), run(7), run(8)
    assert torch.equal(a.tokens, b.tokens)
    assert not torch.equal(a.tokens, c.tokens)


def test_early_stop_semantics_and_callback():
    model = _model(5)
    phones, bert, prompt = _inputs(5, 10, 4)
    seen_steps = []
    result = generate(model, phones, bert, prompt, options=DecodeOptions(top_k=1, early_stop_num=12),
                      on_token=lambda token, step: seen_steps.append(step))
    assert (len(result.tokens), result.idx, result.eos) == (13, 12, False)
    assert torch.equal(result.semantic, result.tokens[1:])  # the UI drops the first token
    assert seen_steps == list(range(13))
    cancelled = generate(model, phones, bert, prompt, options=DecodeOptions(top_k=1),
                         on_token=lambda token, step: step == 4)
    assert len(cancelled.tokens) == 5


def test_eos_is_barred_then_stops():
    model = _model(6)
    with torch.no_grad():  # make EOS the favourite at every step
        model.ar_predict_layer.weight.zero_()
        model.ar_predict_layer.weight[TINY.eos, 0] = 50.0
        model.h.layers[-1].norm2.bias[0] = 5.0
    phones, bert, prompt = _inputs(6, 8, 3)
    result = generate(model, phones, bert, prompt, options=DecodeOptions(top_k=1))
    assert result.eos and result.idx == 11 and len(result.tokens) == 11
    no_eos = generate(model, phones, bert, prompt, options=DecodeOptions(top_k=1, allow_eos=False, max_new_tokens=30))
    assert not no_eos.eos and len(no_eos.tokens) == 30 and no_eos.idx == 29


def test_reference_free_mode():
    model = _model(7)
    phones, bert, _ = _inputs(7, 12, 0)
    result = generate(model, phones, bert, None, options=DecodeOptions(top_k=1, early_stop_num=15))
    assert result.prompt_len == 0 and result.idx == 0 and len(result.tokens) == 16
    assert torch.equal(result.semantic, result.tokens)


def test_batched_generation_matches_single_items():
    model = _model(8)
    items = [_inputs(10, 14, 6), _inputs(11, 9, 6)]
    prompts = torch.stack([items[0][2], items[0][2]])
    opts = DecodeOptions(top_k=1, early_stop_num=18)
    batch = generate_batch(model, [i[0] for i in items], [i[1] for i in items], prompts, options=opts,
                           return_logits=True)
    for (phones, bert, _), got in zip(items, batch, strict=True):
        single = generate(model, phones, bert, prompts[0], options=opts, return_logits=True)
        assert torch.equal(got.tokens, single.tokens[:-1]) and got.idx == single.idx
        torch.testing.assert_close(got.step_logits, single.step_logits, atol=2e-5, rtol=0)


def test_caches_do_not_change_the_state_dict():
    model = _model(9)
    keys = list(model.state_dict())
    model.setup_caches(2, 50)
    assert list(model.state_dict()) == keys and len(model.caches) == TINY.n_layers
    model.clear_caches()
    assert model.caches == []


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_model_generates(dtype):
    model = _model(9).to(dtype)
    phones, bert, prompt = _inputs(9, 10, 5)
    result = generate(model, phones, bert, prompt, options=DecodeOptions(early_stop_num=10),
                      generator=torch.Generator().manual_seed(0))
    assert len(result.tokens) == 11 and int(result.tokens.max()) < TINY.eos


def test_dropout_applies_only_in_training():
    model = _model(10)
    phones, bert, semantic = _inputs(10, 8, 6)
    args = (phones[None], torch.tensor([8]), bert[None], semantic[None], torch.tensor([6]))
    with torch.no_grad():
        model.train()
        assert not torch.allclose(model(*args), model(*args))
        model.eval()
        assert torch.equal(model(*args), model(*args))


def test_decode_options_reject_nonsense():
    with pytest.raises(ValueError, match="max_new_tokens"):
        DecodeOptions(max_new_tokens=0)
    with pytest.raises(ValueError, match="early_stop_num"):
        DecodeOptions(early_stop_num=-5)


# ----------------------------------------------------------------------------- fused decoding
NO_DROPOUT = S1Config(d_model=32, n_heads=4, n_layers=2, position_dropout=0.0, attention_dropout=0.0, dropout=0.0)


def _decode(model, seed: int = 3, **kwargs):
    phones, bert, prompt = _inputs(seed, 11, 6, NO_DROPOUT)
    opts = DecodeOptions(top_k=5, allow_eos=False, max_new_tokens=30)
    return generate(model, phones, bert, prompt, options=opts, generator=torch.Generator().manual_seed(seed),
                    return_logits=True, **kwargs)


def test_prepared_model_decodes_like_the_module_path():
    model = _model(11, NO_DROPOUT)
    fused = _decode(model)  # eval mode: single-token steps use decode_step with a per-call plan
    model.train()  # no dropout anywhere, so training mode only switches decoding to the module path
    reference = _decode(model)
    prepared = _decode(model.prepare_for_inference())
    assert not model.training and model._prepared_plan is not None
    for result in (fused, prepared):
        assert torch.equal(result.tokens, reference.tokens) and len(result.tokens) == 30
        torch.testing.assert_close(result.step_logits, reference.step_logits, atol=1e-5, rtol=0)


def test_preparation_is_dropped_when_parameters_change():
    model = _model(12, NO_DROPOUT).prepare_for_inference()
    plan = model._prepared_plan
    assert model.inference_plan() is plan
    before = _decode(model)
    with torch.no_grad():
        model.h.layers[0].linear2.weight.mul_(3.0)  # in place: the prepared plan must not be reused
    assert model.inference_plan() is not plan and model._prepared_plan is None
    after = _decode(model)
    assert not torch.allclose(before.step_logits, after.step_logits)
    model.train()
    torch.testing.assert_close(after.step_logits, _decode(model).step_logits, atol=1e-5, rtol=0)


def test_prepared_bfloat16_model_generates_close_to_unprepared():
    model = _model(13, NO_DROPOUT).to(torch.bfloat16)
    plain = _decode(model)
    prepared = _decode(model.prepare_for_inference())
    assert len(prepared.tokens) == 30 and int(prepared.tokens.max()) < NO_DROPOUT.eos
    # packed oneDNN kernels round differently; bfloat16 logits agree to bf16 precision
    torch.testing.assert_close(prepared.step_logits[:5], plain.step_logits[:5], atol=0.05, rtol=0.02)


def test_prepared_model_can_be_deep_copied():
    model = _model(14, NO_DROPOUT).to(torch.bfloat16).prepare_for_inference()
    clone = copy.deepcopy(model)
    assert clone._prepared_plan is None and model._prepared_plan is not None
    assert torch.equal(_decode(clone).tokens, _decode(model.to(torch.float32).to(torch.bfloat16)).tokens)


def test_compiled_step_decodes_like_the_eager_step():
    model = _model(15, NO_DROPOUT)
    eager = _decode(model)
    model.prepare_for_inference(compile=True)
    compiled_step = model._compiled_step
    assert compiled_step is not None
    compiled = _decode(model)
    again = _decode(model, seed=4)  # a second call (new caches) reuses the compiled graph
    assert not compiled_step.failed, "torch.compile failed: the eager fallback ran instead"
    assert torch.equal(compiled.tokens, eager.tokens)
    torch.testing.assert_close(compiled.step_logits, eager.step_logits, atol=1e-5, rtol=0)
    model.train()
    torch.testing.assert_close(again.step_logits, _decode(model, seed=4).step_logits, atol=1e-5, rtol=0)


def test_compiled_step_is_ignored_for_bfloat16():
    model = _model(16, NO_DROPOUT).to(torch.bfloat16).prepare_for_inference(compile=True)
    assert model._compiled_step is None
