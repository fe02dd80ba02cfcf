"""End-to-end voice-cloning evaluation (``python -m gpt_sovits eval-clone``).

:func:`eval_clone` makes the voice (fine-tuned on ``train`` with the studio's pipeline, or
zero-shot from ``ref``), reads every text once per synthesis seed and scores each take:

- intelligibility: Whisper-base ASR of the take against the text, WER (en) / CER (zh), see
  :mod:`gpt_sovits.evaluation.metrics`;
- speaker similarity (resemblyzer) to the reference, to the training audio (mean embedding)
  and, with a corpus, to every corpus speaker (mean of a few utterances each);
- DNSMOS when ``speechmos`` is installed;
- melody: the takes' median pitch against the speaker's (semitones) and their melody's spread
  against the speaker's (:mod:`gpt_sovits.evaluation.melody`);
- timings: preparation, fine-tuning, synthesis seconds and real-time factor per text.

Scorers can be injected (tests, notebooks); by default they are Whisper-base, resemblyzer and
speechmos. With ``out``, takes are kept as ``01.wav``, ``02.wav``, ... plus ``report.json``.

Example::

    from gpt_sovits.evaluation import EvalCloneConfig, eval_clone
    report = eval_clone(EvalCloneConfig(train=["a.wav"], lang="en", texts=["Hello there."], ref="a.wav"))
    print(report.to_dict()["aggregate"]["wer"])
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gpt_sovits.audio.pitch import melody_of
from gpt_sovits.config import StrictConfig
from gpt_sovits.corpus.speakers import embed_speakers, pick_utterances, spread
from gpt_sovits.errors import ProjectError
from gpt_sovits.evaluation.cloning import (
    ClonedVoice,
    EvalInputError,
    Log,
    TrainInputs,
    finetuned_voice,
    resolve_train_inputs,
    zero_shot,
)
from gpt_sovits.evaluation.melody import speaker_melody
from gpt_sovits.evaluation.metrics import METRIC_BY_LANG, error_count, pinyin_error_count, scoring_units
from gpt_sovits.evaluation.report import EvalReport, TextScore
from gpt_sovits.evaluation.speaker import Embedder, SpeakerEncoder, cosine, embed_files
from gpt_sovits.fileio import atomic_write_json


@dataclass
class EvalCloneConfig(StrictConfig):
    """What to evaluate and how.

    Args:
        texts: the texts to synthesize (see :func:`read_texts` for a file).
        ref: the reference wav (zero-shot prompt and similarity target).
        lang: "en" (scored by WER) or "zh" (scored by CER).
        train: audio files, folders of audio, or one ``.list`` (required unless ``zero_shot``).
        ref_text: transcript of ``ref`` (zero-shot; default: ASR of the reference).
        base: base profile to fine-tune or to use zero-shot.
        zero_shot: skip fine-tuning.
        out: folder to keep the takes and report.json in (must be new or empty).
        corpus: a ``corpus build`` folder to compare speaker similarity against.
        pretrained: the pretrained/ folder (default: the checkout's).
        workspace: keep the fine-tuning project here (default: a temporary folder, deleted).
        seeds: synthesis seeds: every text is read once with each (one seed moves the scores by a
            few points; the aggregate pools all takes and also reports each seed's).
        s2_epochs / s1_epochs / max_steps: fine-tuning overrides (None / 0 = the base's defaults on
            CPU: its profile.json "fine_tune", else the CPU epochs).
        s2_whisper_weight: fine-tune S2 with the Whisper feature loss at this weight (None = the base's default).
        s2_prior_weight: fine-tune S2 with the prior-path loss at this weight (None = the base's default).
        s2_freeze_decoder: keep S2's decoder fixed in the fine-tune (None = the base's default).
        s2_decoder_only: train only S2's decoder, keeping its encoders and flow as the base has them
            (None = the base's default).
        s1_lr: S1's fine-tuning learning rate (None = the base's).
        train_seed: the fine-tune's random seed (None = the preset's), to measure training variance.
        segmentation: how synthesis cuts each text (a :data:`gpt_sovits.text.segment.METHODS` name or
            "cut0".."cut5"; None = the voice's recommended, else every punctuation mark).
        keep_reference_pitch: synthesis's option of that name (None = its default, on).
        text_melody: synthesis's option of that name (None = its default, on).
        corpus_utterances: utterances per corpus speaker for its mean embedding (evenly spread over
            its utterances, picked as ``corpus speakers`` picks them).
        train_embed_files: at most this many training files for the training-audio embedding.
        dnsmos: score DNSMOS when speechmos is installed.
    """

    texts: list[str]
    ref: str
    lang: str = "en"
    train: list[str] = field(default_factory=list)
    ref_text: str | None = None
    base: str = "starter"
    zero_shot: bool = False
    out: str | None = None
    corpus: str | None = None
    pretrained: str | None = None
    workspace: str | None = None
    seeds: list[int] = field(default_factory=lambda: [1234])
    s2_epochs: int | None = None
    s1_epochs: int | None = None
    max_steps: int = 0
    s2_whisper_weight: float | None = None
    s2_prior_weight: float | None = None
    s2_freeze_decoder: bool | None = None
    s2_decoder_only: bool | None = None
    s1_lr: float | None = None
    train_seed: int | None = None
    segmentation: str | None = None
    keep_reference_pitch: bool | None = None
    text_melody: bool | None = None
    corpus_utterances: int = 3
    train_embed_files: int = 20
    dnsmos: bool = True


def read_texts(path: str | os.PathLike[str]) -> list[str]:
    """One text per line of a UTF-8 file; blank lines are ignored."""
    path = Path(path)
    if not path.is_file():
        raise EvalInputError(f"--texts: {path} not found; give a UTF-8 file with one text per line")
    texts = [line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    if not texts:
        raise EvalInputError(f"--texts: {path} has no text; write one sentence per line")
    return texts


def check_inputs(config: EvalCloneConfig) -> TrainInputs | None:
    """Validate everything that can be checked before any model work; returns the training inputs.

    Raises:
        EvalInputError: what is wrong and what to do.
    """
    if config.lang not in METRIC_BY_LANG:
        raise EvalInputError(f"--lang: {config.lang!r} is not supported; use 'en' or 'zh'")
    if not config.texts:
        raise EvalInputError("no text to synthesize; give at least one line in --texts")
    if not config.seeds or len(set(config.seeds)) != len(config.seeds):
        raise EvalInputError(f"--seed: give one or more different synthesis seeds, got {config.seeds}")
    for i, text in enumerate(config.texts, start=1):
        if not scoring_units(text, config.lang):
            raise EvalInputError(f"--texts line {i} ({text!r}) has no word to read in {config.lang}")
    if not Path(config.ref).is_file():
        raise EvalInputError(f"--ref: {config.ref} not found; give a wav of the target voice")
    if config.segmentation is not None:
        from gpt_sovits.text.segment import resolve_method

        try:
            resolve_method(config.segmentation)
        except ValueError as exc:
            raise EvalInputError(f"--segmentation: {exc}") from None
    if config.corpus is not None and not (Path(config.corpus) / "labels.list").is_file():
        raise EvalInputError(f"--corpus: {config.corpus} has no labels.list; give a folder made by "
                             "`python -m gpt_sovits corpus build`")
    if config.out is not None and Path(config.out).exists() and (
            not Path(config.out).is_dir() or any(Path(config.out).iterdir())):
        raise EvalInputError(f"--out: {config.out} already exists and is not empty; the evaluation never "
                             "overwrites files: give a new or empty folder (or delete this one yourself)")
    if not config.train and not config.zero_shot:
        raise EvalInputError("--train: give the training audio (files, a folder or a .list), or use --zero-shot")
    return resolve_train_inputs(config.train) if config.train else None


def corpus_embeddings(embedder: Embedder, corpus: Path, per_speaker: int) -> dict[str, np.ndarray]:
    """Speaker -> unit mean embedding [e] of ``per_speaker`` of its utterances in ``labels.list``,
    chosen as ``corpus speakers`` does (:func:`gpt_sovits.corpus.speakers.pick_utterances`:
    evenly spread, sorted by path). Speakers whose clips are all silent are left out.

    Raises:
        EvalInputError: the corpus has no labels.list or it names no existing wav.
    """
    try:
        picked = pick_utterances(corpus, per_speaker)
    except ProjectError as exc:
        raise EvalInputError(f"--corpus: {exc}") from exc
    means = {found.speaker: found.mean for found in embed_speakers(embedder, picked)}
    return {speaker: mean for speaker, mean in means.items() if mean is not None}


def _default_asr(pretrained: Path | None) -> Any:
    from gpt_sovits.asr import WhisperASR

    return WhisperASR(pretrained_root=pretrained)


def _default_dnsmos(config: EvalCloneConfig) -> tuple[Any, str | None]:
    from gpt_sovits.evaluation.dnsmos import DnsmosScorer, dnsmos_unavailable

    if not config.dnsmos:
        return None, "DNSMOS skipped: turned off"
    reason = dnsmos_unavailable()
    return (None, reason) if reason else (DnsmosScorer(), None)


def _make_voice(config: EvalCloneConfig, inputs: TrainInputs | None, pretrained: Path | None, asr: Any,
                log: Log) -> ClonedVoice:
    from gpt_sovits.train.config import TrainConfig
    from gpt_sovits.train.prepare import resolve_profile

    profile = resolve_profile(config.base, pretrained)  # ModelMissingError with the fix; builds "tiny" on demand
    if config.zero_shot:
        return zero_shot(config.base, Path(config.ref), config.ref_text, config.lang, pretrained, asr, log)
    assert inputs is not None
    train = TrainConfig.for_base(config.base, False, profile.fine_tune).replace(device="cpu", samples=False)
    changes = {"s2_epochs": config.s2_epochs, "s1_epochs": config.s1_epochs, "max_steps": config.max_steps or None,
               "s2_whisper_weight": config.s2_whisper_weight, "s2_prior_weight": config.s2_prior_weight,
               "s2_freeze_decoder": config.s2_freeze_decoder, "s2_decoder_only": config.s2_decoder_only,
               "s1_lr": config.s1_lr, "seed": config.train_seed}
    train = train.replace(**{k: v for k, v in changes.items() if v is not None})
    if config.workspace is not None:
        return finetuned_voice(inputs, config.lang, train, Path(config.workspace), pretrained, asr, log)
    with tempfile.TemporaryDirectory(prefix="gsv-eval-clone-") as folder:
        cloned = finetuned_voice(inputs, config.lang, train, Path(folder), pretrained, asr, log)
    cloned.description = f"fine-tuned {config.base} (temporary project, deleted; --workspace keeps it)"
    return cloned


def eval_clone(config: EvalCloneConfig, *, asr: Any = None, embedder: Embedder | None = None,
               dnsmos: Any = None, log: Log | None = None) -> EvalReport:
    """Run the evaluation described by ``config`` (see the module docstring).

    Args:
        asr: a transcriber (``transcribe(audio, sr, language) -> Transcript``) used for the
            training labels, the reference transcript and the scores (default: Whisper-base).
        embedder: a speaker embedder (default: resemblyzer).
        dnsmos: a scorer with ``score(audio, sr) -> DnsmosScore | None`` (default: speechmos if
            installed and ``config.dnsmos``).
        log: receives human-readable progress lines (default: dropped).

    Raises:
        EvalInputError: bad arguments. SpeakerEncoderMissing: resemblyzer is not installed.
        ModelMissingError: the base profile is not installed (the message holds the fix).
    """
    log = log or (lambda message: None)
    inputs = check_inputs(config)
    pretrained = Path(config.pretrained) if config.pretrained else None
    embedder = embedder or SpeakerEncoder()
    if isinstance(embedder, SpeakerEncoder):
        embedder.load()  # fail before any long work
    asr = asr or _default_asr(pretrained)
    dnsmos_note = None
    if dnsmos is None:
        dnsmos, dnsmos_note = _default_dnsmos(config)
    out = Path(config.out) if config.out else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    # Embeddings first: a bad --corpus or reference fails before the long fine-tune.
    corpus = corpus_embeddings(embedder, Path(config.corpus), config.corpus_utterances) if config.corpus else {}
    ref_embedding = embed_files(embedder, [config.ref])
    train_embedding = embed_files(embedder, spread(inputs.files, config.train_embed_files)) if inputs else None
    speaker = speaker_melody(inputs.files if inputs else [config.ref])
    cloned = _make_voice(config, inputs, pretrained, asr, log)
    scores = []
    for seed in config.seeds:
        for index, text in enumerate(config.texts, start=1):
            wav = out / take_name(index, len(config.texts), seed, config.seeds) if out is not None else None
            score = _score_text(cloned, config, (index, seed), text, wav, asr, embedder, dnsmos,
                                (ref_embedding, train_embedding, corpus))
            log(_text_line(score, METRIC_BY_LANG[config.lang]))
            scores.append(score)
    report = EvalReport(base=config.base, lang=config.lang, zero_shot=config.zero_shot, voice=cloned.description,
                        texts=scores, prepare_seconds=cloned.prepare_seconds,
                        finetune_seconds=cloned.finetune_seconds, voice_seconds=cloned.voice_seconds,
                        dnsmos_note=dnsmos_note, notes=cloned.notes + _segmentation_note(config) + _pitch_note(config),
                        speaker_melody=speaker)
    if out is not None:
        atomic_write_json(out / "report.json", report.to_dict())
    return report


def _segmentation_note(config: EvalCloneConfig) -> list[str]:
    if config.segmentation is None:
        return []
    from gpt_sovits.text.segment import resolve_method

    return [f"synthesis segmentation: {resolve_method(config.segmentation)} (given, not the voice's default)"]


def _pitch_note(config: EvalCloneConfig) -> list[str]:
    notes = [] if config.keep_reference_pitch is not False else ["synthesis keeps the decoder's own pitch level, "
                                                                  "not the reference's (--no-keep-reference-pitch)"]
    if config.text_melody is False:
        notes.append("synthesis keeps the decoder's own melody, not the text's tones (--no-text-melody)")
    return notes


def take_name(index: int, count: int, seed: int, seeds: list[int]) -> str:
    """``01.wav``, ``02.wav``, ... for the first seed's takes, ``01_seed7.wav`` for another seed's."""
    number = f"{index:0{max(2, len(str(count)))}d}"
    return f"{number}.wav" if seed == seeds[0] else f"{number}_seed{seed}.wav"


def _score_text(cloned: ClonedVoice, config: EvalCloneConfig, take: tuple[int, int], text: str, wav: Path | None,
                asr: Any, embedder: Embedder, dnsmos: Any,
                targets: tuple[np.ndarray | None, np.ndarray | None, dict[str, np.ndarray]]) -> TextScore:
    from gpt_sovits.audio.io import write_wav
    from gpt_sovits.infer.options import options_for
    from gpt_sovits.infer.pipeline import synthesize
    from gpt_sovits.infer.results import collect

    index, seed = take
    started = time.perf_counter()
    options = options_for(cloned.voice.recommended, seed=seed, language=config.lang, segmentation=config.segmentation,
                          keep_reference_pitch=config.keep_reference_pitch, text_melody=config.text_melody)
    result = collect(synthesize(cloned.voice, text, options), started)
    audio, sr = result.audio, result.sample_rate  # [n] float32
    if wav is not None:
        write_wav(wav, audio, sr)
    transcript = asr.transcribe(audio, sr, config.lang) if audio.size else None
    heard = transcript.text.strip() if transcript is not None else ""
    embedding = embedder.embed(audio, sr) if audio.size else None
    ref_embedding, train_embedding, corpus = targets
    quality = dnsmos.score(audio, sr) if dnsmos is not None and audio.size else None
    chinese = config.lang == "zh"
    return TextScore(index=index, seed=seed, text=text, asr=heard, errors=error_count(text, heard, config.lang),
                     similarity_ref=cosine(embedding, ref_embedding),
                     similarity_train=cosine(embedding, train_embedding),
                     similarity_corpus={s: cosine(embedding, e) for s, e in corpus.items()},
                     dnsmos=quality.to_dict() if quality is not None else None,
                     synth_seconds=result.wall_seconds, audio_seconds=result.audio_seconds,
                     wav=str(wav) if wav is not None else None, issues=list(result.issues),
                     reading_error=result.reading_error,
                     asr_redecoded=transcript is not None and transcript.redecoded,
                     pinyin=pinyin_error_count(text, heard) if chinese else None,
                     pinyin_toneless=pinyin_error_count(text, heard, tones=False) if chinese else None,
                     melody=melody_of(audio, sr) if audio.size else None)


def _text_line(score: TextScore, metric: str) -> str:
    def fmt(value: float | None, spec: str = ".3f") -> str:
        return "-" if value is None else format(value, spec)

    closest, best = score.corpus_best()
    corpus = f" corpus_max={fmt(best)} ({closest})" if closest else ""
    return (f"[{score.index:02d} seed {score.seed}] {metric}={score.errors.rate:.1%} sim_ref={fmt(score.similarity_ref)} "
            f"sim_train={fmt(score.similarity_train)}{corpus} dnsmos={fmt(score.dnsmos['ovrl'] if score.dnsmos else None, '.2f')} "
            f"synth={score.synth_seconds:.1f}s rtf={fmt(score.rtf, '.2f')}\n     text: {score.text}\n     asr:  {score.asr}")

