"""Decoding a phone-pointer S1 (:mod:`~gpt_sovits.models.s1.pointer`) around the KV cache.

Differences from :func:`~gpt_sovits.models.s1.generate.generate`: EOS is never sampled; the
pointer walks the target's pronounced phones (sampling each advance decision from the model's
advance logit, moving on anyway after ``MAX_TOKENS_PER_PHONE`` tokens) and decoding ends when it
moves past the last one (unless ``allow_eos`` is off: benchmarks then go on at the end), or at
``max_new_tokens`` / ``early_stop_num``. The prompt's tokens are
fed with their own alignment. ``idx`` is the number of new tokens (all of them are kept).
"""

from __future__ import annotations

import torch

from gpt_sovits.features.token_align import pronounced_positions
from gpt_sovits.models.s1.model import Text2Semantic, prefix_lm_mask
from gpt_sovits.models.s1.pointer import END, PointerPrompt, PointerState, pointer_inputs
from gpt_sovits.models.s1.sampling import logits_to_probs, sample, token_presence


def _prompt_pointer(prompt: PointerPrompt | None, prompt_len: int, first_phone: int) -> list[int]:
    """Pointer inputs of the prompt positions: each prompt token's next token's phone, the last
    one pointing at the target's first phone."""
    if prompt_len == 0:
        return []
    if prompt is None or len(prompt.alignment) != prompt_len:
        got = "none" if prompt is None else f"{len(prompt.alignment)} entries"
        raise ValueError(f"a phone-pointer S1 needs the alignment of all {prompt_len} prompt tokens, got {got}")
    return pointer_inputs(list(prompt.alignment))[:-1] + [first_phone]


@torch.inference_mode()
def generate_pointed(model: Text2Semantic, phones: torch.Tensor, bert: torch.Tensor, prompt: torch.Tensor,
                     pointer_prompt: PointerPrompt | None, opts, generator: torch.Generator | None,
                     on_token, return_logits: bool):
    """One item ([1, X] phones, [1, bert_dim, X] bert, [1, P] prompt) -> ``GenerateResult``."""
    from gpt_sovits.models.s1.generate import GenerateResult

    eos, device = model.config.eos, phones.device
    text_len, prompt_len = phones.shape[1], prompt.shape[1]
    start = pointer_prompt.target_start if pointer_prompt is not None else 0
    state = PointerState([p for p in pronounced_positions(phones[0].tolist()) if p >= start])
    capacity = opts.step_capacity()
    model.setup_caches(1, text_len + prompt_len + capacity)
    try:
        known = torch.tensor([_prompt_pointer(pointer_prompt, prompt_len, state.phone)], dtype=torch.long,
                             device=device).view(1, prompt_len)
        x = torch.cat([model.embed_text(phones, bert), model.embed_audio(prompt, 0, phones, known)], dim=1)
        mask = prefix_lm_mask(torch.ones(1, text_len, dtype=torch.bool, device=device), prompt_len)
        logits = model.step(x, mask, 0)
        seen = token_presence(prompt, model.config.vocab_size)
        tokens = torch.empty(capacity, dtype=torch.long)
        spoken = torch.empty(capacity, dtype=torch.long)  # the phone of each new token
        raw = torch.empty(capacity, model.config.vocab_size + 1) if return_logits else None
        count, step, cancelled = 0, 0, False
        for step in range(capacity):
            logits = logits.float()
            if raw is not None:
                raw[step] = logits[0]
            probs = logits_to_probs(logits[:, :eos], seen, temperature=opts.temperature, top_k=opts.top_k,
                                    top_p=opts.top_p, repetition_penalty=opts.repetition_penalty)
            token = sample(probs, generator)
            token_id = int(token[0, 0])
            tokens[count], spoken[count] = token_id, state.phone
            count += 1
            seen[0, token_id] = True
            cancelled = on_token is not None and on_token(token_id, step) is True
            nxt = state.step(float(logits[0, -1]), generator)
            if cancelled or (nxt == END and opts.allow_eos) or count >= capacity:
                break
            pos = prompt_len + step
            here = torch.tensor([[nxt]], dtype=torch.long, device=device)
            logits = model.step(model.embed_audio(token, pos, phones, here), None, text_len + pos)
    finally:
        model.clear_caches()
    return GenerateResult(tokens=tokens[:count].clone(), idx=count if prompt_len else 0, eos=state.phone == END,
                          prompt_len=prompt_len, step_logits=None if raw is None else raw[: step + 1].clone(),
                          alignment=spoken[:count].clone())
