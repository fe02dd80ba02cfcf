"""One single-query decoding step of S1 (inference only: no autograd, no dropout).

Decoding one token is a chain of ~100 matrix-vector products and is bound by memory traffic and
per-op dispatch. This module runs that chain with as few tensor ops as possible:

- linear layers go through oneDNN (``torch.ops.mkldnn._linear_pointwise``), whose
  matrix-vector kernel streams the plain ``[out, in]`` weight about 1.5x faster than
  ``F.linear`` on CPU; ReLU and the residual additions are fused into those calls;
- attention for the single query reads the valid cache prefix directly (no mask building);
- the new key/value are written straight into the preallocated cache.

A :class:`DecodePlan` holds the per-layer weight tensors gathered once per ``generate`` call
(or once per model with :meth:`Text2Semantic.prepare_for_inference`, which also pre-packs
bfloat16 weights for oneDNN). Results equal the module path up to float rounding (~1e-6).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

Fingerprint = tuple[tuple[int, int, torch.dtype], ...]


@dataclass(frozen=True)
class LayerWeights:
    """Tensors of one post-norm transformer layer (weights possibly oneDNN-packed)."""

    attn: Any  # the SelfAttention module (its ``kv_cache`` changes per generate call)
    in_w: torch.Tensor  # [3D, D]
    in_b: torch.Tensor  # [3D]
    out_w: torch.Tensor  # [D, D]
    out_b: torch.Tensor  # [D]
    w1: torch.Tensor  # [F, D]
    b1: torch.Tensor  # [F]
    w2: torch.Tensor  # [D, F]
    b2: torch.Tensor  # [D]
    norm1: tuple[torch.Tensor, torch.Tensor]  # LayerNorm weight, bias [D]
    norm2: tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class DecodePlan:
    """Everything :func:`decode_step` needs, gathered once so the step does no module lookups."""

    layers: tuple[LayerWeights, ...]
    predict_w: torch.Tensor  # [V, D] (+ the advance row of a phone-pointer model)
    n_heads: int
    head_dim: int
    eps: float
    fused: bool  # oneDNN linear kernels in use
    packed: bool  # weights reordered for oneDNN (bfloat16 prepare_for_inference only)
    fingerprint: Fingerprint

    def matches(self, model: torch.nn.Module) -> bool:
        """True while the model's parameters are the very tensors (and versions) the plan saw."""
        return self.fingerprint == parameter_fingerprint(model)


def parameter_fingerprint(model: torch.nn.Module) -> Fingerprint:
    """Identity of every parameter: storage address, in-place version counter and dtype."""
    return tuple((p.data_ptr(), p._version, p.dtype) for p in model.parameters())


def onednn_linear_available(weight: torch.Tensor) -> bool:
    """Whether oneDNN linear kernels can serve ``weight`` (CPU, float32 or native bfloat16)."""
    if weight.device.type != "cpu" or not torch.backends.mkldnn.is_available():
        return False
    if weight.dtype == torch.bfloat16:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return weight.dtype == torch.float32


def build_plan(model: Any, pack: bool = False) -> DecodePlan:
    """Gather the decoding weights of a :class:`~gpt_sovits.models.s1.model.Text2Semantic`.

    ``pack`` reorders bfloat16 matrices into oneDNN's blocked layout (2x faster matrix-vector
    products on CPUs with native bf16, at the cost of a second copy of the weights); float32
    weights are never packed (the plain layout is as fast).
    """
    fingerprint = parameter_fingerprint(model)
    fused = onednn_linear_available(model.ar_predict_layer.weight)
    packed = pack and fused and model.ar_predict_layer.weight.dtype == torch.bfloat16

    def matrix(w: torch.Tensor) -> torch.Tensor:
        w = w.detach()
        return torch.ops.mkldnn._reorder_linear_weight(w, 1) if packed else w

    layers = []
    for layer in model.h.layers:
        attn = layer.self_attn
        layers.append(
            LayerWeights(
                attn=attn,
                in_w=matrix(attn.in_proj_weight),
                in_b=attn.in_proj_bias.detach(),
                out_w=matrix(attn.out_proj.weight),
                out_b=attn.out_proj.bias.detach(),
                w1=matrix(layer.linear1.weight),
                b1=layer.linear1.bias.detach(),
                w2=matrix(layer.linear2.weight),
                b2=layer.linear2.bias.detach(),
                norm1=(layer.norm1.weight.detach(), layer.norm1.bias.detach()),
                norm2=(layer.norm2.weight.detach(), layer.norm2.bias.detach()),
            )
        )
    cfg = model.config
    return DecodePlan(
        layers=tuple(layers),
        predict_w=matrix(model.head_weight()),
        n_heads=cfg.n_heads,
        head_dim=cfg.head_dim,
        eps=cfg.layer_norm_eps,
        fused=fused,
        packed=packed,
        fingerprint=fingerprint,
    )


