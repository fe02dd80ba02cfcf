"""Guided attention: its cost is the guided heads' real attention, it leaves the model's outputs
alone, and training with it pulls those heads onto the text-to-audio diagonal; S1 token noise
and self-feeding (scheduled sampling) change the training inputs only."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch

from gpt_sovits.config import ConfigError
from gpt_sovits.models.s1.config import S1_PRESETS
from gpt_sovits.models.s1.model import Text2Semantic, lengths_to_mask, prefix_lm_mask
from gpt_sovits.pretrain.config import PretrainConfig
from gpt_sovits.pretrain.guided import GuidedAttention, diagonal_cost
from gpt_sovits.train.config import TrainConfig
from gpt_sovits.train.dataset import S1Batch
from gpt_sovits.train.s1_trainer import SELF_FEED_TOP_K, S1Trainer


def _model(seed: int = 0) -> Text2Semantic:
    torch.manual_seed(seed)
    return Text2Semantic(S1_PRESETS["tiny"].replace(bert_dim=8, position_dropout=0.0, attention_dropout=0.0,
                                                    dropout=0.0))


def _batch(seed: int = 1) -> S1Batch:
    gen = torch.Generator().manual_seed(seed)
    phone_lens, sem_lens = torch.tensor([7, 5]), torch.tensor([20, 13])
    phones = torch.randint(1, 60, (2, 7), generator=gen) * lengths_to_mask(phone_lens, 7)
    semantic = torch.randint(0, 1000, (2, 20), generator=gen)
    return S1Batch(phones, phone_lens, torch.zeros(2, 8, 7), semantic, sem_lens)


def test_diagonal_cost_is_zero_on_the_diagonal_and_grows_away_from_it() -> None:
    cost = diagonal_cost(torch.tensor([10, 4]), torch.tensor([30, 12]), 10, 30, sigma=0.2)
    assert cost.shape == (2, 30, 10)
    first = cost[0]  # 30 tokens over 10 phones: token 3n + 1 sits on phone n
    assert all(float(first[3 * n + 1, n]) < 1e-6 for n in range(10))
    assert first[0, -1] > 0.99 and first[-1, 0] > 0.99
    assert bool((first[16, 5:].diff() > 0).all()) and bool((first[16, :6].diff() < 0).all())
    assert float(cost[1, 3 * 3 + 1, 3]) < 1e-6  # each item's own lengths set its diagonal


def test_a_prompt_and_target_pair_has_a_diagonal_per_sentence() -> None:
    """Prompt: 4 phones in 20 tokens (slow); target: 6 phones in 6 tokens (fast). One diagonal over
    both would put target token 0 (position 20 of 26) on phone 7 of 10; its own diagonal says phone 4."""
    cost = diagonal_cost(torch.tensor([10]), torch.tensor([26]), 10, 26, sigma=0.2,
                         prompt_phone_lens=torch.tensor([4]), prompt_semantic_lens=torch.tensor([20]))[0]
    assert all(float(cost[5 * n + 2, n]) < 1e-6 for n in range(4))  # the prompt's own diagonal
    assert all(float(cost[20 + k, 4 + k]) < 1e-6 for k in range(6))  # the target's own diagonal
    assert float(cost[20, 4]) < min(float(cost[20, 3]), float(cost[20, 7])) and float(cost[17, 3]) < 1e-6
    assert float(cost[20, 0]) > 0.99 and float(cost[0, 9]) > 0.99  # far ends of the two sentences
    single = diagonal_cost(torch.tensor([10]), torch.tensor([26]), 10, 26, sigma=0.2)
    assert torch.allclose(single, diagonal_cost(torch.tensor([10]), torch.tensor([26]), 10, 26, 0.2,
                                                torch.tensor([0]), torch.tensor([0])))


def test_collated_pairs_carry_where_the_target_starts() -> None:
    from types import SimpleNamespace

    from gpt_sovits.pretrain.pairs import PairedItem
    from gpt_sovits.train.dataset import collate_s1

    def item(name: str, phones: int, tokens: int) -> SimpleNamespace:
        return SimpleNamespace(slice_id=name, frames=2 * tokens, phone_ids=torch.arange(1, phones + 1),
                               bert=torch.zeros(8, phones), semantic=torch.arange(tokens))

    batch = collate_s1([PairedItem(item("a_0", 4, 20), item("a_1", 6, 6)), item("b_0", 3, 9)], eos=1024)
    assert batch.prompt_phone_lens.tolist() == [4, 0] and batch.prompt_semantic_lens.tolist() == [20, 0]
    assert batch.phone_lens.tolist() == [10, 3] and batch.semantic_lens.tolist() == [26, 9]
    moved = batch.to(torch.device("cpu"))
    assert torch.equal(moved.prompt_semantic_lens, batch.prompt_semantic_lens)


def test_recomputed_attention_is_the_layers_own_attention() -> None:
    """With every head guided, weights @ values through out_proj equal the layer's attention output."""
    model, batch = _model().eval(), _batch()
    guide = GuidedAttention(model, [1], heads=model.config.n_heads, sigma=0.2, weight=1.0)
    with torch.no_grad():
        model(batch.phones, batch.phone_lens, batch.bert, batch.semantic, batch.semantic_lens)
        x = guide._inputs[1]
        mask = prefix_lm_mask(lengths_to_mask(batch.phone_lens, 7), 20)
        weights = guide._head_attention(1, x, mask)  # [B, H, T, T]
        attn = model.h.layers[1].self_attn
        dim, heads = x.shape[-1], attn.n_heads
        v = torch.nn.functional.linear(x, attn.in_proj_weight[2 * dim:], attn.in_proj_bias[2 * dim:])
        v = v.view(*x.shape[:2], heads, dim // heads).transpose(1, 2)
        out = (weights @ v).transpose(1, 2).reshape(x.shape)
        ours = torch.nn.functional.linear(out, attn.out_proj.weight, attn.out_proj.bias)
        assert torch.allclose(ours, attn(x, mask), atol=1e-5)


def test_hooks_do_not_change_the_model_and_can_be_removed() -> None:
    model, batch = _model().eval(), _batch()
    args = (batch.phones, batch.phone_lens, batch.bert, batch.semantic, batch.semantic_lens)
    with torch.no_grad():
        before = model(*args)
        guide = GuidedAttention(model, [0, 1], heads=2, sigma=0.2, weight=1.0)
        assert torch.equal(model(*args), before)
        assert 0.0 < float(guide.cost(_batch())) < 1.0
        guide.remove()
        model(*args)
    assert guide._inputs == {}
    with pytest.raises(RuntimeError, match="no forward pass"):
        guide.cost(batch)


def test_bad_settings_say_what_is_allowed() -> None:
    with pytest.raises(ValueError, match="layers must lie in 0..1"):
        GuidedAttention(_model(), [2], heads=1, sigma=0.2, weight=1.0)
    with pytest.raises(ValueError, match="heads in 1..4"):
        GuidedAttention(_model(), [0], heads=5, sigma=0.2, weight=1.0)


def test_pretrain_config_rejects_guided_layers_the_s1_does_not_have() -> None:
    from gpt_sovits.config import ConfigError
    from gpt_sovits.pretrain.config import PretrainConfig

    tiny = PretrainConfig.preset("tiny")
    assert tiny.replace(s1_guided_weight=1.0, s1_guided_layers=[1], s1_guided_heads=4).s1_guided_weight == 1.0
    with pytest.raises(ConfigError, match=r"s1_guided_layers \(indices 0..1\)"):
        tiny.replace(s1_guided_weight=1.0)  # default layers [2, 3]; the tiny S1 has 2 layers
    with pytest.raises(ConfigError, match=r"s1_guided_heads \(1..4\)"):
        tiny.replace(s1_guided_weight=1.0, s1_guided_layers=[0], s1_guided_heads=5)
    assert tiny.replace(s1_guided_layers=[9]).s1_guided_weight == 0.0  # off: layers not used


def test_training_with_the_guide_puts_the_guided_heads_on_the_diagonal() -> None:
    """Same data, same seed: the guided heads' off-diagonal attention falls well below the
    unguided run's, and the trainer reports it."""
    batch = _batch()
    costs = {}
    for weight in (0.0, 2.0):
        model = _model(seed=5)
        guide = GuidedAttention(model, [0, 1], heads=2, sigma=0.2, weight=weight)
        trainer = S1Trainer(model, TrainConfig(s1_lr=3e-3, s1_warmup_steps=0), torch.device("cpu"), [],
                            extra_loss=guide)
        for _ in range(30):
            losses, _ = trainer.train_step(_items(batch))
        assert "guided" in losses
        costs[weight] = losses["guided"]
    assert costs[2.0] < 0.5 * costs[0.0]


@dataclass
class Item:
    phone_ids: torch.Tensor
    bert: torch.Tensor
    semantic: torch.Tensor


def _items(batch: S1Batch) -> list[Item]:
    """The batch's items, as collate_s1 reads them."""
    return [Item(batch.phones[i, :p], batch.bert[i, :, :p], batch.semantic[i, :y])
            for i, (p, y) in enumerate(zip(batch.phone_lens.tolist(), batch.semantic_lens.tolist(), strict=True))]


def _one_training_step(model: torch.nn.Module, batch: S1Batch, option: str):
    """Record the semantic inputs of every forward pass of ``model``, check that a share of 1.0 of
    ``option`` is refused, then run one training step with a share of 0.5.
    Returns (inputs seen, the trainer, the batch's valid-token mask)."""
    seen: list[torch.Tensor] = []
    model.register_forward_pre_hook(lambda module, args: seen.append(args[3].clone()))
    with pytest.raises(ValueError, match=option):
        S1Trainer(model, TrainConfig(), torch.device("cpu"), [], **{option: 1.0})
    trainer = S1Trainer(model, TrainConfig(s1_warmup_steps=0), torch.device("cpu"), _items(batch), **{option: 0.5})
    torch.manual_seed(0)
    trainer.train_step(_items(batch))
    return seen, trainer, lengths_to_mask(batch.semantic_lens, batch.semantic.shape[1])


def test_token_noise_corrupts_training_inputs_only() -> None:
    """A share of the input tokens is replaced in training steps; targets and validation stay clean."""
    batch = _batch()
    model = _model()
    seen, trainer, valid = _one_training_step(model, batch, "token_noise")
    changed = float((seen[0] != batch.semantic)[valid].float().mean())
    assert 0.3 < changed < 0.7  # ~half replaced (a replacement can draw the same code)
    assert int(seen[0][valid].max()) < model.config.eos  # random codes, never EOS
    trainer.validate()
    assert torch.equal(seen[1][valid], batch.semantic[valid])
    clean = S1Trainer(_model(), TrainConfig(s1_warmup_steps=0), torch.device("cpu"), [])
    clean.model.register_forward_pre_hook(lambda module, args: seen.append(args[3].clone()))
    clean.train_step(_items(batch))
    assert torch.equal(seen[2][valid], batch.semantic[valid])


def test_self_feed_gives_the_model_its_own_predictions_in_training_steps_only() -> None:
    """Scheduled sampling: a share of the inputs becomes the model's own top-k sample for that
    position (from a teacher-forced pass on the true tokens); targets and validation stay clean."""
    batch = _batch()
    model = _model()
    with torch.no_grad():
        own = model(batch.phones, batch.phone_lens, batch.bert, batch.semantic, batch.semantic_lens)
    top = own[:, :-1, :model.config.eos].topk(SELF_FEED_TOP_K, dim=-1).indices  # [B, Y, k] per input position
    seen, trainer, valid = _one_training_step(model, batch, "self_feed")
    assert len(seen) == 2 and torch.equal(seen[0][valid], batch.semantic[valid])  # the prediction pass reads the truth
    fed = (seen[1] != batch.semantic) & valid
    assert 0.3 < float(fed[valid].float().mean()) < 0.7
    in_top = (top == seen[1].unsqueeze(-1)).any(-1)
    assert bool(in_top[fed].all())  # every replaced token is one the model itself ranked in its top k
    trainer.validate()
    assert torch.equal(seen[2][valid], batch.semantic[valid])
    with pytest.raises(ConfigError, match="s1_self_feed"):
        PretrainConfig.preset("tiny").replace(s1_self_feed=1.5)
