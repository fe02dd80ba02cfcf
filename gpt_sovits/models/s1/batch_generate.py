"""Batched S1 decoding with left-padded text (the original's ``infer_panel_batch_infer``).

Each item's text is embedded on its own (positions from 0), then left-padded with zeros to the
longest text; padding keys are masked. All items share one prompt length. Items leave the batch
(and their cache rows are dropped) when they finish. Per item the result keeps the new tokens
**without the last one** (the EOS, or the extra token at an early stop), like the original.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gpt_sovits.models.s1.generate import (
    DecodeOptions,
    GenerateResult,
    choose_next,
    decode_one_token,
    prefill,
)
from gpt_sovits.models.s1.model import Text2Semantic, prefix_lm_mask
from gpt_sovits.models.s1.sampling import token_presence


def _left_padded_text(
    model: Text2Semantic, phones: list[torch.Tensor], bert: list[torch.Tensor], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """-> (text embeddings [B, X, D] left-padded with zeros, valid mask [B, X])."""
    dtype = model.ar_predict_layer.weight.dtype
    items = [
        model.embed_text(p.long().to(device).unsqueeze(0), b.to(device=device, dtype=dtype).unsqueeze(0))[0]
        for p, b in zip(phones, bert, strict=True)
    ]
    width = max(item.shape[0] for item in items)
    text = torch.stack([F.pad(item, (0, 0, width - item.shape[0], 0)) for item in items])
    lengths = torch.tensor([item.shape[0] for item in items], device=device)
    valid = torch.arange(width, device=device).unsqueeze(0) >= (width - lengths).unsqueeze(1)
    return text, valid


@torch.inference_mode()
def generate_batch(
    model: Text2Semantic,
    phones: list[torch.Tensor],
    bert: list[torch.Tensor],
    prompts: torch.Tensor,
    *,
    options: DecodeOptions | None = None,
    generator: torch.Generator | None = None,
    return_logits: bool = False,
) -> list[GenerateResult]:
    """Generate for several items at once.

    phones: list of [X_i]; bert: list of [bert_dim, X_i]; prompts [B, P] with P >= 1 (for
    reference-free items call :func:`~gpt_sovits.models.s1.generate.generate` per item, as the
    original does). Result ``i`` has ``step_logits`` [idx_i + 1, vocab] when requested.
    """
    if len(phones) != len(bert) or len(phones) != prompts.shape[0]:
        raise ValueError(f"batch sizes differ: {len(phones)} phones, {len(bert)} bert, {prompts.shape[0]} prompts")
    if prompts.shape[1] == 0:
        raise ValueError("generate_batch needs a prompt; use generate() per item for reference-free mode")
    opts = options or DecodeOptions()
    eos, vocab = model.config.eos, model.config.vocab_size
    device = model.ar_predict_layer.weight.device
    prompts = prompts.long().to(device)
    batch, prompt_len = prompts.shape
    text, text_valid = _left_padded_text(model, phones, bert, device)
    text_len = text.shape[1]
    capacity = opts.step_capacity()
    total = text_len + prompt_len + capacity

    model.setup_caches(batch, total)
    try:
        xy = torch.cat([text, model.embed_audio(prompts)], dim=1)
        logits = prefill(model, xy, prefix_lm_mask(text_valid, prompt_len))
        key_valid = F.pad(text_valid, (0, total - text_len), value=True)
        seen = token_presence(prompts, vocab)
        history = torch.empty(batch, capacity, dtype=torch.long, device=device)
        rows = list(range(batch))  # original item index of each active row
        raw: list[list[torch.Tensor]] = [[] for _ in range(batch)]
        results: list[GenerateResult | None] = [None] * batch
        for step in range(opts.max_new_tokens):
            logits = logits.float()
            if return_logits:
                for r, item in enumerate(rows):
                    raw[item].append(logits[r].clone())
            token, hit = choose_next(logits, seen, step, opts, eos, generator)
            history[:, step] = token[:, 0]
            seen.scatter_(1, token, True)
            hit_list = hit.tolist()
            for r, item in enumerate(rows):
                if hit_list[r]:
                    results[item] = GenerateResult(history[r, :step].clone(), step, True, prompt_len)
            keep = [r for r, h in enumerate(hit_list) if not h]
            if not keep:
                break
            if len(keep) < len(rows):
                index = torch.tensor(keep, device=device)
                token, seen, history, key_valid = (t.index_select(0, index) for t in (token, seen, history, key_valid))
                for cache in model.caches:
                    cache.select_rows(index)
                rows = [rows[r] for r in keep]
            early = opts.early_stop_num != -1 and step + 1 > opts.early_stop_num
            if early or step == opts.max_new_tokens - 1:
                for r, item in enumerate(rows):
                    results[item] = GenerateResult(history[r, :step].clone(), step, False, prompt_len)
                break
            pos = prompt_len + step
            mask = key_valid[:, None, None, : text_len + pos + 1]
            logits = decode_one_token(model, token, pos, text_len + pos, mask)
    finally:
        model.clear_caches()
    if return_logits:
        for item, result in enumerate(results):
            result.step_logits = torch.stack(raw[item])
    return results  # type: ignore[return-value]
