"""Evaluation sets with a voice that is NOT in the starter corpus (for ``eval-clone``).

``python -m gpt_sovits corpus eval-set OUT --lang en|zh`` writes::

    OUT/train/<clip>.wav    about 60 s of one voice, clips of 2-8 s, 32 kHz mono 16-bit
    OUT/train.list          train/<clip>.wav|<speaker>|EN|text   (official format, relative paths)
    OUT/ref.wav, ref.txt    a 3-8 s clip of the same voice that is not among the training clips
    OUT/texts.txt           30 everyday test sentences, in none of the transcripts above
    OUT/readings.list       Kokoro voices only: the voice itself reading each test text
                            (readings/NN.wav; ``eval-paths --readings``: what Whisper-base hears in the
                            voice, through S2's decoder and through its prior path with true tokens)
    OUT/evalset.json        what was chosen, durations, source and licence (and speaker checks)

Voices:

- **en**: Allison Smith, the real human voice of Asterisk's core prompts (Debian
  ``asterisk-core-sounds-en-wav``, 8 kHz, CC-BY-SA-3.0; transcripts from the package's
  ``core-sounds-en.txt``). This source is reserved for evaluation: the corpus builder refuses it
  (:func:`gpt_sovits.corpus.sources.check_training_path`).
- **zh**, and **en** with ``voice="kokoro"``: a Kokoro-82M voice made from an unequal three-way mix
  of style vectors that no corpus voice uses (:data:`HELDOUT_MIX`), speaking sentences of
  :class:`SentencePool`. The English one is a full-band counterpart of Allison's 8 kHz telephone
  prompts (to tell what the bandwidth does to a fine-tune from what the voice does).

Everything is a pure function of the seed (clip order, sentences, test texts).
"""

from __future__ import annotations

import gzip
import os
import random
import re
import shlex
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gpt_sovits.corpus.build import SAMPLE_RATE, prepare_audio, speakable_text
from gpt_sovits.corpus.eval_texts import EN_TEXTS, ZH_TEXTS
from gpt_sovits.corpus.sources import SynthesisFailed, Voice, VoiceSource
from gpt_sovits.errors import StudioError, UnsupportedText

EN_ROOT = Path("/usr/share/asterisk/sounds/en_US_f_Allison")
EN_TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
EN_SPEAKER = "allison"
EN_LICENCE = "asterisk-core-sounds-en (Debian asterisk-core-sounds-en-wav): CC-BY-SA-3.0, recorded by Allison Smith"
HELDOUT_MIX = (("jm_kumo", 0.5), ("jf_tebukuro", 0.3), ("jf_nezumi", 0.2))  # the held-out Kokoro voice
HELDOUT_SPEAKER = "kokoro-heldout-{lang}"
VOICES = {"en": ("allison", "kokoro"), "zh": ("kokoro",)}  # the first is the default
CLIP_SECONDS = (2.0, 8.0)
REF_SECONDS = (3.0, 8.0)
TEXT_COUNT = 30  # ~30 texts x 3 seeds resolve error-rate differences of ~0.05; 10 did not
EN_WORDS, ZH_CHARS = (8, 20), (10, 25)
Progress = Callable[[str], None] | None

_EN_CLEAN = re.compile(r"^[A-Za-z][A-Za-z ,.'?!-]*$")


class EvalSetError(StudioError):
    """An evaluation set cannot be made (missing package, busy folder, not enough audio)."""


@dataclass
class Clip:
    """One utterance of the evaluation voice: ``audio`` [t] at 32 kHz."""

    name: str
    text: str
    audio: np.ndarray

    @property
    def seconds(self) -> float:
        return self.audio.shape[0] / SAMPLE_RATE


# ------------------------------------------------------------------------------------ texts
def text_fits(text: str, lang: str) -> bool:
    """True when a test text has the right length (8-20 words in English, 10-25 characters in Chinese)."""
    if lang == "en":
        return EN_WORDS[0] <= len(text.split()) <= EN_WORDS[1]
    return ZH_CHARS[0] <= len(text) <= ZH_CHARS[1]


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def choose_texts(lang: str, rng: random.Random, exclude: Sequence[str] = (), count: int = TEXT_COUNT) -> list[str]:
    """``count`` test texts of ``lang`` in a seeded order, none of them in ``exclude``. The whole pool
    is shuffled before the excluded texts are dropped, so another corpus changes only the texts it
    says itself: the sets of a 1.5 h and a 3 h corpus are the same where they can be."""
    banned = {_key(t) for t in exclude}
    pool = [t for t in (EN_TEXTS if lang == "en" else ZH_TEXTS) if text_fits(t, lang)]
    rng.shuffle(pool)
    kept = [t for t in pool if _key(t) not in banned]
    if len(kept) < count:
        raise EvalSetError(f"only {len(kept)} test texts of {lang} are left after excluding the transcripts")
    return kept[:count]


