"""Intelligibility probe of a pretraining run: do its S2 and S1 speak words yet?

On the run's held-out validation utterances (the same seeded split the trainers use) the newest S2
checkpoint (and the run's S1) render each utterance in several ways:

- ``reconstruction``: posterior encoder (the utterance's own spectrogram) → decoder, the upper
  bound of what the prior path can reach;
- ``prior``: S2's synthesis path given the utterance's own semantic tokens + phones, itself as
  reference (noise_scale 0.5): S2 alone, with perfect tokens;
- ``synthesis``: the whole text-to-speech path: the run's S1 (its best, as exported) writes the
  tokens from the phones, prompted by another training utterance of the same voice, which is also
  S2's reference: what zero-shot cloning of a corpus voice sounds like;
- ``unprompted``: the same, but S1 reads the target phones alone (reference-free mode, no prompt
  tokens): tells "cannot read" apart from "cannot continue a prompt".

With ``split="train"`` the same renderings are made of *training* utterances (one per voice first,
each prompted by another training utterance of its voice): an S1 that cannot read sentences it was
trained on has not learnt to read at all, whatever its validation loss says. ``s1`` probes a given
S1 (an export, an official ``.ckpt`` or one of the run's own ``s1-*.pt`` checkpoints) instead of the
run's best.

S1 alone, without S2 or Whisper in the way (``token_phone_error``): a small CTC recogniser
(:mod:`gpt_sovits.pretrain.token_readout`) learns to read phones from the true tokens of the run's
training utterances; it then reads the true tokens of the probed utterances (``true``: the readout's
own error, the floor) and the tokens S1 wrote for them (``synthesis``, ``unprompted``). Phone errors
per reference phone: near ``true`` means S1 says the text, near 1 means it says something else.
The readout is the run's own (``RUN/run/token-readout.safetensors``, :mod:`gpt_sovits.pretrain.reading`):
trained once, then reused while the run's tokens stay the same.

Beside the renderings, the probe reports S1's teacher-forced cross entropy on the same utterances
with their own text and with the text of the next utterance (``s1_ce``): the gap is how much S1
relies on the text at all (a model that predicts from the previous tokens alone shows none).

faster-whisper transcribes both and the original; the result is each path's word/character error
rate (en: words, zh: characters, as eval-clone scores them), overall and per corpus source
(``error_rate_by_source``: kokoro, piper-joe, festival, ... from the corpus manifest), and the mean of
the per-utterance rates capped at 1 (``capped_rate``, ``capped_rate_by_source``: a Whisper repetition
loop on a garbled rendering counts as one wrong utterance instead of dominating). The starter's
decoder is Piper joe's, so the reconstruction of joe's speech against the other sources tells how far
the decoder has learnt the other voices. Each path's audio is also measured for how much it sounds like
the original utterance (``similarity``: resemblyzer cosine, when resemblyzer is installed; the
``reconstruction`` and ``prior`` values are S2's own ceiling of likeness, whatever S1 writes) and for
the decoder's frame-rate buzz (``buzz_db``, :mod:`gpt_sovits.audio.buzz`) and DNSMOS's overall quality
(``dnsmos``, when speechmos is installed: a lower buzz can hide another artefact), and the paths
that keep the original's timing (``reconstruction``, ``prior``) for how much of its melody they keep
(``pitch_agreement``, :mod:`gpt_sovits.audio.pitch`: session 26 found the starter's decoder speaking
every voice on its own frame rate, 86 Hz). Cheap (a minute on 2 cores for 8 utterances), so it can
run beside training.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from gpt_sovits.pretrain.pairs import speaker_of
from gpt_sovits.pretrain.prompted import voice_prompts

if TYPE_CHECKING:
    from gpt_sovits.evaluation.speaker import Embedder
    from gpt_sovits.infer.asr_check import Transcriber

PATHS = ("original", "reconstruction", "prior", "synthesis", "unprompted")
SPLITS = ("val", "train")
ALIGNED_PATHS = ("reconstruction", "prior")  # rendered over the original's own frames


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
    split: str = "val"
    s1_ce: dict[str, float] = field(default_factory=dict)
    token_phone_error: dict[str, float] = field(default_factory=dict)
    error_rate_by_source: dict[str, dict[str, float]] = field(default_factory=dict)
    capped_rate: dict[str, float] = field(default_factory=dict)
    capped_rate_by_source: dict[str, dict[str, float]] = field(default_factory=dict)
    # mean frame-rate buzz of each path's audio, dB (gpt_sovits.audio.buzz; recordings ~0-2)
    buzz_db: dict[str, float] = field(default_factory=dict)
    # mean speaker similarity of each rendering to its original utterance (empty without resemblyzer)
    similarity: dict[str, float] = field(default_factory=dict)
    # mean DNSMOS overall quality (1..5) of each path's audio, originals too (empty without speechmos):
    # a change can lower the buzz and still add another artefact (session 25)
    dnsmos: dict[str, float] = field(default_factory=dict)
    # mean share of co-voiced frames within a semitone of the original's pitch, for the paths that
    # keep its timing (ALIGNED_PATHS; recordings 1.0, the starter of session 26 ~0.1)
    pitch_agreement: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _run_items(run: Path, corpus: Path, cfg) -> tuple[list, list]:
    """The run's (training, validation) items, split as :func:`gpt_sovits.pretrain.driver.pretrain` does."""
    from gpt_sovits.data.project import Project
    from gpt_sovits.features.cache import FeatureCache
    from gpt_sovits.pretrain import data

    project = Project(corpus)
    cache = FeatureCache(project.features_dir(data.FEATURE_KEY))
    items = data.lazy_items(cache, data.cached_ids(cache, data.label_items(project)))
    if len(items) < 2:
        raise FileNotFoundError(f"{corpus} has no cached corpus features; run pretrain on it first")
    return data.run_split(run / "run", items, cfg.val_items, cfg.seed, keep=False)


