"""Intelligibility probe of a pretraining run: does its S2 speak words yet?

On the run's held-out validation utterances (the same seeded split the trainers use) the newest S2
checkpoint renders each utterance twice:

- ``reconstruction``: posterior encoder (the utterance's own spectrogram) → decoder, the upper
  bound of what the prior path can reach;
- ``prior``: S2's synthesis path given the utterance's own semantic tokens + phones, itself as
  reference (noise_scale 0.5): S2 alone, with perfect tokens;
- ``synthesis``: the whole text-to-speech path: the run's S1 (its best, as exported) writes the
  tokens from the phones, prompted by another training utterance of the same voice, which is also
  S2's reference: what zero-shot cloning of a corpus voice sounds like.

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

PATHS = ("original", "reconstruction", "prior", "synthesis")


@dataclass
class ProbeResult:
    """Error rates per rendering path (``PATHS``; all errors over all reference words/characters),
    the median of the per-utterance rates (robust to one ASR repetition loop) and the transcripts.
    ``step``: the S2 checkpoint's (0 = the S2 a profile-started run began from)."""

    step: int
    items: int
    error_rate: dict[str, float]
    median_rate: dict[str, float]
    utterances: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _run_items(run: Path, corpus: Path, cfg) -> tuple[list, list]:
    """The run's (training, validation) items, split as :func:`gpt_sovits.pretrain.driver.pretrain` does."""
    from gpt_sovits.data.project import Project
    from gpt_sovits.features.cache import FeatureCache
    from gpt_sovits.pretrain import data
    from gpt_sovits.train.dataset import split_items

    project = Project(corpus)
    cache = FeatureCache(project.features_dir(data.FEATURE_KEY))
    items = data.lazy_items(cache, data.cached_ids(cache, data.label_items(project)))
    if len(items) < 2:
        raise FileNotFoundError(f"{corpus} has no cached corpus features; run pretrain on it first")
    return split_items(items, cfg.val_items, cfg.seed)


def _voice(slice_id: str) -> str:
    """Corpus slice ids are ``<voice>_<NNNNN>``."""
    return slice_id.rsplit("_", 1)[0]


def _prompts(train: list, val: list) -> dict[str, object]:
    """For each validation voice, its first training utterance of 2-8 s (any, if none is)."""
    wanted, chosen = {_voice(item.slice_id) for item in val}, {}
    for item in train:
        voice = _voice(item.slice_id)
        if voice in wanted and (voice not in chosen or 100 <= item.frames <= 400 < chosen[voice].frames):
            chosen[voice] = item
    return chosen


def _render(gen, s1, item, prompt) -> dict[str, np.ndarray]:
    """The original audio and its three renderings (32 kHz)."""
    from gpt_sovits.models.s1.generate import DecodeOptions, generate

    spec = item.spec[None].float()
    lengths = torch.tensor([spec.shape[-1]])
    out = {"original": item.wav.float().numpy()}
    with torch.inference_mode():
        ge = gen.ref_timbre(spec)
        _, m_q, _, mask = gen.enc_q(spec, lengths, g=ge)
        out["reconstruction"] = gen.dec(m_q * mask, g=ge)[0, 0].numpy()
        generator = torch.Generator().manual_seed(0)
        out["prior"] = gen.decode(item.semantic.long()[None, None], item.phone_ids[None], spec, noise_scale=0.5,
                                  generator=generator)[0, 0].numpy()
        if s1 is not None and prompt is not None:
            phones = torch.cat([prompt.phone_ids, item.phone_ids])
            bert = torch.cat([prompt.bert, item.bert], dim=1)
            tokens = generate(s1, phones, bert, prompt.semantic.long(), options=DecodeOptions(max_new_tokens=600),
                              generator=torch.Generator().manual_seed(0)).tokens
            out["synthesis"] = gen.decode(tokens.reshape(1, 1, -1), item.phone_ids[None], prompt.spec[None].float(),
                                          noise_scale=0.5, generator=generator)[0, 0].numpy()
    return out


