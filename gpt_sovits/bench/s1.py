"""S1 decoding speed: random weights, forced to generate exactly ``new_tokens`` tokens."""

from __future__ import annotations

import time
from typing import Any


def bench_s1(
    preset: str = "v2",
    prompt_tokens: int = 75,
    phones: int = 60,
    new_tokens: int = 150,
    top_k: int = 15,
    repetition_penalty: float = 1.35,
    dtype: str = "auto",
    seed: int = 0,
    compile: bool = True,
) -> dict[str, Any]:
    """Time one ``generate`` call (EOS disabled) after a short warm-up run.

    ``ms_per_token`` excludes the prefill (time from the first to the last token divided by
    ``new_tokens - 1``); ``prefill_ms`` is the time to the first token. ``dtype`` "auto" picks
    :func:`~gpt_sovits.models.s1.generate.preferred_dtype` (bfloat16 on CPUs with native bf16);
    "float32" is the exact (parity) path.
    """
    import torch

    from gpt_sovits.config import preset as lookup
    from gpt_sovits.models.s1.config import S1_PRESETS
    from gpt_sovits.models.s1.generate import DecodeOptions, generate, preferred_dtype
    from gpt_sovits.models.s1.model import Text2Semantic

    config = lookup(S1_PRESETS, preset)
    torch.manual_seed(seed)
    weight_dtype = preferred_dtype() if dtype == "auto" else getattr(torch, dtype)
    # float32 decoding uses the torch.compile'd step when ``compile`` (compiled once, in the warm-up
    # below, and excluded from the timing; the warm-up time is reported as ``compile_s``).
    model = Text2Semantic(config).eval().to(weight_dtype)
    model.prepare_for_inference(compile=compile and weight_dtype == torch.float32)
    g = torch.Generator().manual_seed(seed)
    phone_ids = torch.randint(0, config.phoneme_vocab_size, (phones,), generator=g)
    bert = torch.randn(config.bert_dim, phones, generator=g) * 0.25
    prompt = torch.randint(0, config.eos, (prompt_tokens,), generator=g)
    options = DecodeOptions(top_k=top_k, repetition_penalty=repetition_penalty, allow_eos=False,
                            max_new_tokens=new_tokens)
    pointer = None
    if config.phone_pointer:  # the prompt spoken by the first half of the phones, the target by the rest
        from gpt_sovits.features.token_align import proportional_alignment
        from gpt_sovits.models.s1.pointer import PointerPrompt

        half = phones // 2
        pointer = PointerPrompt(proportional_alignment(prompt_tokens, phone_ids[:half].tolist()), half)
    warm = time.perf_counter()
    generate(model, phone_ids, bert, prompt, options=DecodeOptions(top_k=top_k, allow_eos=False, max_new_tokens=8),
             pointer=pointer)
    warmup_s = time.perf_counter() - warm

    stamps: list[float] = []
    start = time.perf_counter()
    result = generate(model, phone_ids, bert, prompt, options=options, generator=torch.Generator().manual_seed(seed),
                      on_token=lambda token, step: stamps.append(time.perf_counter()), pointer=pointer)
    end = time.perf_counter()
    decode_s = stamps[-1] - stamps[0]
    return {
        "preset": preset,
        "dtype": str(weight_dtype).replace("torch.", ""),
        "threads": torch.get_num_threads(),
        "prompt_tokens": prompt_tokens,
        "phones": phones,
        "new_tokens": int(result.tokens.numel()),
        "prefill_ms": (stamps[0] - start) * 1000,
        "ms_per_token": decode_s * 1000 / max(len(stamps) - 1, 1),
        "total_ms": (end - start) * 1000,
        "compile_s": round(warmup_s, 1),
        "tokens_per_s": (len(stamps) - 1) / decode_s if decode_s > 0 else float("inf"),
    }