def _sources(corpus: Path) -> dict[str, str]:
    """Slice id → the corpus source that made it (``kokoro``, ``piper-joe`` ...), from the corpus
    manifest; slices it does not list are grouped under ``other``."""
    from gpt_sovits.corpus.build import read_manifest

    return {entry["id"]: entry.get("source", "other") for entry in read_manifest(corpus)}


def _training_picks(train: list, count: int) -> list:
    """``count`` training utterances, 2-6 s long ones first: one per voice while voices last, then
    more; a voice with a single training utterance has no prompt and is skipped."""
    per_voice: dict[str, int] = {}
    for item in train:
        per_voice[speaker_of(item.slice_id)] = per_voice.get(speaker_of(item.slice_id), 0) + 1
    promptable = [item for item in train if per_voice[speaker_of(item.slice_id)] > 1]
    promptable.sort(key=lambda item: not 100 <= item.frames <= 300)  # stable: split order within
    picked, voices = [], set()
    for item in promptable:
        if speaker_of(item.slice_id) not in voices:
            picked.append(item)
            voices.add(speaker_of(item.slice_id))
    chosen = {item.slice_id for item in picked}
    picked += [item for item in promptable if item.slice_id not in chosen]
    return picked[:count]


class _TextSwap:
    """An S1 training item with another utterance's text: phones and BERT of ``text``, tokens of ``audio``."""

    def __init__(self, text, audio) -> None:
        self.phone_ids, self.bert, self.semantic = text.phone_ids, text.bert, audio.semantic


def text_reliance(s1, items: list) -> dict[str, float]:
    """S1's teacher-forced per-token CE on ``items`` with their own text (``own_text``) and with the
    next item's text (``other_text``, rotated by one); ``{}`` with fewer than 2 items or for an S1 with
    a phone pointer (it is told where it is in the text, so another text is no test of reliance)."""
    from gpt_sovits.models.s1.loss import IGNORE_INDEX, make_targets, s1_loss
    from gpt_sovits.train.dataset import collate_s1

    if len(items) < 2 or s1.config.phone_pointer:  # a pointer S1 follows its alignment, not another text
        return {}

    def ce(batch_items: list) -> float:
        batch = collate_s1(batch_items, s1.config.eos)
        with torch.inference_mode():
            logits = s1(batch.phones, batch.phone_lens, batch.bert, batch.semantic, batch.semantic_lens)
        targets = make_targets(batch.semantic, batch.semantic_lens, s1.config.eos)
        return round(float(s1_loss(logits, targets) / (targets != IGNORE_INDEX).sum()), 4)

    rotated = [_TextSwap(text, audio) for text, audio in zip(items[1:] + items[:1], items, strict=True)]
    return {"own_text": ce(items), "other_text": ce(rotated)}


