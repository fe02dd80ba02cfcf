"""Guided attention for S1 pretraining: a few heads are taught to read the text in order.

A from-scratch S1 on a corpus of a few hours over-fits before it learns *where* in the text each
semantic token comes from (measured on the starter run: teacher-forced validation CE 2.35 with the
right phones, 2.88 with another sentence's phones - the text is barely used). Attention-based TTS
has the same problem on small data; the classic remedy (Tachibana et al. 2017, "guided attention")
penalises attention far from the diagonal, so the alignment is learnt in hundreds of steps instead
of never. Here it applies to the first ``heads`` heads of the chosen ``layers`` only, the other
heads stay free, and the network (so the weights' format) is unchanged.

For audio position ``t`` of an item with ``T`` tokens and ``N`` phones, attention to phone ``n``
costs ``1 - exp(-((n + 0.5) / N - (t + 0.5) / T)^2 / (2 sigma^2))`` and attention to any audio
position costs 1 (a guided head that hides in the audio keys is not reading the text). Prompt +
target pairs (:mod:`gpt_sovits.pretrain.pairs`) are two sentences of one speaker joined; each has
its own diagonal (:func:`diagonal_cost`), as at synthesis, where the prompt's rate says nothing
about where in the target text a token is.

The attention of the guided heads is recomputed from the layer's input, captured by a forward
pre-hook during the ordinary forward pass (one extra ``q @ k`` for a few heads).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from gpt_sovits.models.s1.model import Text2Semantic, lengths_to_mask, prefix_lm_mask
from gpt_sovits.train.dataset import S1Batch


def _sentence_position(length: int, lens: torch.Tensor, prompt_lens: torch.Tensor) -> torch.Tensor:
    """[B, length] position of each index in its own sentence: 0..1 in the prompt sentence, 1..2 in
    the target sentence (a single sentence, prompt length 0, runs 1..2 throughout)."""
    i = torch.arange(length, dtype=torch.float32).view(1, -1) + 0.5
    p, total = prompt_lens.view(-1, 1).float(), lens.view(-1, 1).float()
    in_prompt = i / p.clamp(min=1)
    in_target = 1.0 + (i - p) / (total - p).clamp(min=1)
    return torch.where(i < p, in_prompt, in_target)


def diagonal_cost(phone_lens: torch.Tensor, semantic_lens: torch.Tensor, text_len: int, audio_len: int,
                  sigma: float, prompt_phone_lens: torch.Tensor | None = None,
                  prompt_semantic_lens: torch.Tensor | None = None) -> torch.Tensor:
    """[B, Y, X] cost of attending from audio position t to text position n (0 on the diagonal).

    With prompt lengths (prompt + target pairs), each sentence has its own diagonal: the prompt's
    tokens follow the prompt's phones and the target's tokens the target's, whatever the two
    sentences' speaking rates (one diagonal across both would point into the wrong sentence near
    the join when the rates differ)."""
    none = torch.zeros_like(phone_lens)
    n = _sentence_position(text_len, phone_lens, none if prompt_phone_lens is None else prompt_phone_lens)
    t = _sentence_position(audio_len, semantic_lens, none if prompt_semantic_lens is None else prompt_semantic_lens)
    return 1.0 - torch.exp(-((n.unsqueeze(1) - t.unsqueeze(2)) ** 2) / (2.0 * sigma * sigma))


class GuidedAttention:
    """Callable extra loss for :class:`~gpt_sovits.train.s1_trainer.S1Trainer` (``extra_loss``).

    Args:
        model: the S1 being trained; hooks are registered on its chosen layers at construction.
        layers: indices of the layers whose first ``heads`` heads are guided.
        heads: guided heads per layer.
        sigma: width of the allowed band (fraction of the sentence; 0.2 in the paper).
        weight: the loss is ``weight * mean cost`` (added to the per-token CE).
    """

    def __init__(self, model: Text2Semantic, layers: Sequence[int], heads: int, sigma: float, weight: float) -> None:
        n_layers, n_heads = model.config.n_layers, model.config.n_heads
        if not layers or any(not 0 <= i < n_layers for i in layers) or not 1 <= heads <= n_heads or sigma <= 0:
            raise ValueError(f"guided attention: layers must lie in 0..{n_layers - 1}, heads in 1..{n_heads}, "
                             f"sigma > 0 (got layers={list(layers)}, heads={heads}, sigma={sigma})")
        self.model, self.heads, self.sigma, self.weight = model, heads, sigma, weight
        self.layers = list(layers)
        self._inputs: dict[int, torch.Tensor] = {}
        self._handles = [model.h.layers[i].self_attn.register_forward_pre_hook(self._capture(i))
                         for i in self.layers]

    def _capture(self, index: int):
        def hook(module, args):
            if module.kv_cache is None:  # training/validation forward, never cached decoding
                self._inputs[index] = args[0]
        return hook

    def remove(self) -> None:
        """Unregister the hooks (the model decodes exactly as without them anyway)."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self._inputs.clear()

    def _head_attention(self, index: int, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Attention weights [B, heads, X+Y, X+Y] of the guided heads of layer ``index``."""
        attn = self.model.h.layers[index].self_attn
        dim = x.shape[-1]
        head_dim = dim // attn.n_heads
        width = self.heads * head_dim
        w, b = attn.in_proj_weight, attn.in_proj_bias
        q = F.linear(x, w[:width], b[:width])
        k = F.linear(x, w[dim:dim + width], b[dim:dim + width])
        q = q.view(*x.shape[:2], self.heads, head_dim).transpose(1, 2)
        k = k.view(*x.shape[:2], self.heads, head_dim).transpose(1, 2)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(head_dim)
        return scores.masked_fill(~mask, float("-inf")).softmax(-1)

    def cost(self, batch: S1Batch) -> torch.Tensor:
        """Mean off-diagonal attention of the guided heads in the last forward pass (0..1)."""
        if not self._inputs:
            raise RuntimeError("guided attention: no forward pass captured (call the model first)")
        text_len, audio_len = batch.phones.shape[1], batch.semantic.shape[1]
        mask = prefix_lm_mask(lengths_to_mask(batch.phone_lens, text_len), audio_len)
        text_cost = diagonal_cost(batch.phone_lens, batch.semantic_lens, text_len, audio_len, self.sigma,
                                  batch.prompt_phone_lens, batch.prompt_semantic_lens)
        rows = lengths_to_mask(batch.semantic_lens, audio_len).float()  # [B, Y]
        total = []
        for index in self.layers:
            weights = self._head_attention(index, self._inputs[index], mask)[:, :, text_len:]  # [B, h, Y, X+Y]
            on_text = (weights[..., :text_len] * text_cost.unsqueeze(1)).sum(-1)
            on_audio = weights[..., text_len:].sum(-1)
            per_row = (on_text + on_audio).mean(1)  # [B, Y]
            total.append((per_row * rows).sum() / rows.sum().clamp(min=1))
        self._inputs.clear()
        return torch.stack(total).mean()

    def __call__(self, batch: S1Batch) -> tuple[torch.Tensor, dict[str, float]]:
        """(weighted loss, {"guided": mean cost}) for the last forward pass on ``batch``."""
        cost = self.cost(batch)
        return self.weight * cost, {"guided": float(cost.detach())}
