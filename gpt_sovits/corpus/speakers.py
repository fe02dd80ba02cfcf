"""Speaker distinctness of a corpus: are its voices really different speakers?

``python -m gpt_sovits corpus speakers CORPUS`` embeds ``per_speaker`` utterances of every
speaker of ``CORPUS/labels.list`` with resemblyzer (:mod:`gpt_sovits.evaluation.speaker`), and
compares speakers by the cosine similarity of their mean embeddings.

Two numbers per speaker make the comparison fair:

- **self-similarity** (split half): the mean embedding of its even-numbered utterances against
  that of its odd-numbered ones. It is what a *same* speaker scores mean-to-mean;
- **nearest** other speaker and their similarity (the mean embeddings of all its utterances).

A pair above ``threshold`` is flagged: the encoder can hardly tell the two voices apart. The
default threshold (0.85) sits between the two distributions measured on the starter corpus
(see ``pretrained/starter/MODEL_CARD.md``, section "Speaker distinctness").

Shapes: s = speakers, e = 256 (embedding size).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from gpt_sovits.errors import ProjectError
from gpt_sovits.evaluation.speaker import ENCODER_SR, Embedder, cosine, mean_embedding

DEFAULT_PER_SPEAKER = 5
DEFAULT_THRESHOLD = 0.85
Progress = Callable[[str], None] | None


@dataclass
class SpeakerEmbeddings:
    """Per-utterance embeddings of one speaker (None where the audio was silent)."""

    speaker: str
    files: list[str]
    embeddings: list[np.ndarray | None]

    @property
    def mean(self) -> np.ndarray | None:
        """Unit mean embedding [e] of all utterances."""
        return mean_embedding(self.embeddings)

    def split_half(self) -> float | None:
        """Cosine of the mean of the even utterances and the mean of the odd ones (None if < 2)."""
        return cosine(mean_embedding(self.embeddings[0::2]), mean_embedding(self.embeddings[1::2]))


@dataclass
class SpeakerRow:
    """One speaker's line of the report."""

    speaker: str
    utterances: int
    self_similarity: float | None
    nearest: str | None
    nearest_similarity: float | None


@dataclass
class DistinctnessReport:
    """Outcome of :func:`check_distinctness` (``matrix[i][j]`` is the similarity of ``speakers[i]``
    and ``speakers[j]``; ``flagged`` holds ``[a, b, similarity]``, highest first)."""

    corpus: str
    per_speaker: int
    threshold: float
    speakers: list[str]
    matrix: list[list[float]]
    rows: list[SpeakerRow]
    flagged: list[list] = field(default_factory=list)
    same_speaker: dict[str, float] = field(default_factory=dict)
    different_speaker: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def pick_utterances(corpus: str | os.PathLike[str], per_speaker: int) -> dict[str, list[Path]]:
    """Speaker -> up to ``per_speaker`` existing wavs of ``corpus/labels.list``, evenly spread over
    that speaker's utterances (sorted by path, so the choice is deterministic).

    Raises:
        ProjectError: no labels.list, or it names no existing wav.
    """
    from gpt_sovits.data.labels import read_list

    root = Path(corpus)
    labels = root / "labels.list"
    if not labels.is_file():
        raise ProjectError(f"{root} has no labels.list; give a folder made by `python -m gpt_sovits corpus build`")
    entries, _ = read_list(labels)
    by_speaker: dict[str, list[Path]] = defaultdict(list)
    for entry in sorted(entries, key=lambda e: e.path):
        wav = Path(entry.path) if Path(entry.path).is_absolute() else root / entry.path
        if wav.is_file():
            by_speaker[entry.speaker].append(wav)
    if not by_speaker:
        raise ProjectError(f"{labels} names no existing wav; check that the slices/ folder is complete")
    return {s: spread(files, per_speaker) for s, files in sorted(by_speaker.items())}


def spread(items: Sequence, count: int) -> list:
    """At most ``count`` items evenly spread over ``items`` (first and last included)."""
    if count <= 0 or len(items) <= count:
        return list(items)
    if count == 1:
        return [items[0]]
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)]


def embed_speakers(embedder: Embedder, files_by_speaker: Mapping[str, Sequence[Path]],
                   progress: Progress = None) -> list[SpeakerEmbeddings]:
    """Embed every file (decoded at 16 kHz), speaker by speaker."""
    from gpt_sovits.audio.io import load_audio

    found = []
    for speaker, files in files_by_speaker.items():
        embeddings = [embedder.embed(load_audio(Path(f), sr=ENCODER_SR), ENCODER_SR) for f in files]
        found.append(SpeakerEmbeddings(speaker, [str(f) for f in files], embeddings))
        if progress:
            progress(f"embedded {speaker} ({len(files)} utterances)")
    return found


def similarity_matrix(means: Sequence[np.ndarray | None]) -> np.ndarray:
    """Cosine similarities [s, s] of mean embeddings (NaN where one is missing)."""
    count = len(means)
    matrix = np.full((count, count), np.nan, dtype=np.float64)
    for i in range(count):
        for j in range(count):
            value = cosine(means[i], means[j])
            matrix[i, j] = np.nan if value is None else value
    return matrix


def flag_pairs(speakers: Sequence[str], matrix: np.ndarray, threshold: float) -> list[list]:
    """``[a, b, similarity]`` for every pair (a before b) above ``threshold``, highest first."""
    pairs = [[speakers[i], speakers[j], round(float(matrix[i, j]), 4)]
             for i in range(len(speakers)) for j in range(i + 1, len(speakers))
             if np.isfinite(matrix[i, j]) and matrix[i, j] > threshold]
    return sorted(pairs, key=lambda p: -p[2])