def _render(gen, s1, item, prompt, readout=None) -> tuple[dict[str, np.ndarray], dict[str, torch.Tensor]]:
    """The original audio and its renderings (32 kHz; see ``PATHS``), and the tokens behind the
    token paths (``true``, and S1's ``synthesis`` / ``unprompted`` when there is an S1). An S1 with
    a phone pointer gets the prompt's alignment by ``readout`` (spread evenly without one)."""
    from gpt_sovits.features.token_align import align_tokens
    from gpt_sovits.models.s1.generate import DecodeOptions, generate
    from gpt_sovits.models.s1.pointer import PointerPrompt

    spec = item.spec[None].float()
    lengths = torch.tensor([spec.shape[-1]])
    out = {"original": item.wav.float().numpy()}
    written = {"true": item.semantic.long()}
    with torch.inference_mode():
        ge = gen.ref_timbre(spec)
        _, m_q, _, mask = gen.enc_q(spec, lengths, g=ge)
        out["reconstruction"] = gen.dec(m_q * mask, g=ge)[0, 0].numpy()
        generator = torch.Generator().manual_seed(0)
        out["prior"] = gen.decode(item.semantic.long()[None, None], item.phone_ids[None], spec, noise_scale=0.5,
                                  generator=generator)[0, 0].numpy()
        if s1 is not None and prompt is not None:
            options = DecodeOptions(max_new_tokens=600)
            phones = torch.cat([prompt.phone_ids, item.phone_ids])
            bert = torch.cat([prompt.bert, item.bert], dim=1)
            pointer = None
            if s1.config.phone_pointer:
                aligned = align_tokens(readout, prompt.semantic, prompt.phone_ids.tolist())
                pointer = PointerPrompt(aligned, len(prompt.phone_ids))
            tokens = generate(s1, phones, bert, prompt.semantic.long(), options=options,
                              generator=torch.Generator().manual_seed(0), pointer=pointer).tokens
            alone = generate(s1, item.phone_ids, item.bert, None, options=options,
                             generator=torch.Generator().manual_seed(0)).tokens
            for path, found in (("synthesis", tokens), ("unprompted", alone)):
                written[path] = found.reshape(-1)
                out[path] = gen.decode(found.reshape(1, 1, -1), item.phone_ids[None], prompt.spec[None].float(),
                                       noise_scale=0.5, generator=generator)[0, 0].numpy()
    return out, written


def _run_s1(run: Path, cfg, path: Path | None = None):
    """The S1 to probe: ``path`` (an S1 file or one of the run's trainer checkpoints), else the
    run's kept best S1, else - in a run started from a profile - the S1 it started from, None if none."""
    from gpt_sovits.checkpoint.s1 import load_s1_model
    from gpt_sovits.models.s1.model import Text2Semantic
    from gpt_sovits.pretrain.best_s1 import BEST_S1_FILE
    from gpt_sovits.pretrain.trainers import S1_INIT_FILE, init_s1

    if path is None:
        if (run / "run" / BEST_S1_FILE).is_file():
            return load_s1_model(run / "run" / BEST_S1_FILE)
        return init_s1(cfg, run).eval() if (run / S1_INIT_FILE).is_file() else None
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such S1 file")
    if path.suffix == ".pt":  # a trainer checkpoint of this run: weights under trainer/model
        from gpt_sovits.train.checkpoints import load_training_checkpoint

        state = load_training_checkpoint(path)
        model = Text2Semantic(cfg.s1_config())
        model.load_state_dict(state["trainer"]["model"], strict=True)
        return model.eval()
    return load_s1_model(path)


