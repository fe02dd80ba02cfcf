"""What ``eval-clone`` reports: one :class:`TextScore` per text and an aggregate (see
:func:`aggregate`). ``EvalReport.to_dict()`` is the JSON printed as the CLI's last stdout line."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from gpt_sovits.audio.pitch import Melody
from gpt_sovits.evaluation.melody import compare
from gpt_sovits.evaluation.metrics import METRIC_BY_LANG, ErrorCount, corpus_rate


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, digits)


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def _mean(values: list[float | None]) -> float | None:
    found = [v for v in values if v is not None]
    return sum(found) / len(found) if found else None


@dataclass
class TextScore:
    """Scores of one synthesized text.

    Args:
        index: 1-based position in the texts file (the wav is ``<index>.wav``, zero-padded, or
            ``<index>_seed<seed>.wav`` for a seed after the first).
        seed: the synthesis seed of this take.
        text / asr: the text and what Whisper-base heard.
        errors: word (en) or character (zh) edits against the text.
        similarity_ref / similarity_train: cosine similarity to the reference / training audio.
        similarity_corpus: corpus speaker -> similarity (empty without a corpus).
        dnsmos: DNSMOS scores (None when unavailable).
        synth_seconds / audio_seconds: synthesis wall time and length of the audio.
        wav: where the wav was kept (None without an output folder).
        issues: stability-guard messages of the synthesis.
        reading_error: what the voice's token readout heard wrong in S1's tokens, per phone
            (None without a readout; gpt_sovits.infer.reading_check).
        asr_redecoded: Whisper's greedy transcript was a repetition loop, so ``asr`` comes from
            its second decoding (:class:`gpt_sovits.asr.ASRConfig`).
        pinyin / pinyin_toneless: Chinese only: syllable edits with and without the tone
            (:func:`gpt_sovits.evaluation.metrics.pinyin_error_count`); None for English.
        melody: the take's median pitch and melody spread (None without voicing;
            :mod:`gpt_sovits.evaluation.melody`).
    """

    index: int
    seed: int
    text: str
    asr: str
    errors: ErrorCount
    similarity_ref: float | None
    similarity_train: float | None
    similarity_corpus: dict[str, float | None]
    dnsmos: dict[str, float] | None
    synth_seconds: float
    audio_seconds: float
    wav: str | None = None
    issues: list[str] = field(default_factory=list)
    reading_error: float | None = None
    asr_redecoded: bool = False
    pinyin: ErrorCount | None = None
    pinyin_toneless: ErrorCount | None = None
    melody: Melody | None = None

    @property
    def rtf(self) -> float | None:
        return self.synth_seconds / self.audio_seconds if self.audio_seconds > 0 else None

    def corpus_best(self) -> tuple[str | None, float | None]:
        """(closest corpus speaker, its similarity) or (None, None)."""
        scored = {k: v for k, v in self.similarity_corpus.items() if v is not None}
        if not scored:
            return None, None
        speaker = max(scored, key=lambda k: scored[k])
        return speaker, scored[speaker]

    def to_dict(self, metric: str) -> dict[str, Any]:
        closest, best = self.corpus_best()
        return {
            "index": self.index, "seed": self.seed, "text": self.text, "asr": self.asr,
            metric: _round(self.errors.rate), "edits": self.errors.edits, "units": self.errors.units,
            "similarity_ref": _round(self.similarity_ref), "similarity_train": _round(self.similarity_train),
            "corpus_max_similarity": _round(best), "corpus_closest": closest,
            "dnsmos": self.dnsmos["ovrl"] if self.dnsmos else None, "dnsmos_detail": self.dnsmos,
            "synth_seconds": _round(self.synth_seconds, 3), "audio_seconds": _round(self.audio_seconds, 3),
            "rtf": _round(self.rtf), "wav": self.wav, "issues": self.issues,
            "reading_error": _round(self.reading_error), "asr_redecoded": self.asr_redecoded,
            **({} if self.pinyin is None else {"pinyin_error": _round(self.pinyin.rate)}),
            **({} if self.pinyin_toneless is None else {"pinyin_error_toneless": _round(self.pinyin_toneless.rate)}),
            "pitch_hz": _round(self.melody.median_hz, 1) if self.melody else None,
            "pitch_spread": _round(self.melody.spread, 3) if self.melody else None,
        }


@dataclass
class EvalReport:
    """The whole evaluation (``to_dict`` is the JSON report)."""

    base: str
    lang: str
    zero_shot: bool
    voice: str
    texts: list[TextScore]
    prepare_seconds: float | None = None
    finetune_seconds: float | None = None
    voice_seconds: float = 0.0
    dnsmos_note: str | None = None
    notes: list[str] = field(default_factory=list)
    speaker_melody: Melody | None = None  # of the training audio (zero-shot: the reference)

    @property
    def metric(self) -> str:
        return METRIC_BY_LANG[self.lang]

    def to_dict(self) -> dict[str, Any]:
        return {"ok": True, "base": self.base, "lang": self.lang, "zero_shot": self.zero_shot,
                "voice": self.voice, "metric": self.metric,
                "texts": [t.to_dict(self.metric) for t in self.texts], "aggregate": aggregate(self),
                "notes": self.notes}


def corpus_means(texts: list[TextScore]) -> dict[str, float | None]:
    """Corpus speaker -> mean similarity of the synthesized texts to that speaker."""
    speakers = sorted({s for t in texts for s in t.similarity_corpus})
    return {s: _mean([t.similarity_corpus.get(s) for t in texts]) for s in speakers}


def _takes_closer(texts: list[TextScore], field: str) -> int | None:
    """How many takes are more like the speaker (``field``: to the reference or to the training audio)
    than like their own closest corpus voice; None without a corpus."""
    pairs = [(getattr(t, field), max(v for v in t.similarity_corpus.values() if v is not None)) for t in texts
             if getattr(t, field) is not None and any(v is not None for v in t.similarity_corpus.values())]
    return sum(mine > corpus for mine, corpus in pairs) if pairs else None


def aggregate(report: EvalReport) -> dict[str, Any]:
    """Corpus-level error rate (total edits / total units) and the median per-text rate (one ASR
    repetition loop can inflate the pooled rate past 100 %), similarity means, the closest corpus
    speaker (highest mean similarity) and whether the reference, and the training audio, beat it
    (overall and take by take), DNSMOS, timings and the takes' melody against the speaker's."""
    texts = report.texts
    refs = [t.similarity_ref for t in texts if t.similarity_ref is not None]
    ref_mean = _mean(refs)
    by_speaker = {k: v for k, v in corpus_means(texts).items() if v is not None}
    closest = max(by_speaker, key=lambda k: by_speaker[k]) if by_speaker else None
    corpus_max = by_speaker[closest] if closest else None
    closer = None if ref_mean is None or corpus_max is None else ref_mean > corpus_max
    train_mean = _mean([t.similarity_train for t in texts])
    # A corpus voice is the mean embedding of several utterances; so is the speaker's training audio,
    # which makes this the like-for-like comparison (the reference is one short clip).
    closer_speaker = None if train_mean is None or corpus_max is None else train_mean > corpus_max
    synth = sum(t.synth_seconds for t in texts)
    audio = sum(t.audio_seconds for t in texts)
    return {
        report.metric: _round(corpus_rate(t.errors for t in texts)),
        f"{report.metric}_median": _round(_median([t.errors.rate for t in texts])),
        "edits": sum(t.errors.edits for t in texts), "units": sum(t.errors.units for t in texts),
        "similarity_ref_mean": _round(ref_mean), "similarity_ref_min": _round(min(refs) if refs else None),
        "similarity_train_mean": _round(train_mean),
        "corpus_max_similarity": _round(corpus_max), "corpus_closest_speaker": closest,
        "closer_to_ref_than_any_corpus_voice": closer,
        "closer_to_speaker_than_any_corpus_voice": closer_speaker,
        "takes_closer_to_ref": _takes_closer(texts, "similarity_ref"),
        "takes_closer_to_speaker": _takes_closer(texts, "similarity_train"),
        "corpus_similarity": {k: _round(v) for k, v in by_speaker.items()},
        "dnsmos_mean": _round(_mean([t.dnsmos["ovrl"] if t.dnsmos else None for t in texts])),
        "reading_error_mean": _round(_mean([t.reading_error for t in texts])),
        "dnsmos_note": report.dnsmos_note,
        "prepare_seconds": report.prepare_seconds, "finetune_seconds": report.finetune_seconds,
        "voice_seconds": report.voice_seconds,
        "synth_seconds": _round(synth, 3), "audio_seconds": _round(audio, 3),
        "rtf": _round(synth / audio) if audio > 0 else None,
        "seeds": per_seed(report),
        **pinyin_rates(texts),
        **compare([t.melody for t in texts], report.speaker_melody),
    }


def pinyin_rates(texts: list[TextScore]) -> dict[str, float | None]:
    """Chinese reports: the pooled syllable error rates with and without the tone (the CER minus the
    tonal rate is homophones; the tonal minus the toneless rate is syllables in the wrong tone)."""
    tonal = [t.pinyin for t in texts if t.pinyin is not None]
    toneless = [t.pinyin_toneless for t in texts if t.pinyin_toneless is not None]
    if not tonal or not toneless:
        return {}
    return {"pinyin_error": _round(corpus_rate(tonal)), "pinyin_error_toneless": _round(corpus_rate(toneless))}


def per_seed(report: EvalReport) -> dict[str, dict[str, float | None]]:
    """Seed -> its takes' pooled error rate and mean similarity to the reference: how far one
    seed's numbers are from the pooled ones."""
    seeds = list(dict.fromkeys(t.seed for t in report.texts))
    out = {}
    for seed in seeds:
        takes = [t for t in report.texts if t.seed == seed]
        out[str(seed)] = {report.metric: _round(corpus_rate(t.errors for t in takes)),
                          "similarity_ref_mean": _round(_mean([t.similarity_ref for t in takes]))}
    return out
