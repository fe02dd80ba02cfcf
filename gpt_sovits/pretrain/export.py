"""Export a candidate ``starter`` profile folder from the newest pretraining checkpoints.

The folder holds ``s1.safetensors``, ``s2g.safetensors`` (with the posterior encoder, which
fine-tuning needs), ``s2d.safetensors`` when the run trained a discriminator (all fp16, our
weights format) and ``profile.json``; it
is written next to its final place and swapped in, so a reader never sees half a profile.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import torch

from gpt_sovits.checkpoint.ours import save_weights
from gpt_sovits.checkpoint.s1 import save_s1
from gpt_sovits.models.s1.config import S1Config
from gpt_sovits.models.s2.config import S2Config

PROFILE_JSON = {
    "title": "Starter preview (offline)",
    "titles": {"zh": "入门预览版（离线）"},  # the title in the studio's other language
    # not yet at the quality targets of pretrained/starter/MODEL_CARD.md: the studio says so
    "preview": True,
    "s1": "s1.safetensors",
    "s2g": "s2g.safetensors",
    "s2d": "s2d.safetensors",
    "content_encoder": "whisper-base",
    "bert": None,
    # session 15, 40 training utterances: the reading check's best of 4 at these settings misread
    # 0.644 of the words (Whisper), one take at the studio defaults (top-k 15, T 1, rep 1.35) 0.754
    # noise 0.3 (session 29): fine-tuned held-out voices, 3 synthesis seeds, read better than at 0.5
    # (zh CER 0.446 -> 0.425, en-kokoro WER 0.328 -> 0.304, Allison 0.434 -> 0.412; similarity -0.005)
    # intonation 1.5 (session 34, envelope decoder, paired): similarity to the voice zh 0.800 -> 0.822,
    # en Kokoro 0.789 -> 0.809, for CER +0.003 / WER +0.007 (a HiFi-GAN export's voices drop it)
    "synthesis": {"noise_scale": 0.3, "intonation": 1.5, "top_k": 3, "temperature": 0.5, "repetition_penalty": 1.0},
    # session 19, ~1 minute of a held-out voice, mean of 3 synthesis seeds: S2 1 + S1 3 epochs read
    # better and sound closer than the CPU default S2 3 + S1 8 (English WER 0.600 vs 0.638, zh CER
    # 0.574 vs 0.604; similarity 0.735 vs 0.718 and 0.750 vs 0.704): more epochs over-fit S1.
    # Session 21 (S1 of run20 @5,499): with S2's Whisper feature loss, as in pretraining, English WER
    # 0.482 vs 0.779 (0.499 vs 0.533 without the text Whisper's greedy decoding looped on), zh CER
    # 0.406 vs 0.396, similarity 0.746 vs 0.728 and 0.763 vs 0.753
    # Session 35 (envelope decoder, eval-sets30, paired against S2 1 epoch of all of S2): only S2's decoder
    # learns, 8 epochs: similarity zh 0.825 -> 0.838, en Kokoro 0.809 -> 0.866, Allison (a real voice)
    # 0.732 -> 0.802; words zh -0.009 +- 0.016, en Kokoro -0.028 +- 0.014, Allison +0.015 +- 0.019
    "fine_tune": {"s2_epochs": 8, "s1_epochs": 3, "s2_whisper_weight": 100, "s2_decoder_only": True},
}
SIZE_BUDGET_MB = 80.0


def export_profile(folder: str | os.PathLike[str], s1: tuple[S1Config, dict[str, torch.Tensor]],
                   s2: tuple[S2Config, dict[str, torch.Tensor]], s2d: dict[str, torch.Tensor] | None,
                   extra: dict | None = None, files: tuple[Path, ...] = ()) -> dict:
    """Write the profile folder atomically (``files`` that exist are copied in beside the weights);
    returns ``{"path", "mb": {...}, "total_mb", "within_budget"}``."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        meta = {k: str(v) for k, v in (extra or {}).items()}
        save_s1(tmp / PROFILE_JSON["s1"], s1, extra=meta, half=True)
        save_weights(tmp / PROFILE_JSON["s2g"], "s2g", s2[0].to_dict(), s2[1], extra=meta, half=True)
        profile = dict(PROFILE_JSON)
        if s2d is not None:
            save_weights(tmp / PROFILE_JSON["s2d"], "s2d", s2[0].to_dict(), s2d, extra=meta, half=True)
        else:
            profile["s2d"] = None  # fine-tuning then learns from mel + KL alone (no adversarial loss)
        (tmp / "profile.json").write_text(json.dumps(profile, indent=2) + "\n", encoding="utf-8")
        for path in files:
            if path.is_file():
                shutil.copyfile(path, tmp / path.name)
        old = folder.with_name(f".{folder.name}.old")
        if folder.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(folder, old)
        os.replace(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    keys = ("s1", "s2g", "s2d") if s2d is not None else ("s1", "s2g")
    sizes = {key: round((folder / PROFILE_JSON[key]).stat().st_size / 2**20, 2) for key in keys}
    total = round(sum(sizes.values()), 2)
    return {"path": str(folder), "mb": sizes, "total_mb": total, "within_budget": total <= SIZE_BUDGET_MB}