def _run_s2(run: Path, cfg) -> tuple[torch.nn.Module, int]:
    """(S2 generator in eval mode, its step): the newest S2 checkpoint, else - in a run started from
    a profile that trains S1 only - the S2 it started from (step 0)."""
    from gpt_sovits.models.s2.model import SynthesizerTrn
    from gpt_sovits.pretrain.trainers import INIT_FILE, init_generator
    from gpt_sovits.train.checkpoints import CheckpointManager

    state = CheckpointManager(run / "run" / "checkpoints", "s2", cfg.keep_checkpoints).latest()
    if state is not None:
        gen = SynthesizerTrn(cfg.s2_config(), with_posterior=True)
        gen.load_state_dict(state["trainer"]["gen"], strict=True)
        return gen.eval(), int(state["step"])
    if (run / "init" / "state.json").is_file() and "init_from" in json.loads(
            (run / "init" / "state.json").read_text(encoding="utf-8")) and (run / INIT_FILE).is_file():
        return init_generator(cfg, run).eval(), 0
    raise FileNotFoundError(f"{run} has no S2 checkpoint yet; let pretraining save one first")


def _rates(counts: dict[str, list], summary) -> dict[str, float]:
    """``summary`` (a list of ErrorCount → one rate) of every path that has counts, rounded."""
    return {path: round(summary(found), 3) for path, found in counts.items() if found}


