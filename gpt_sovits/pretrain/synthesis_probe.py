"""Does a base read? The whole synthesis path on corpus voices, as a user's zero-shot voice runs it.

For each of ``items`` corpus voices, one of its utterances (3-9.5 s) is the reference clip with its
transcript, and another of its utterances is the text to read. The voice is built from the base's
S2 (its token readout beside it, so the reading check runs) and an S1 (the base's, or any S1 file
to compare), then ``synthesize()`` reads the text twice: at the settings the base recommends
(``profile.json`` "synthesis"; with a readout, the best of several S1 takes) and greedy (top-k 1,
no repetition penalty). Whisper-base transcribes each take; the result is the capped error rate
(mean of per-utterance word/character error rates, each capped at 1) overall and by corpus source.

The targets are corpus utterances, so S1 has trained on their texts; ``new_texts`` reads sentences
no corpus utterance says instead (:func:`with_new_texts`), as a user's text would be (session 17:
Allison's test sentences read with a corpus voice as reference scored like her own reference).

Unlike ``pretrain-probe`` this needs no run folder and no cached features: a profile folder and a
corpus are enough, so any S1 checkpoint can be compared on the same pairs (deterministic for a seed).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REFERENCE_SECONDS = (3.0, 9.5)
MODES = ("recommended", "greedy")
NEW_TEXTS_VOICE = "synthesis-probe-new-texts"  # the sentence pool's "voice" for new texts


@dataclass
class SynthesisProbe:
    """Capped Whisper error of the whole path, per decoding mode (see the module docstring)."""

    items: int
    capped_rate: dict[str, float]
    capped_rate_by_source: dict[str, dict[str, float]]
    seconds: float
    utterances: list[dict[str, Any]] = field(default_factory=list)


def probe_pairs(corpus: Path, items: int, seed: int = 0) -> list[tuple[dict, dict]]:
    """(reference, target) manifest entries: one pair per voice, voices in a seeded order."""
    from gpt_sovits.corpus.build import read_manifest

    entries = read_manifest(corpus)
    random.Random(seed).shuffle(entries)
    by_voice: dict[str, list[dict]] = {}
    for entry in entries:
        by_voice.setdefault(entry["voice"], []).append(entry)
    pairs = []
    for voice in sorted(by_voice):
        found = by_voice[voice]
        refs = [e for e in found if REFERENCE_SECONDS[0] <= e["seconds"] <= REFERENCE_SECONDS[1]]
        if refs and len(found) > 1:
            pairs.append((refs[0], next(e for e in found if e is not refs[0])))
    random.Random(seed + 1).shuffle(pairs)
    return pairs[:items]


def with_new_texts(pairs: list[tuple[dict, dict]], corpus_texts: set[str], seed: int = 0) -> list[tuple[dict, dict]]:
    """The same pairs, each target's text replaced by a sentence of the corpus's sentence pool in
    its language that no corpus utterance says (``corpus_texts``), none twice.

    Raises:
        ValueError: the pool has no new sentence left for a language.
    """
    from gpt_sovits.corpus.sentences import SentencePool
    from gpt_sovits.features.stage import text_language

    pools: dict[str, SentencePool] = {}
    known, index, out = set(corpus_texts), 0, []
    for ref, target in pairs:
        language = text_language(target["language"])
        pool = pools.setdefault(language, SentencePool(language, seed))
        for _ in range(1000):
            text, index = pool.sentence(NEW_TEXTS_VOICE, index), index + 1
            if text not in known:
                break
        else:
            raise ValueError(f"no sentence left in the {language} sentence pool that the corpus does not say")
        known.add(text)
        out.append((ref, {**target, "id": f"{target['id']}+new", "text": text}))
    return out


def _mode_options(mode: str, recommended: dict[str, Any], language: str) -> Any:
    from gpt_sovits.infer.options import options_for

    if mode == "greedy":
        return options_for({}, top_k=1, repetition_penalty=1.0, seed=0, language=language)
    return options_for(recommended, seed=0, language=language)


def probe_synthesis(profile: str | Path, corpus: str | Path, s1: str | Path | None = None, items: int = 40,
                    seed: int = 0, pretrained_root: str | Path | None = None, asr: Any = None,
                    new_texts: bool = False) -> SynthesisProbe:
    """Read ``items`` corpus texts (``new_texts``: sentences the corpus does not say) with the base
    in folder ``profile`` (S1 = ``s1`` when given).

    Raises:
        ModelMissingError: ``profile`` is not a usable base profile folder.
        FileNotFoundError: no ``s1`` file, or no corpus utterances to pair.
    """
    import dataclasses

    from gpt_sovits.asr import WhisperASR
    from gpt_sovits.evaluation.metrics import capped_rate, error_count
    from gpt_sovits.infer.cache import InferenceCaches
    from gpt_sovits.infer.pipeline import synthesize
    from gpt_sovits.infer.results import collect
    from gpt_sovits.infer.voice import zero_shot_voice
    from gpt_sovits.registry import Registry

    corpus = Path(corpus)
    registry = Registry(Path(pretrained_root) if pretrained_root is not None else None)
    base = registry.profile_at(profile)
    if s1 is not None:
        if not Path(s1).is_file():
            raise FileNotFoundError(f"{s1}: no such S1 file")
        base = dataclasses.replace(base, s1=Path(s1))
    pairs = probe_pairs(corpus, items, seed)
    if not pairs:
        raise FileNotFoundError(f"{corpus} has no voice with a reference clip and a second utterance")
    if new_texts:
        from gpt_sovits.corpus.build import read_manifest

        pairs = with_new_texts(pairs, {entry["text"] for entry in read_manifest(corpus)}, seed)
    asr = asr or WhisperASR(pretrained_root=registry.root)
    caches = InferenceCaches()
    counts: dict[str, dict[str, list]] = {}
    rows, started = [], time.perf_counter()
    for ref, target in pairs:
        voice = zero_shot_voice(base, corpus / "slices" / f"{ref['id']}.wav", ref["text"], registry=registry,
                                ref_language=ref["language"], caches=caches)
        row = {"reference": ref["id"], "target": target["id"], "text": target["text"]}
        for mode in MODES:
            audio = collect(synthesize(voice, target["text"], _mode_options(mode, base.synthesis, target["language"])))
            heard = asr.transcribe(audio.audio, audio.sample_rate, target["language"]).text.strip()
            found = error_count(target["text"], heard, target["language"])
            for group in ("all", target.get("source", "other")):
                counts.setdefault(group, {}).setdefault(mode, []).append(found)
            row[mode] = heard
        rows.append(row)
    rates = {group: {mode: round(capped_rate(found), 3) for mode, found in modes.items()}
             for group, modes in counts.items()}
    overall = rates.pop("all")
    return SynthesisProbe(items=len(rows), capped_rate=overall, capped_rate_by_source=dict(sorted(rates.items())),
                          seconds=round(time.perf_counter() - started, 1), utterances=rows)