# ----------------------------------------------------------------------------- linear kernels
# x [N, in] -> [N, out]; "add" variants return linear(x) + other. A oneDNN call costs ~11 us
# of fixed overhead (F.linear ~2 us), repaid many times over by its bandwidth on >= 0.5 MB weights.


def _onednn(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    return torch.ops.mkldnn._linear_pointwise(x, w, b, "none", [], "")


def _onednn_relu(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    return torch.ops.mkldnn._linear_pointwise(x, w, b, "relu", [], "")


def _onednn_add(x: torch.Tensor, other: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.ops.mkldnn._linear_pointwise.binary(x, other, w, b, "add")


def _plain_relu(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    return F.relu(F.linear(x, w, b))


def _plain_add(x: torch.Tensor, other: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return F.linear(x, w, b).add_(other)


# ----------------------------------------------------------------------------- the step
def _attend(
    lw: LayerWeights, qkv: torch.Tensor, mask: torch.Tensor | None, pos: int, plan: DecodePlan
) -> torch.Tensor:
    """Single-query attention. qkv [B, 3D]; mask [B, 1, 1, pos+1] bool or None -> [B, D]."""
    batch, heads, dh = qkv.shape[0], plan.n_heads, plan.head_dim
    split = qkv.view(batch, 3, 1, heads, dh).transpose(0, 1)  # [3, B, 1, H, Dh] (q, k, v)
    keys, values = lw.attn.kv_cache.write_step(pos, split[1:, :, 0])  # [B, H, S, Dh] each
    q = split[0].transpose(1, 2)  # [B, H, 1, Dh]
    if q.dtype != keys.dtype:  # float32 cache with half-precision weights
        q = q.to(keys.dtype)
    # Measured on CPU: SDPA's single-query kernel beats bmm + softmax + bmm on these shapes.
    out = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask)
    out = out.view(batch, heads * dh)  # [B, H, 1, Dh] -> [B, D]
    return out if out.dtype == qkv.dtype else out.to(qkv.dtype)


def decode_step(plan: DecodePlan, x: torch.Tensor, mask: torch.Tensor | None, pos: int) -> torch.Tensor:
    """Run one new position ``x`` [B, D] at cache slot ``pos`` through the stack -> logits [B, V].

    ``mask`` [B, 1, 1, pos + 1] (True = may attend) or None (all cached keys are visible).
    Every layer must have a KV cache attached (``Text2Semantic.setup_caches``).
    """
    linear, linear_relu, linear_add = (
        (_onednn, _onednn_relu, _onednn_add) if plan.fused else (F.linear, _plain_relu, _plain_add)
    )
    width = x.shape[-1:]
    for lw in plan.layers:
        attn = _attend(lw, linear(x, lw.in_w, lw.in_b), mask, pos, plan)
        x = F.layer_norm(linear_add(attn, x, lw.out_w, lw.out_b), width, *lw.norm1, plan.eps)
        hidden = linear_relu(x, lw.w1, lw.b1)
        x = F.layer_norm(linear_add(hidden, x, lw.w2, lw.b2), width, *lw.norm2, plan.eps)
    return linear(x, plan.predict_w, None)