# ------------------------------------------------------------------------------------ en: asterisk
def read_prompt_transcripts(path: str | os.PathLike[str]) -> dict[str, str]:
    """``name -> text`` of an asterisk ``core-sounds-*.txt`` (``name: text`` lines; ``.gz`` is fine)."""
    path = Path(path)
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    found = {}
    for line in raw.decode("utf-8", errors="replace").splitlines():
        name, sep, text = line.partition(":")
        if sep and not line.startswith(";") and name.strip() and " " not in name.strip():
            found[name.strip()] = " ".join(text.split())
    return found


def clean_prompt_text(text: str) -> str | None:
    """A transcript that can label training audio as it is (words only), else None."""
    if "..." in text or not _EN_CLEAN.match(text) or len(text.split()) < 2:
        return None
    return text


def asterisk_candidates(root: Path, transcripts: Path) -> list[tuple[str, Path, str]]:
    """(name, wav, text) of every prompt with a clean transcript and an existing wav, sorted by name.

    Raises:
        EvalSetError: the package (or its transcripts) is not installed.
    """
    if not root.is_dir() or not transcripts.is_file():
        raise EvalSetError(f"the English evaluation voice needs {root} and {transcripts}: "
                           "apt-get install asterisk-core-sounds-en-wav asterisk-core-sounds-en "
                           "(the second holds the transcripts)")
    found, seen = [], set()
    for name, text in sorted(read_prompt_transcripts(transcripts).items()):
        clean, wav = clean_prompt_text(text), root / f"{name}.wav"
        if clean and wav.is_file() and _key(clean) not in seen:
            seen.add(_key(clean))
            found.append((re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-"), wav, clean))
    return found


def asterisk_clips(candidates: Sequence[tuple[str, Path, str]], rng: random.Random) -> Iterator[Clip]:
    """The candidates in seeded order, decoded, resampled to 32 kHz and trimmed (lazily)."""
    from gpt_sovits.audio.io import read_wav

    order = list(candidates)
    rng.shuffle(order)
    for name, wav, text in order:
        audio, rate = read_wav(wav)
        yield Clip(name, text, prepare_audio(audio, rate))


# ------------------------------------------------------------------------------------ held-out Kokoro mix
def heldout_kokoro_voice(lang: str = "zh", mix: tuple[tuple[str, float], ...] = HELDOUT_MIX) -> Voice:
    """The held-out Kokoro voice (Mandarin by default); raises if a corpus voice already uses this mix."""
    from gpt_sovits.corpus.kokoro import KokoroSource

    used = {tuple(sorted(v.params["mix"])) for v in KokoroSource().voices()}
    if tuple(sorted(mix)) in used:
        raise EvalSetError(f"the style mix {mix} is a corpus voice; choose weights no corpus voice uses")
    return Voice(HELDOUT_SPEAKER.format(lang=lang), "kokoro", lang, {"mix": mix})


def synthesized_clips(source: VoiceSource, voice: Voice, seed: int) -> Iterator[Clip]:
    """Sentences of :class:`SentencePool` spoken by ``voice``, lazily (sentences it cannot speak are skipped)."""
    from gpt_sovits.corpus.sentences import SentencePool

    pool = SentencePool(voice.language, seed)
    for index in range(10_000):
        try:
            text = speakable_text(pool.sentence(f"evalset-{voice.id}", index), voice.language)
            audio, rate = source.synthesize(voice, text)
        except (SynthesisFailed, UnsupportedText):
            continue
        yield Clip(f"{voice.id}_{index:04d}", text, prepare_audio(audio, rate))


# ------------------------------------------------------------------------------------ selection
def read_texts_aloud(source: VoiceSource, voice: Voice, texts: Sequence[str]) -> list[Clip]:
    """The voice reading each test text (``01``, ``02``, ... in the order of ``texts``)."""
    clips = []
    for index, text in enumerate(texts, start=1):
        audio, rate = source.synthesize(voice, text)
        clips.append(Clip(f"{index:02d}", text, prepare_audio(audio, rate)))
    return clips


def select_clips(clips: Iterable[Clip], seconds: float, banned_texts: Sequence[str] = (),
                 progress: Progress = None) -> tuple[list[Clip], Clip]:
    """Take the first clip of 3-8 s as the reference, then 2-8 s clips until ``seconds`` of training.

    Clips whose text is in ``banned_texts`` (the test texts) or already taken are skipped.

    Raises:
        EvalSetError: the clips run out before ``seconds`` of training audio.
    """
    banned = {_key(t) for t in banned_texts}
    ref: Clip | None = None
    train: list[Clip] = []
    total = 0.0
    for clip in clips:
        if _key(clip.text) in banned:
            continue
        if ref is None and REF_SECONDS[0] <= clip.seconds <= REF_SECONDS[1]:
            ref = clip
        elif CLIP_SECONDS[0] <= clip.seconds <= CLIP_SECONDS[1]:
            train.append(clip)
            total += clip.seconds
            if progress:
                progress(f"[{total:5.1f} s] {clip.name} ({clip.seconds:.1f} s): {clip.text}")
        else:
            continue
        banned.add(_key(clip.text))
        if ref is not None and total >= seconds:
            return train, ref
    raise EvalSetError(f"only {total:.1f} s of usable training clips (wanted {seconds:.0f} s); "
                       "lower --seconds or check the source")


# ------------------------------------------------------------------------------------ writing
def write_eval_set(out: Path, lang: str, speaker: str, train: Sequence[Clip], ref: Clip,
                   texts: Sequence[str], readings: Sequence[Clip] = ()) -> None:
    """Write the files of the module docstring (except evalset.json; readings.list only with ``readings``)."""
    from gpt_sovits.audio.io import write_wav
    from gpt_sovits.data.labels import LabelEntry, write_list
    from gpt_sovits.fileio import atomic_write_text

    (out / "train").mkdir(parents=True, exist_ok=True)
    entries = []
    for clip in train:
        write_wav(out / "train" / f"{clip.name}.wav", clip.audio, SAMPLE_RATE)
        entries.append(LabelEntry(path=f"train/{clip.name}.wav", speaker=speaker, lang=lang, text=clip.text))
    write_list(out / "train.list", entries)
    if readings:
        (out / "readings").mkdir(exist_ok=True)
        for clip in readings:
            write_wav(out / "readings" / f"{clip.name}.wav", clip.audio, SAMPLE_RATE)
        write_list(out / "readings.list", [LabelEntry(path=f"readings/{c.name}.wav", speaker=speaker, lang=lang,
                                                      text=c.text) for c in readings])
    write_wav(out / "ref.wav", ref.audio, SAMPLE_RATE)
    atomic_write_text(out / "ref.txt", ref.text + "\n")
    atomic_write_text(out / "texts.txt", "".join(t + "\n" for t in texts))


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise EvalSetError(f"{out} already exists and is not empty; give a new or empty folder")


def eval_clone_commands(out: Path, lang: str, corpus: str | None) -> dict[str, str]:
    """The ``eval-clone`` command lines (fine-tuned and zero-shot) for this set."""
    ref_text = (out / "ref.txt").read_text(encoding="utf-8").strip()
    common = f"--lang {lang} --texts {out}/texts.txt --ref {out}/ref.wav --base starter"
    extra = f" --corpus {corpus}" if corpus else ""
    return {
        "finetune": f"python -m gpt_sovits eval-clone --train {out}/train.list {common}{extra} --out {out}-ft",
        "zero_shot": (f"python -m gpt_sovits eval-clone --zero-shot --train {out}/train.list {common}{extra} "
                      f"--ref-text {shlex.quote(ref_text)} --out {out}-zs"),
    }


def make_eval_set(out: str | os.PathLike[str], lang: str, seed: int = 1234, seconds: float = 60.0,
                  corpus: str | os.PathLike[str] | None = None, progress: Progress = None, *, voice: str | None = None,
                  en_root: Path = EN_ROOT, en_transcripts: Path = EN_TRANSCRIPTS,
                  source: VoiceSource | None = None, embedder=None) -> dict:
    """Write an evaluation set of ``lang`` into the new or empty folder ``out``; returns its summary.

    Args:
        out: destination folder (must be new or empty).
        lang: "en" or "zh".
        voice: "allison" (en only: asterisk prompts of Allison Smith) or "kokoro" (the held-out
            Kokoro mix; the only Chinese voice); None = the language's first (:data:`VOICES`).
        seed: clip order, sentences and test texts.
        seconds: training audio to collect (clips of 2-8 s; the total ends within 8 s above it).
        corpus: optional corpus folder: compare the voice with its speakers (resemblyzer) and keep
            its sentences out of the test texts.
        progress: optional callback, one line per chosen clip.
        en_root / en_transcripts: the asterisk prompts (tests point them elsewhere).
        source: the synthesizer of the Kokoro voice (default: :class:`KokoroSource`).
        embedder: speaker encoder for the corpus check (default: resemblyzer).

    Raises:
        EvalSetError: unknown language or voice, busy folder, missing package or too little audio.
    """
    out = Path(out)
    if lang not in VOICES:
        raise EvalSetError(f"--lang must be en or zh, got {lang!r}")
    voice = voice or VOICES[lang][0]
    if voice not in VOICES[lang]:
        raise EvalSetError(f"--voice {voice} has no {lang} evaluation set; choose one of {', '.join(VOICES[lang])}")
    _check_out(out)
    rng = random.Random(f"evalset|{lang}|{seed}")
    corpus_texts = _corpus_texts(Path(corpus)) if corpus else []
    # the texts draw from their own generator: a longer text pool must not change the voice's clips
    texts = choose_texts(lang, random.Random(f"evalset-texts|{lang}|{seed}"), exclude=corpus_texts)
    if voice == "allison":
        clips = asterisk_clips(asterisk_candidates(en_root, en_transcripts), rng)
        speaker, origin = EN_SPEAKER, {"source": str(en_root), "licence": EN_LICENCE}
        readings: list[Clip] = []  # recorded prompts: nobody can read the test texts in this voice
    else:
        from gpt_sovits.corpus.kokoro import KokoroSource

        heldout = heldout_kokoro_voice(lang)
        source = source if source is not None else KokoroSource()
        clips = synthesized_clips(source, heldout, seed)
        readings = read_texts_aloud(source, heldout, texts)
        speaker, origin = heldout.id, {"source": f"{source.name} style mix {list(heldout.params['mix'])}",
                                       "licence": source.licence}
    train, ref = select_clips(clips, seconds, banned_texts=texts, progress=progress)
    write_eval_set(out, lang, speaker, train, ref, texts, readings)
    summary = {"out": str(out), "lang": lang, "seed": seed, "speaker": speaker, **origin,
               "train_clips": len(train), "train_seconds": round(sum(c.seconds for c in train), 2),
               "ref": {"name": ref.name, "seconds": round(ref.seconds, 2), "text": ref.text},
               "texts": texts, "readings": len(readings),
               "commands": eval_clone_commands(out, lang, str(corpus) if corpus else None)}
    if readings:
        summary["commands"]["eval_paths"] = f"python -m gpt_sovits eval-paths --readings {out}/readings.list --lang {lang}"
    if corpus:
        summary["speaker_check"] = speaker_check(out, train, ref, Path(corpus), embedder)
    from gpt_sovits.fileio import atomic_write_json

    atomic_write_json(out / "evalset.json", summary)
    return summary


def _corpus_texts(corpus: Path) -> list[str]:
    from gpt_sovits.data.labels import read_list

    labels = corpus / "labels.list"
    return [e.text for e in read_list(labels)[0]] if labels.is_file() else []


def speaker_check(out: Path, train: Sequence[Clip], ref: Clip, corpus: Path, embedder=None,
                  per_speaker: int = 5) -> dict:
    """Resemblyzer check of the new voice: split-half self-similarity of the training clips,
    reference-to-training similarity, and similarity to every corpus speaker (highest first)."""
    from gpt_sovits.corpus.speakers import (
        SpeakerEmbeddings,
        compare_with_speakers,
        embed_speakers,
        pick_utterances,
    )
    from gpt_sovits.evaluation.speaker import cosine

    if embedder is None:
        from gpt_sovits.evaluation.speaker import SpeakerEncoder

        embedder = SpeakerEncoder()
    target = SpeakerEmbeddings(out.name, [c.name for c in train], [embedder.embed(c.audio, SAMPLE_RATE) for c in train])
    others = embed_speakers(embedder, pick_utterances(corpus, per_speaker))
    result = compare_with_speakers(target, others)
    ref_similarity = cosine(embedder.embed(ref.audio, SAMPLE_RATE), target.mean)
    result["ref_to_train"] = None if ref_similarity is None else round(ref_similarity, 4)
    result["corpus_per_speaker"] = per_speaker
    return result
