"""Intelligibility probe of a pretraining run: does its S2 speak words yet?

On the run's held-out validation utterances (the same seeded split the trainers use) the newest S2
checkpoint renders each utterance twice:

- ``reconstruction``: posterior encoder (the utterance's own spectrogram) → decoder, the upper
  bound of what the prior path can reach;
- ``prior``: the synthesis path (its own semantic tokens + phones, itself as reference,
  noise_scale 0.5), what a voice built on the base will sound like before fine-tuning.

faster-whisper transcribes both and the original; the result is each path's word/character error
rate (en: words, zh: characters, as eval-clone scores them). Cheap (a minute on 2 cores for 8
utterances), so it can run beside training.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

PATHS = ("original", "reconstruction", "prior")


@dataclass
class ProbeResult:
    """Error rates per rendering path (``PATHS``) and the per-utterance transcripts."""

    step: int
    items: int
    error_rate: dict[str, float]
    utterances: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _run_items(run: Path, corpus: Path, cfg) -> list:
    """The run's validation items, split exactly as :func:`gpt_sovits.pretrain.driver.pretrain` does."""
    from gpt_sovits.data.project import Project
    from gpt_sovits.features.cache import FeatureCache
    from gpt_sovits.pretrain import data
    from gpt_sovits.train.dataset import split_items

    project = Project(corpus)
    cache = FeatureCache(project.features_dir(data.FEATURE_KEY))
    items = data.lazy_items(cache, data.cached_ids(cache, data.label_items(project)))
    if len(items) < 2:
        raise FileNotFoundError(f"{corpus} has no cached corpus features; run pretrain on it first")
    return split_items(items, cfg.val_items, cfg.seed)[1]


def _render(gen, item) -> dict[str, np.ndarray]:
    """The original audio, its posterior reconstruction and its prior-path rendering (32 kHz)."""
    spec = item.spec[None].float()
    lengths = torch.tensor([spec.shape[-1]])
    with torch.inference_mode():
        ge = gen.ref_timbre(spec)
        _, m_q, _, mask = gen.enc_q(spec, lengths, g=ge)
        rec = gen.dec(m_q * mask, g=ge)[0, 0]
        generator = torch.Generator().manual_seed(0)
        prior = gen.decode(item.semantic.long()[None, None], item.phone_ids[None], spec, noise_scale=0.5,
                           generator=generator)[0, 0]
    return {"original": item.wav.float().numpy(), "reconstruction": rec.numpy(), "prior": prior.numpy()}


def probe_run(run: str | Path, corpus: str | Path, items: int = 8, pretrained_root: str | Path | None = None,
              out: str | Path | None = None) -> ProbeResult:
    """Probe the newest S2 checkpoint of pretraining run ``run`` (see the module docstring).

    Args:
        run / corpus: the run folder and the corpus it trains on.
        items: how many validation utterances (at most the run's ``val_items``).
        pretrained_root: where Whisper-base is found (default: the checkout's ``pretrained/``).
        out: also write ``<slice>-<path>.wav`` files there to listen to.

    Raises:
        FileNotFoundError: no run, no S2 checkpoint yet or no cached corpus features.
    """
    import soundfile as sf

    from gpt_sovits.asr import WhisperASR
    from gpt_sovits.evaluation.metrics import corpus_rate, error_count
    from gpt_sovits.models.s2.model import SynthesizerTrn
    from gpt_sovits.pretrain.config import PretrainConfig
    from gpt_sovits.train.checkpoints import CheckpointManager

    run = Path(run)
    config_path = run / "run" / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"{run} is not a pretraining run folder (no run/config.json)")
    cfg = PretrainConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
    state = CheckpointManager(run / "run" / "checkpoints", "s2", cfg.keep_checkpoints).latest()
    if state is None:
        raise FileNotFoundError(f"{run} has no S2 checkpoint yet; let pretraining save one first")
    gen = SynthesizerTrn(cfg.s2_config(), with_posterior=True)
    gen.load_state_dict(state["trainer"]["gen"], strict=True)
    gen.eval()
    asr = WhisperASR(pretrained_root=Path(pretrained_root) if pretrained_root else None)
    counts: dict[str, list] = {p: [] for p in PATHS}
    rows = []
    for item in _run_items(run, Path(corpus), cfg)[:items]:
        lang = "zh" if item.language.lower().removeprefix("all_") == "zh" else "en"
        row: dict = {"slice": item.slice_id, "text": item.text}
        for path, audio in _render(gen, item).items():
            if out is not None:
                Path(out).mkdir(parents=True, exist_ok=True)
                sf.write(Path(out) / f"{item.slice_id}-{path}.wav", audio, 32000)
            heard = asr.transcribe(audio, 32000, language=lang).text
            counts[path].append(error_count(item.text, heard, lang))
            row[path] = heard
        rows.append(row)
    rates = {p: round(corpus_rate(c), 3) for p, c in counts.items()}
    return ProbeResult(step=int(state["step"]), items=len(rows), error_rate=rates, utterances=rows)
