"""S1 (text-to-semantic GPT) fine-tuning step.

Loss: cross-entropy over the semantic tokens plus the final EOS, summed over the batch (the
original's ``reduction="sum"``, reported as ``loss``); the per-token mean (``ce``) and the top-3
accuracy (EOS excluded) are reported too.

Optimiser (our choice, differs from the original on purpose): the original fine-tune uses
icefall's ScaledAdam at a constant lr 0.002 with 4-step gradient accumulation on GPU. ScaledAdam
scales each Adam update by the parameter's RMS, so lr 0.002 moves a weight of RMS ~0.03 (v2's
512-wide layers) by ~6e-5 per update, i.e. a plain Adam at ~1e-4. We use AdamW (betas 0.9/0.98,
weight decay 0.01) at a constant 3e-4 after a 10-step linear warm-up, without accumulation, on the
*per-token mean* CE (sum / number of targets, so the step size does not depend on how many
tokens a batch holds), with the gradient norm clipped at 1.0 (the original's setting).

Measured (tiny S1 from random initialisation - no pretrained S1 is available offline - on 4
espeak-ng slices of real speech, batch 2, one thread; per-token CE on the training and held-out
slices after 20/40/60 updates; "ScaledAdam core" = Adam direction x parameter RMS, scalars at 0.1x):

| optimiser                                   | train CE 20/40/60 | held-out CE 60 | batches |
|---------------------------------------------|-------------------|----------------|---------|
| ScaledAdam core, lr 0.002, 4x accumulation  | 6.59 / 6.14 / 5.76| 6.49           | 240     |
| AdamW 1e-4 + warm-up                        | 6.87 / 6.55 / 6.25| 6.68           | 60      |
| AdamW 3e-4 + warm-up (chosen)               | 6.42 / 5.77 / 5.28| 6.15           | 60      |
| AdamW 1e-3 + warm-up                        | 5.55 / 4.38 / 3.52| 5.99 (flat: over-fits) | 60 |

AdamW 3e-4 beats the original's recipe per update and by ~4x per batch of compute (which is what
counts on CPU), while 1e-3 already over-fits the held-out slices. The warm-up protects pretrained
weights from the first, noisy Adam steps (the original's first step even runs at lr 0.01, a known
quirk).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gpt_sovits.models.s1.loss import IGNORE_INDEX, make_targets, s1_loss, top_k_accuracy
from gpt_sovits.models.s1.model import Text2Semantic
from gpt_sovits.train.config import TrainConfig
from gpt_sovits.train.dataset import S1Batch, TrainItem, collate_s1
from gpt_sovits.train.samples import Previewer

SELF_FEED_TOP_K = 15  # as the decoder samples by default (DecodeOptions.top_k)


class S1Trainer:
    """One S1 fine-tuning stage (see the module docstring).

    Args:
        model: Text2Semantic initialised from the base profile.
        config: the run's TrainConfig.
        device: where to train.
        val_items: held-out slices for validation.
        previewer: renders the preview sentence (None: no previews).
        s2_for_preview: the (fine-tuned) S2 generator used for previews.
        extra_loss: called with the batch right after each forward pass; returns a loss added to
            the per-token CE and metrics to report (pretraining's guided attention uses it).
        token_noise: share of the *input* semantic tokens replaced by random ones in training
            steps (targets unchanged), so the previous tokens stop being a shortcut past the text.
        self_feed: share of the input tokens replaced by the model's *own* prediction for that
            position, sampled (top-k) from a teacher-forced pass without gradients (parallel
            scheduled sampling): the model learns to continue from its own mistakes, as it must
            when it decodes freely (targets unchanged, validation clean).
        val_scorer: called with the model (eval mode) at each validation; its metrics join the
            validation losses (pretraining's reading score, gpt_sovits.pretrain.reading).
    """

    stage = "s1"

    def __init__(self, model: Text2Semantic, config: TrainConfig, device: torch.device,
                 val_items: list[TrainItem], previewer: Previewer | None = None,
                 s2_for_preview: nn.Module | None = None,
                 extra_loss: Callable[[S1Batch], tuple[torch.Tensor, dict[str, float]]] | None = None,
                 token_noise: float = 0.0, self_feed: float = 0.0,
                 val_scorer: Callable[[Text2Semantic], dict[str, float]] | None = None) -> None:
        if not 0.0 <= token_noise < 1.0:
            raise ValueError(f"token_noise must be in [0, 1), got {token_noise}")
        if not 0.0 <= self_feed < 1.0:
            raise ValueError(f"self_feed must be in [0, 1), got {self_feed}")
        self.model = model.to(device)
        self.extra_loss, self.token_noise, self.self_feed = extra_loss, token_noise, self_feed
        self.config, self.device, self.val_items = config, device, val_items
        self.previewer, self.s2_for_preview = previewer, s2_for_preview
        self.val_scorer = val_scorer
        self.opt = torch.optim.AdamW(model.parameters(), lr=config.s1_lr, betas=tuple(config.s1_betas),
                                     weight_decay=config.s1_weight_decay)
        self.amp = device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp)
        self.generators: dict[str, torch.Generator] = {}
        self.updates = 0

    def set_epoch(self, epoch: int) -> None:
        """The schedule depends on the step count only (warm-up, then constant)."""

    def _lr_at(self, update: int) -> float:
        warmup = self.config.s1_warmup_steps
        return self.config.s1_lr * min(1.0, (update + 1) / (warmup + 1)) if warmup else self.config.s1_lr

    def current_lr(self) -> float:
        return float(self.opt.param_groups[0]["lr"])

    def _noisy(self, semantic: torch.Tensor) -> torch.Tensor:
        """``semantic`` with a ``token_noise`` share of its tokens replaced by random codes."""
        if self.token_noise <= 0:
            return semantic
        hit = torch.rand(semantic.shape, device=semantic.device) < self.token_noise
        return torch.where(hit, torch.randint_like(semantic, 0, self.model.config.eos), semantic)

    @torch.no_grad()
    def _self_fed(self, batch: S1Batch, top_k: int = SELF_FEED_TOP_K) -> torch.Tensor:
        """``batch.semantic`` with a ``self_feed`` share of its tokens replaced by the model's own
        top-k sample for that position, given the true tokens before it (never EOS)."""
        semantic = batch.semantic
        if self.self_feed <= 0:
            return semantic
        logits = self.model(batch.phones, batch.phone_lens, batch.bert, semantic, batch.semantic_lens, batch.pointer)
        logits = logits[:, :-1, : self.model.config.eos].float()  # row t predicts semantic[t]; no EOS
        values, codes = logits.topk(min(top_k, logits.shape[-1]), dim=-1)
        pick = torch.multinomial(values.softmax(-1).flatten(0, 1), 1).view(*values.shape[:2], 1)
        sampled = codes.gather(-1, pick).squeeze(-1)
        hit = torch.rand(semantic.shape, device=semantic.device) < self.self_feed
        return torch.where(hit, sampled, semantic)

    def _losses(self, batch: S1Batch, noisy: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor,
                                                                     dict[str, torch.Tensor]]:
        """(summed CE, number of targets, token logits [B, Y+1, V], extra losses); ``noisy``: the
        training inputs (self-fed, then randomly corrupted, as configured). A phone-pointer S1 adds
        the mean binary CE of its advance decisions as ``advance`` (the pointer inputs stay true)."""
        inputs = self._noisy(self._self_fed(batch)) if noisy else batch.semantic
        pointed = self.model.config.phone_pointer
        if pointed and batch.pointer is None:
            raise ValueError("this S1 has a phone pointer: its training items need token alignments "
                             "(gpt_sovits.features.token_align)")
        with torch.autocast(self.device.type, enabled=self.amp):
            logits = self.model(batch.phones, batch.phone_lens, batch.bert, inputs, batch.semantic_lens,
                                batch.pointer if pointed else None)
        extra: dict[str, torch.Tensor] = {}
        if pointed:
            from gpt_sovits.models.s1.pointer import advance_loss

            total, rows = advance_loss(logits[..., -1], batch.advance)
            extra["advance"] = total / rows.clamp(min=1)
            logits = logits[..., :-1]
        targets = make_targets(batch.semantic, batch.semantic_lens, self.model.config.eos)
        count = (targets != IGNORE_INDEX).sum()
        return s1_loss(logits, targets), count, logits, extra

    def train_step(self, items: list[TrainItem]) -> tuple[dict[str, float], float]:
        """One AdamW update on the per-token mean CE; returns (losses, grad norm before clipping)."""
        self.model.train()
        for group in self.opt.param_groups:
            group["lr"] = self._lr_at(self.updates)
        batch = collate_s1(items, self.model.config.eos).to(self.device)
        loss_sum, count, logits, pointer_losses = self._losses(batch, noisy=True)
        loss = loss_sum / count
        extra, extra_metrics = self.extra_loss(batch) if self.extra_loss else (0.0, {})
        extra = extra + sum(pointer_losses.values())
        self.opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss + extra).backward()
        self.scaler.unscale_(self.opt)
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.s1_grad_clip)
        self.scaler.step(self.opt)
        self.scaler.update()
        self.updates += 1
        targets = make_targets(batch.semantic, batch.semantic_lens, self.model.config.eos)
        acc = top_k_accuracy(logits.detach(), targets, self.model.config.eos, k=3)
        losses = {"loss": float(loss_sum.detach()), "ce": float(loss.detach()), "acc_top3": acc}
        losses |= {k: float(v.detach()) for k, v in pointer_losses.items()}
        return losses | extra_metrics, float(grad_norm)

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """Per-token CE and top-3 accuracy on the held-out slices."""
        if not self.val_items:
            return {}
        self.model.eval()
        batch = collate_s1(self.val_items, self.model.config.eos).to(self.device)
        loss_sum, count, logits, pointer_losses = self._losses(batch)
        extra_metrics = self.extra_loss(batch)[1] if self.extra_loss else {}
        extra_metrics |= {k: float(v) for k, v in pointer_losses.items()}
        targets = make_targets(batch.semantic, batch.semantic_lens, self.model.config.eos)
        acc = top_k_accuracy(logits, targets, self.model.config.eos, k=3)
        scored = self.val_scorer(self.model) if self.val_scorer else {}
        self.model.train()
        return {"ce": float(loss_sum / count), "acc_top3": acc} | extra_metrics | scored

    def preview(self, path: Path) -> bool:
        if self.previewer is None or self.s2_for_preview is None:
            return False
        self.model.eval()
        try:
            return self.previewer.render(self.model, self.s2_for_preview, path)
        finally:
            self.model.train()

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "opt": self.opt.state_dict(),
                "scaler": self.scaler.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.updates = int(state["updates"])
