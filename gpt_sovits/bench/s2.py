"""S2 decoding speed: random weights, weight norm folded, ``inference_mode``."""

from __future__ import annotations

import time
from typing import Any


def bench_s2(
    preset: str = "v2",
    tokens: int = 150,
    ref_seconds: float = 5.0,
    noise_scale: float = 0.5,
    phones: int = 60,
    repeats: int = 2,
    seed: int = 0,
) -> dict[str, Any]:
    """Time ``SynthesizerTrn.decode`` of ``tokens`` semantic tokens (25 Hz: 150 → 6 s of audio)
    with one reference of ``ref_seconds``, including the reference spectrogram and timbre
    encoder. One warm-up call, then the best of ``repeats`` timed calls."""
    import torch

    from gpt_sovits.audio.spectral import linear_spectrogram
    from gpt_sovits.config import preset as lookup
    from gpt_sovits.models.s2.config import S2_PRESETS
    from gpt_sovits.models.s2.model import SynthesizerTrn

    cfg = lookup(S2_PRESETS, preset)
    torch.manual_seed(seed)
    model = SynthesizerTrn(cfg, with_posterior=False).eval()
    model.fold_weight_norm()
    g = torch.Generator().manual_seed(seed)
    codes = torch.randint(0, cfg.codebook_size, (1, 1, tokens), generator=g)
    phone_ids = torch.randint(0, cfg.n_symbols, (1, phones), generator=g)
    ref_wav = 0.1 * torch.randn(1, int(ref_seconds * cfg.sampling_rate), generator=g)

    def run() -> torch.Tensor:
        with torch.inference_mode():
            spec = linear_spectrogram(ref_wav, n_fft=cfg.filter_length, hop=cfg.hop_length,
                                      win=cfg.win_length)
            return model.decode(codes, phone_ids, [spec], noise_scale=noise_scale,
                                generator=torch.Generator().manual_seed(seed))

    run()
    times = []
    for _ in range(max(repeats, 1)):
        start = time.perf_counter()
        audio = run()
        times.append(time.perf_counter() - start)
    audio_s = audio.shape[-1] / cfg.sampling_rate
    best = min(times)
    return {
        "preset": preset,
        "threads": torch.get_num_threads(),
        "tokens": tokens,
        "ref_seconds": ref_seconds,
        "audio_seconds": audio_s,
        "decode_s": best,
        "all_s": times,
        "real_time_factor": best / audio_s,
    }
