"""Autoregressive decoding of S1 around an explicit KV cache, with the original's stop rules.

Rules (GPT-SoVITS ``infer_panel_naive``):
- the first ``eos_barred_steps`` (11) steps drop the EOS column before sampling;
- a step stops on a sampled EOS **or** when the argmax of the (penalised) logits is EOS; the
  EOS is not kept and ``idx`` = number of tokens generated before it;
- otherwise, after appending, decoding stops once more than ``early_stop_num`` tokens exist
  (then ``idx = early_stop_num`` and ``early_stop_num + 1`` tokens are kept), or after
  ``max_new_tokens`` steps (``idx = max_new_tokens - 1``);
- without a prompt (reference-free mode) the original reports ``idx = 0``.
The token produced at step ``t`` is fed back at audio position ``prompt_len + t``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from gpt_sovits.models.s1.model import Text2Semantic, prefix_lm_mask
from gpt_sovits.models.s1.pointer import PointerPrompt
from gpt_sovits.models.s1.sampling import logits_to_probs, sample, token_presence

# on_token(token, step) is called for every kept token; returning True cancels decoding.
TokenCallback = Callable[[int, int], "bool | None"]


@dataclass(frozen=True)
class DecodeOptions:
    """Sampling and stopping parameters (defaults: the web UI's)."""

    top_k: int = 15
    top_p: float = 1.0
    temperature: float = 1.0
    repetition_penalty: float = 1.35
    early_stop_num: int = -1  # -1 = off; the UI passes 50 * max_sec = 2700
    max_new_tokens: int = 1500
    eos_barred_steps: int = 11
    allow_eos: bool = True  # False: never stop on EOS (benchmarks)

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.repetition_penalty <= 0:
            raise ValueError(f"repetition_penalty must be > 0, got {self.repetition_penalty}")
        if self.early_stop_num < -1:
            raise ValueError(f"early_stop_num must be -1 (off) or >= 0, got {self.early_stop_num}")

    def step_capacity(self) -> int:
        """Most decoding steps these options allow."""
        if self.early_stop_num >= 0:
            return min(self.max_new_tokens, self.early_stop_num + 1)
        return self.max_new_tokens


@dataclass
class GenerateResult:
    """Outcome of one decoding run.

    ``tokens`` are the new semantic tokens kept (EOS removed), ``idx`` the original's returned
    step index, ``eos`` whether decoding ended on EOS, ``step_logits`` the raw
    ``ar_predict_layer`` output of every step ([steps, vocab], before EOS masking and penalty)
    when requested.
    """

    tokens: torch.Tensor
    idx: int
    eos: bool
    prompt_len: int
    step_logits: torch.Tensor | None = None
    alignment: torch.Tensor | None = None  # phone-pointer S1: the phone index of each new token

    @property
    def semantic(self) -> torch.Tensor:
        """What the classic UI passes to S2: ``tokens[-idx:]`` (all tokens when ``idx`` is 0).

        At an early stop this drops the first generated token, exactly like the original.
        """
        return self.tokens[-self.idx :] if self.idx > 0 else self.tokens


def preferred_dtype() -> torch.dtype:
    """Weight dtype for fast CPU decoding: bfloat16 where the CPU has native bf16 instructions.

    Decoding one token reads every weight once, so it is bound by memory traffic; bfloat16
    halves it. Attention and sampling stay float32 (see ``Text2Semantic.setup_caches``).
    Parity checks use float32.
    """
    if torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return torch.bfloat16
    return torch.float32


def prefill(model: Text2Semantic, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Fill the caches with the whole prefix ``x`` [B, S, D]; return the next-token logits [B, V]."""
    return model.step(x, mask, 0)


def decode_one_token(
    model: Text2Semantic, token: torch.Tensor, audio_pos: int, seq_pos: int, mask: torch.Tensor | None
) -> torch.Tensor:
    """Feed ``token`` [B, 1] at audio position ``audio_pos`` / cache slot ``seq_pos``; -> logits [B, V]."""
    return model.step(model.embed_audio(token, audio_pos), mask, seq_pos)


def choose_next(
    logits: torch.Tensor,
    seen: torch.Tensor,
    step: int,
    opts: DecodeOptions,
    eos: int,
    generator: torch.Generator | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample the next token per row. logits [B, V] (modified in place) -> (token [B, 1], hit_eos [B])."""
    if step < opts.eos_barred_steps or not opts.allow_eos:
        logits = logits[:, :eos]  # drop the EOS column
    probs = logits_to_probs(
        logits,
        seen,
        temperature=opts.temperature,
        top_k=opts.top_k,
        top_p=opts.top_p,
        repetition_penalty=opts.repetition_penalty,
    )
    token = sample(probs, generator)
    hit_eos = (token[:, 0] == eos) | (logits.argmax(dim=-1) == eos)
    return token, hit_eos


def _as_batch(t: torch.Tensor | None, dims: int, dtype: torch.dtype | None = None) -> torch.Tensor | None:
    if t is None:
        return None
    t = torch.as_tensor(t, dtype=dtype)
    return t.unsqueeze(0) if t.dim() == dims - 1 else t


@torch.inference_mode()
def generate(
    model: Text2Semantic,
    phones: torch.Tensor,
    bert: torch.Tensor,
    prompt: torch.Tensor | None = None,
    *,
    options: DecodeOptions | None = None,
    generator: torch.Generator | None = None,
    on_token: TokenCallback | None = None,
    return_logits: bool = False,
    pointer: PointerPrompt | None = None,
) -> GenerateResult:
    """Generate semantic tokens for one item.

    phones [X] or [1, X] (prompt phones + target phones), bert [bert_dim, X] or [1, bert_dim, X],
    prompt [P] or [1, P] semantic tokens of the reference (None or empty: reference-free mode).
    Call ``model.eval()`` first (dropout stays active in training mode). The model may hold
    float32 or half-precision weights (see :func:`preferred_dtype`); sampling is float32.
    ``on_token(token, step)`` sees every kept token as it is produced; returning True stops.
    A phone-pointer S1 decodes by :func:`~gpt_sovits.models.s1.pointer_generate.generate_pointed`
    and needs ``pointer`` (the prompt's alignment and the target's first phone) after a prompt.
    """
    opts = options or DecodeOptions()
    eos = model.config.eos
    device = model.ar_predict_layer.weight.device
    dtype = model.ar_predict_layer.weight.dtype
    phones = _as_batch(phones, 2, torch.long).to(device)
    bert = _as_batch(bert, 3).to(device=device, dtype=dtype)
    prompt = _as_batch(prompt, 2, torch.long)
    prompt = torch.zeros(1, 0, dtype=torch.long) if prompt is None else prompt
    prompt = prompt.to(device)
    if model.config.phone_pointer:
        from gpt_sovits.models.s1.pointer_generate import generate_pointed

        return generate_pointed(model, phones, bert, prompt, pointer, opts, generator, on_token, return_logits)
    text_len, prompt_len = phones.shape[1], prompt.shape[1]
    capacity = opts.step_capacity()

    model.setup_caches(1, text_len + prompt_len + capacity)
    try:
        x = torch.cat([model.embed_text(phones, bert), model.embed_audio(prompt)], dim=1)
        mask = prefix_lm_mask(torch.ones(1, text_len, dtype=torch.bool, device=device), prompt_len)
        logits = prefill(model, x, mask)
        seen = token_presence(prompt, model.config.vocab_size)
        tokens = torch.empty(capacity, dtype=torch.long)
        raw = torch.empty(capacity, model.config.vocab_size) if return_logits else None
        count, hit_eos, step = 0, False, 0
        for step in range(opts.max_new_tokens):
            logits = logits.float()
            if raw is not None:
                raw[step] = logits[0]
            token, hit = choose_next(logits, seen, step, opts, eos, generator)
            token_id, hit_eos = token[0, 0].item(), bool(hit[0])
            stop = opts.early_stop_num != -1 and count + 1 > opts.early_stop_num
            stop = stop or hit_eos or step == opts.max_new_tokens - 1
            if not hit_eos:
                tokens[count] = token_id
                count += 1
                seen[0, token_id] = True
                if on_token is not None and on_token(token_id, step) is True:
                    stop = True
            if stop:
                break
            pos = prompt_len + step
            logits = decode_one_token(model, token, pos, text_len + pos, None)
    finally:
        model.clear_caches()
    kept = tokens[:count] if count else torch.zeros(1, dtype=torch.long)  # original: "bad zero prediction"
    return GenerateResult(
        tokens=kept,
        idx=step if prompt_len else 0,
        eos=hit_eos,
        prompt_len=prompt_len,
        step_logits=None if raw is None else raw[: step + 1].clone(),
    )