def probe_run(run: str | Path, corpus: str | Path, items: int = 8, pretrained_root: str | Path | None = None,
              out: str | Path | None = None, split: str = "val", s1: str | Path | None = None,
              readout_epochs: int = 8, asr: Transcriber | None = None, embedder: Embedder | None = None,
              dnsmos: bool = True) -> ProbeResult:
    """Probe the newest S2 checkpoint of pretraining run ``run`` (see the module docstring).

    Args:
        run / corpus: the run folder and the corpus it trains on.
        items: how many validation utterances (at most the run's ``val_items``).
        pretrained_root: where Whisper-base is found (default: the checkout's ``pretrained/``).
        out: also write ``<slice>-<path>.wav`` files there to listen to.
        split: ``val`` (the run's held-out utterances) or ``train`` (utterances it trains on).
        s1: probe this S1 file (export, official ckpt or the run's ``s1-*.pt``) instead of the run's best.
        readout_epochs: training epochs of the token phone readout (0 = no ``token_phone_error``).
        asr: the transcriber (anything with :meth:`gpt_sovits.asr.WhisperASR.transcribe`), e.g.
            one Whisper shared by several probes; default: Whisper-base from ``pretrained_root``.
        embedder: the speaker encoder for ``similarity`` (default: resemblyzer; none installed = no similarity).
        dnsmos: score DNSMOS when speechmos is installed (~2 s per rendering on a CPU).

    The ``synthesis`` path needs the run's ``run/best-s1.safetensors`` (written at S1's first
    validation); without it the result has no ``synthesis`` rate.

    Raises:
        FileNotFoundError: no run, no S2 checkpoint yet, no cached corpus features or no ``s1`` file.
        ValueError: unknown ``split``.
    """
    import soundfile as sf

    from gpt_sovits.asr import WhisperASR
    from gpt_sovits.audio.buzz import frame_buzz_db
    from gpt_sovits.audio.pitch import pitch_agreement
    from gpt_sovits.evaluation.dnsmos import DnsmosScorer, dnsmos_unavailable
    from gpt_sovits.evaluation.metrics import capped_rate, corpus_rate, error_count
    from gpt_sovits.models.s2.config import decoder_frame_rate
    from gpt_sovits.pretrain.config import PretrainConfig
    from gpt_sovits.pretrain.reading import READOUT_FILE, run_readout
    from gpt_sovits.pretrain.token_readout import phone_errors

    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    run = Path(run)
    config_path = run / "run" / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"{run} is not a pretraining run folder (no run/config.json)")
    cfg = PretrainConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
    gen, step = _run_s2(run, cfg)
    if asr is None:
        asr = WhisperASR(pretrained_root=Path(pretrained_root) if pretrained_root else None)
    s1_model = _run_s1(run, cfg, Path(s1) if s1 is not None else None)
    counts: dict[str, list] = {p: [] for p in PATHS}
    rows = []
    train, val = _run_items(run, Path(corpus), cfg)
    chosen = val[:items] if split == "val" else _training_picks(train, items)
    readout = None
    if readout_epochs > 0:  # the run's own readout when it has one for these epochs (gpt_sovits.pretrain.reading)
        readout = run_readout(train, cfg.s2_config().codebook_size, readout_epochs, run / "run" / READOUT_FILE)
    token_counts: dict[str, list] = {}
    buzz: dict[str, list] = {}
    likeness: dict[str, list] = {}
    embedder = embedder if embedder is not None else _default_embedder()
    quality: dict[str, list] = {}
    melody: dict[str, list] = {}
    scorer = None if not dnsmos or dnsmos_unavailable() else DnsmosScorer()
    source_of, by_source = _sources(Path(corpus)), {}
    for item in chosen:
        lang = "zh" if item.language.lower().removeprefix("all_") == "zh" else "en"
        source = source_of.get(item.slice_id, "other")
        row: dict = {"slice": item.slice_id, "source": source, "text": item.text}
        prompt = voice_prompts(train, [item]).get(speaker_of(item.slice_id))
        audios, written = _render(gen, s1_model, item, prompt, readout)
        if readout is not None:
            for path, tokens in written.items():
                token_counts.setdefault(path, []).append(phone_errors(readout, tokens, item.phone_ids.tolist()))
        _score_likeness(embedder, audios, likeness)
        for path, audio in audios.items():
            if out is not None:
                Path(out).mkdir(parents=True, exist_ok=True)
                sf.write(Path(out) / f"{item.slice_id}-{path}.wav", audio, 32000)
            score = scorer.score(audio, 32000) if scorer is not None else None
            if score is not None:
                quality.setdefault(path, []).append(score.ovrl)
            found = frame_buzz_db(audio, 32000, decoder_frame_rate(gen.cfg))
            if found is not None:
                buzz.setdefault(path, []).append(found)
            kept = pitch_agreement(audios["original"], audio, 32000) if path in ALIGNED_PATHS else None
            if kept is not None:
                melody.setdefault(path, []).append(kept)
            heard = asr.transcribe(audio, 32000, language=lang).text
            counts[path].append(error_count(item.text, heard, lang))
            by_source.setdefault(source, {}).setdefault(path, []).append(counts[path][-1])
            row[path] = heard
        rows.append(row)
    token_rates = {p: round(sum(e for e, _ in c) / max(sum(u for _, u in c), 1), 3) for p, c in token_counts.items()}
    return ProbeResult(step=step, items=len(rows), error_rate=_rates(counts, corpus_rate),
                       median_rate=_rates(counts, lambda c: float(np.median([x.rate for x in c]))), utterances=rows,
                       split=split, s1_ce=text_reliance(s1_model, chosen) if s1_model is not None else {},
                       token_phone_error=token_rates,
                       error_rate_by_source={src: _rates(paths, corpus_rate) for src, paths in sorted(by_source.items())},
                       capped_rate=_rates(counts, capped_rate),
                       capped_rate_by_source={src: _rates(paths, capped_rate) for src, paths in sorted(by_source.items())},
                       buzz_db={p: round(float(np.mean(v)), 2) for p, v in buzz.items()},
                       similarity={p: round(float(np.mean(v)), 4) for p, v in likeness.items()},
                       dnsmos={p: round(float(np.mean(v)), 3) for p, v in quality.items()},
                       pitch_agreement={p: round(float(np.mean(v)), 3) for p, v in melody.items()})


def _default_embedder() -> Embedder | None:
    """resemblyzer, loaded; None when it is not installed (the probe then skips similarity)."""
    from gpt_sovits.evaluation.speaker import SpeakerEncoder, SpeakerEncoderMissing

    encoder = SpeakerEncoder()
    try:
        encoder.load()
    except SpeakerEncoderMissing:
        return None
    return encoder


def _score_likeness(embedder: Embedder | None, audios: dict[str, np.ndarray], into: dict[str, list]) -> None:
    """Append each rendering's similarity to the original utterance (32 kHz audio) to ``into``."""
    from gpt_sovits.evaluation.speaker import cosine

    if embedder is None:
        return
    original = embedder.embed(audios["original"], 32000)
    for path, audio in audios.items():
        found = cosine(embedder.embed(audio, 32000), original) if path != "original" else None
        if found is not None:
            into.setdefault(path, []).append(found)