def _run_s1(run: Path):
    """The run's exported S1 choice (best validation CE, else the newest checkpoint), None if none."""
    from gpt_sovits.checkpoint.s1 import load_s1_model
    from gpt_sovits.pretrain.driver import BEST_S1_FILE

    if (run / "run" / BEST_S1_FILE).is_file():
        return load_s1_model(run / "run" / BEST_S1_FILE)
    return None


def _run_s2(run: Path, cfg) -> tuple[torch.nn.Module, int]:
    """(S2 generator in eval mode, its step): the newest S2 checkpoint, else - in a run started from
    a profile that trains S1 only - the S2 it started from (step 0)."""
    from gpt_sovits.models.s2.model import SynthesizerTrn
    from gpt_sovits.pretrain.driver import INIT_FILE, _init_generator
    from gpt_sovits.train.checkpoints import CheckpointManager

    state = CheckpointManager(run / "run" / "checkpoints", "s2", cfg.keep_checkpoints).latest()
    if state is not None:
        gen = SynthesizerTrn(cfg.s2_config(), with_posterior=True)
        gen.load_state_dict(state["trainer"]["gen"], strict=True)
        return gen.eval(), int(state["step"])
    if (run / "init" / "state.json").is_file() and "init_from" in json.loads(
            (run / "init" / "state.json").read_text(encoding="utf-8")) and (run / INIT_FILE).is_file():
        return _init_generator(cfg, run).eval(), 0
    raise FileNotFoundError(f"{run} has no S2 checkpoint yet; let pretraining save one first")


def probe_run(run: str | Path, corpus: str | Path, items: int = 8, pretrained_root: str | Path | None = None,
              out: str | Path | None = None) -> ProbeResult:
    """Probe the newest S2 checkpoint of pretraining run ``run`` (see the module docstring).

    Args:
        run / corpus: the run folder and the corpus it trains on.
        items: how many validation utterances (at most the run's ``val_items``).
        pretrained_root: where Whisper-base is found (default: the checkout's ``pretrained/``).
        out: also write ``<slice>-<path>.wav`` files there to listen to.

    The ``synthesis`` path needs the run's ``run/best-s1.safetensors`` (written at S1's first
    validation); without it the result has no ``synthesis`` rate.

    Raises:
        FileNotFoundError: no run, no S2 checkpoint yet or no cached corpus features.
    """
    import soundfile as sf

    from gpt_sovits.asr import WhisperASR
    from gpt_sovits.evaluation.metrics import corpus_rate, error_count
    from gpt_sovits.pretrain.config import PretrainConfig

    run = Path(run)
    config_path = run / "run" / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"{run} is not a pretraining run folder (no run/config.json)")
    cfg = PretrainConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
    gen, step = _run_s2(run, cfg)
    asr = WhisperASR(pretrained_root=Path(pretrained_root) if pretrained_root else None)
    s1 = _run_s1(run)
    counts: dict[str, list] = {p: [] for p in PATHS}
    rows = []
    train, val = _run_items(run, Path(corpus), cfg)
    prompts = _prompts(train, val[:items])
    for item in val[:items]:
        lang = "zh" if item.language.lower().removeprefix("all_") == "zh" else "en"
        row: dict = {"slice": item.slice_id, "text": item.text}
        for path, audio in _render(gen, s1, item, prompts.get(_voice(item.slice_id))).items():
            if out is not None:
                Path(out).mkdir(parents=True, exist_ok=True)
                sf.write(Path(out) / f"{item.slice_id}-{path}.wav", audio, 32000)
            heard = asr.transcribe(audio, 32000, language=lang).text
            counts[path].append(error_count(item.text, heard, lang))
            row[path] = heard
        rows.append(row)
    rates = {p: round(corpus_rate(c), 3) for p, c in counts.items() if c}
    medians = {p: round(float(np.median([x.edits / max(x.units, 1) for x in c])), 3) for p, c in counts.items() if c}
    return ProbeResult(step=step, items=len(rows), error_rate=rates, median_rate=medians, utterances=rows)