def _nearest(matrix: np.ndarray, i: int) -> int | None:
    others = matrix[i].copy()
    others[i] = np.nan
    if not np.isfinite(others).any():
        return None
    return int(np.nanargmax(others))


def _stats(values: Iterable[float]) -> dict[str, float]:
    data = np.array([v for v in values if v is not None and np.isfinite(v)], dtype=np.float64)
    if data.size == 0:
        return {}
    return {"count": int(data.size), "min": round(float(data.min()), 4), "mean": round(float(data.mean()), 4),
            "p95": round(float(np.percentile(data, 95)), 4), "max": round(float(data.max()), 4)}


def distinctness_report(found: Sequence[SpeakerEmbeddings], threshold: float = DEFAULT_THRESHOLD,
                        corpus: str = "", per_speaker: int = DEFAULT_PER_SPEAKER) -> DistinctnessReport:
    """Similarity matrix, nearest neighbours, flags and the same/different-speaker distributions."""
    speakers = [f.speaker for f in found]
    matrix = similarity_matrix([f.mean for f in found])  # [s, s]
    rows = []
    for i, item in enumerate(found):
        j = _nearest(matrix, i)
        split = item.split_half()
        rows.append(SpeakerRow(item.speaker, sum(e is not None for e in item.embeddings),
                               None if split is None else round(split, 4), None if j is None else speakers[j],
                               None if j is None else round(float(matrix[i, j]), 4)))
    upper = matrix[np.triu_indices(len(speakers), k=1)]
    return DistinctnessReport(
        corpus=corpus, per_speaker=per_speaker, threshold=threshold, speakers=speakers,
        matrix=[[None if not np.isfinite(v) else round(float(v), 4) for v in row] for row in matrix],
        rows=rows, flagged=flag_pairs(speakers, matrix, threshold),
        same_speaker=_stats(r.self_similarity for r in rows), different_speaker=_stats(upper.tolist()))


def check_distinctness(corpus: str | os.PathLike[str], per_speaker: int = DEFAULT_PER_SPEAKER,
                       threshold: float = DEFAULT_THRESHOLD, embedder: Embedder | None = None,
                       progress: Progress = None) -> DistinctnessReport:
    """Embed ``per_speaker`` utterances of every speaker of ``corpus`` and compare the speakers.

    Args:
        corpus: a ``corpus build`` folder (or any project folder with ``labels.list``).
        per_speaker: utterances per speaker (spread over its utterances); at least 2 for the
            self-similarity.
        threshold: pairs with a higher mean-embedding similarity are flagged.
        embedder: speaker encoder (default: resemblyzer's, loaded here).
        progress: optional callback for one line per speaker.

    Raises:
        ProjectError: the corpus has no labels or no wavs.
        SpeakerEncoderMissing: resemblyzer is not installed.
    """
    if per_speaker < 1:
        raise ValueError(f"per_speaker must be at least 1, got {per_speaker}")
    if embedder is None:
        from gpt_sovits.evaluation.speaker import SpeakerEncoder

        embedder = SpeakerEncoder()
    found = embed_speakers(embedder, pick_utterances(corpus, per_speaker), progress)
    return distinctness_report(found, threshold, str(corpus), per_speaker)


def compare_with_speakers(target: SpeakerEmbeddings, others: Sequence[SpeakerEmbeddings]) -> dict:
    """How a new voice relates to known speakers: its split-half self-similarity, its similarity to
    each of ``others`` (highest first) and the margin ``self - max(others)``."""
    mean = target.mean
    scores = {o.speaker: cosine(mean, o.mean) for o in others}
    ranked = sorted(((s, round(v, 4)) for s, v in scores.items() if v is not None), key=lambda p: -p[1])
    split = target.split_half()
    best = ranked[0][1] if ranked else None
    return {"speaker": target.speaker, "self_similarity": None if split is None else round(split, 4),
            "max_other": best, "nearest": ranked[0][0] if ranked else None,
            "margin": None if split is None or best is None else round(split - best, 4),
            "others": dict(ranked)}


def format_table(report: DistinctnessReport) -> str:
    """Human-readable summary: one line per speaker, then the flagged pairs."""
    width = max([len(s) for s in report.speakers] + [7])

    def fmt(value: float | None) -> str:
        return "  -  " if value is None else f"{value:.3f}"

    lines = [f"{'speaker':<{width}}  utts  self   nearest{'':<{width - 7}}  sim",
             "-" * (width * 2 + 24)]
    for row in report.rows:
        mark = "  !" if row.nearest_similarity is not None and row.nearest_similarity > report.threshold else ""
        lines.append(f"{row.speaker:<{width}}  {row.utterances:>4}  {fmt(row.self_similarity)}  "
                     f"{row.nearest or '-':<{width}}  {fmt(row.nearest_similarity)}{mark}")
    same, diff = report.same_speaker, report.different_speaker
    if same:
        lines.append(f"same speaker (split half): min {same['min']:.3f} mean {same['mean']:.3f} max {same['max']:.3f}")
    if diff:
        lines.append(f"different speakers:        mean {diff['mean']:.3f} p95 {diff['p95']:.3f} max {diff['max']:.3f}")
    lines.append(f"{len(report.flagged)} pair(s) above {report.threshold:.2f}"
                 + (":" if report.flagged else ""))
    lines += [f"  {a} ~ {b}: {sim:.3f}" for a, b, sim in report.flagged]
    return "\n".join(lines)
