"""``synthesize(voice, text, options)``: text in, one audio chunk per segment out, lazily.

Per segment (the original's classic inference, plus the stability guard):
1. the text is cut with ``options.segmentation`` (api names cut0..cut5 accepted);
2. the segment is phonemized (fewer than 6 phones: re-run with a "." prefix) and gets Chinese
   BERT features when the voice has a featurizer (else zeros);
3. S1 decodes semantic tokens from [prompt phones | segment phones] and the prompt tokens,
   with the original's EOS rules and at most ``token_bounds(...).high`` tokens; a voice whose
   base ships a token readout samples several takes and keeps the one that spells the text best
   (:mod:`gpt_sovits.infer.reading_check`);
4. the guard (and optionally the ASR check) may reject the take: another seed is tried up to
   ``options.max_retries`` times; if all fail, the least bad take is kept and reported;
5. S2 decodes the tokens with the segment's phones and the reference timbre; the audio is
   divided by its peak if it exceeds 1, loudness-normalised, and followed by the pause.

Nothing runs before the first ``next()`` except validation, and nothing is kept between
segments, so a long text streams in constant memory. The same seed always gives the same audio:
segment ``i``, attempt ``a`` uses ``segment_seed(seed, i, a)`` for both S1 sampling and S2 noise.

Shapes: p = phones, d = BERT dim, n = tokens, s = samples.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from gpt_sovits.errors import UnsupportedText
from gpt_sovits.infer.asr_check import AsrCheck
from gpt_sovits.infer.guard import GuardConfig, Verdict, check_tokens, token_bounds
from gpt_sovits.infer.options import SynthesisOptions
from gpt_sovits.infer.reading_check import READING_TAKES, reading_error, take_seed
from gpt_sovits.infer.results import AudioChunk
from gpt_sovits.infer.voice import Voice
from gpt_sovits.models.s1.generate import DecodeOptions, GenerateResult, generate
from gpt_sovits.models.s1.pointer import PointerPrompt
from gpt_sovits.models.s2.envelope_decoder import PitchControl
from gpt_sovits.models.s2.model import PITCH_UNSUPPORTED

log = logging.getLogger(__name__)

MIN_PHONES = 6  # the original re-runs shorter segments with a "." prefix
TARGET_LUFS = -20.0
_SEED_MOD = 2**63 - 1


def segment_seed(seed: int, index: int, attempt: int) -> int:
    """Seed of attempt ``attempt`` at segment ``index`` (distinct, reproducible)."""
    return (seed * 1_000_003 + index * 7_919 + attempt * 104_729) % _SEED_MOD


@dataclass
class _Take:
    tokens: torch.Tensor  # [n]
    seed: int
    issues: list[str]
    score: float
    audio: np.ndarray | None = None
    asr_text: str | None = None
    asr_error: float | None = None
    reading_error: float | None = None
    alignment: torch.Tensor | None = None  # [n] the phone (index into the segment's ids) of each token


def synthesize(
    voice: Voice,
    text: str,
    options: SynthesisOptions | None = None,
    *,
    guard: GuardConfig | None = None,
    asr: AsrCheck | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Iterator[AudioChunk]:
    """Read ``text`` with ``voice``; yields one :class:`AudioChunk` per segment as it is ready.

    Args:
        options: sliders and seed (defaults: the original's).
        guard: bounds of a plausible take (default :class:`GuardConfig`).
        asr: when ``options.asr_check`` is on, the checker to use (default: Whisper-base from
            the registry).
        cancel: polled between segments; returning True ends the iteration early.

    Raises (immediately, before any audio):
        ValueError: unknown segmentation method; pitch or intonation changed for a voice whose
            decoder cannot change them.
        UnsupportedText: nothing pronounceable in ``text``.
    """
    from gpt_sovits.text.segment import resolve_method, split_text

    options = options or SynthesisOptions()
    if not PitchControl(options.pitch, options.intonation).neutral and not voice.s2.controls_pitch:
        raise ValueError(PITCH_UNSUPPORTED)
    method = resolve_method(options.segmentation)
    segments = split_text(text, method, language=options.language)
    if not segments:
        raise UnsupportedText("the text is empty or has no words to read; type some Chinese or English text")
    if options.asr_check and asr is None:
        from gpt_sovits.infer.asr_check import whisper_check

        asr = whisper_check()
    seed = options.seed if options.seed is not None else secrets.randbelow(2**31)
    return _run(voice, segments, options, seed, guard or GuardConfig(), asr if options.asr_check else None,
                cancel)


def _run(voice: Voice, segments: list[str], options: SynthesisOptions, seed: int, guard: GuardConfig,
         asr: AsrCheck | None, cancel: Callable[[], bool] | None) -> Iterator[AudioChunk]:
    produced = 0
    pause = np.zeros(int(round(options.pause * voice.sample_rate)), dtype=np.float32)
    for index, segment in enumerate(segments):
        if cancel is not None and cancel():
            return
        chunk = synthesize_segment(voice, segment, index, len(segments), options, seed, guard, asr)
        if chunk is None:
            continue
        if index < len(segments) - 1 and pause.size:
            chunk.audio = np.concatenate([chunk.audio, pause])
            chunk.pause_samples = pause.size
        produced += 1
        yield chunk
    if produced == 0:
        raise UnsupportedText("none of the text could be read; use Chinese or English words")


def _phonemize(voice: Voice, segment: str, language: str) -> tuple[list[int], torch.Tensor, int] | None:
    """Segment -> (phone ids [p], BERT [d, p], pronounced phone count), None if unpronounceable."""
    from gpt_sovits.features.bert import bert_features
    from gpt_sovits.text import to_phones
    from gpt_sovits.text.symbols import SILENT_SYMBOLS

    try:
        phonemized = to_phones(segment, language, voice.symbols_version, min_phones=MIN_PHONES)
    except UnsupportedText as exc:
        log.warning("skipping segment %r: %s", segment, exc)
        return None
    bert = bert_features(phonemized, voice.bert, dim=voice.bert_dim)  # [d, p]
    pronounced = sum(1 for p in phonemized.phones if p not in SILENT_SYMBOLS and p[:1].isalpha())
    return list(phonemized.ids), bert, max(pronounced, 1)


def _decode_options(options: SynthesisOptions, max_tokens: int) -> DecodeOptions:
    return DecodeOptions(top_k=options.top_k, top_p=options.top_p, temperature=options.temperature,
                         repetition_penalty=options.repetition_penalty, max_new_tokens=max_tokens)


def _sample_tokens(voice: Voice, ids: list[int], bert: torch.Tensor, decode: DecodeOptions,
                   seed: int) -> GenerateResult:
    phones = torch.tensor(voice.prompt_ids + ids, dtype=torch.long)  # [p_prompt + p]
    all_bert = torch.cat([voice.prompt_bert, bert], dim=1)  # [d, p_prompt + p]
    generator = torch.Generator().manual_seed(seed)
    pointer = None
    if voice.prompt_alignment is not None:
        pointer = PointerPrompt(voice.prompt_alignment, len(voice.prompt_ids))
    with voice.s1.lock:
        return generate(voice.s1.model, phones, all_bert, voice.prompt, options=decode, generator=generator,
                        pointer=pointer)


def target_alignment(result: GenerateResult, prompt_phones: int, n_ids: int) -> torch.Tensor | None:
    """The phone (index into the segment's ``n_ids`` phone ids) of each kept token of a phone-pointer
    S1's ``result`` (its pointer counts the prompt's ``prompt_phones`` first); None without a pointer."""
    if result.alignment is None or n_ids == 0:
        return None
    kept = result.alignment[result.alignment.numel() - result.semantic.numel():] - prompt_phones
    return torch.where(kept < -prompt_phones, n_ids - 1, kept).clamp(0, n_ids - 1)  # past the end (END): the last


def pitch_control(voice: Voice, options: SynthesisOptions, ids: list[int] | None = None,
                  alignment: torch.Tensor | None = None) -> PitchControl:
    """The options' pitch shift and intonation, anchored at the reference's pitch when asked and known;
    the melody's shape from the text (``ids`` spoken token by token as ``alignment`` says) when the
    voice has a text melody model that knows these phones and the options ask for it."""
    anchor = voice.pitch_hz if options.keep_reference_pitch and voice.s2.controls_pitch else None
    contour, weight = None, 1.0
    if (options.text_melody and voice.melody is not None and ids and alignment is not None and alignment.numel()
            and voice.melody.covers(ids)):
        with torch.inference_mode():
            contour = voice.melody(torch.tensor(ids, dtype=torch.long), alignment)
        weight = float(voice.melody.config.blend)
    return PitchControl(options.pitch, options.intonation, anchor, contour, weight)


def render_tokens(voice: Voice, tokens: torch.Tensor, ids: list[int], options: SynthesisOptions,
                  seed: int, alignment: torch.Tensor | None = None) -> np.ndarray:
    """S2: tokens [n] + phone ids -> float32 audio [s], peak-limited to 1 like the original.
    ``alignment`` [n]: the phone (index into ``ids``) of each token, for the text melody."""
    codes = tokens.view(1, 1, -1)  # [n_q=1, B=1, n]
    phones = torch.tensor(ids, dtype=torch.long)[None]  # [1, p]
    generator = torch.Generator().manual_seed(seed)
    with torch.inference_mode():
        audio = voice.s2.decode(codes, phones, voice.ref_specs, noise_scale=options.noise_scale,
                                length_scale=options.length_scale, generator=generator,
                                pitch=pitch_control(voice, options, ids, alignment))
    wav = audio[0, 0].float().numpy().astype(np.float32)  # [s]
    peak = float(np.abs(wav).max()) if wav.size else 0.0
    return wav / peak if peak > 1.0 else wav


def _best_s1_take(voice: Voice, ids: list[int], bert: torch.Tensor, n_phones: int, decode: DecodeOptions,
                  seed: int, guard: GuardConfig) -> tuple[GenerateResult, Verdict, float | None]:
    """S1's take for this attempt: one, or ``READING_TAKES`` when the voice has a token readout;
    then the kept one is accepted by the guard if any is, and reads the text best among those."""
    best: tuple | None = None
    for index in range(READING_TAKES if voice.readout is not None else 1):
        result = _sample_tokens(voice, ids, bert, decode, take_seed(seed, index))
        verdict = check_tokens(result.semantic.tolist(), n_phones, result.eos, guard)
        error = None if voice.readout is None else reading_error(voice.readout, result.semantic, ids)
        rank = (not verdict.ok, verdict.score, error or 0.0)
        if best is None or rank < best[0]:
            best = (rank, result, verdict, error)
    assert best is not None
    return best[1], best[2], best[3]


def _try_once(voice: Voice, segment: str, ids: list[int], bert: torch.Tensor, n_phones: int,
              options: SynthesisOptions, seed: int, guard: GuardConfig, asr: AsrCheck | None) -> _Take:
    high = token_bounds(n_phones, guard).high
    result, verdict, error = _best_s1_take(voice, ids, bert, n_phones, _decode_options(options, high), seed, guard)
    tokens = result.semantic
    take = _Take(tokens=tokens, seed=seed, issues=verdict.issues, score=verdict.score, reading_error=error,
                 alignment=target_alignment(result, len(voice.prompt_ids), len(ids)))
    if not verdict.ok:
        return take
    take.audio = render_tokens(voice, tokens, ids, options, seed, take.alignment)
    if asr is not None:
        take.asr_text, take.asr_error = asr.check(take.audio, voice.sample_rate, segment, options.language)
        if take.asr_error > asr.max_error:
            take.issues = [f"ASR heard {take.asr_text!r} (phone error rate {take.asr_error:.2f})"]
            take.score = take.asr_error
    return take


def synthesize_segment(voice: Voice, segment: str, index: int, count: int, options: SynthesisOptions,
                       seed: int, guard: GuardConfig, asr: AsrCheck | None) -> AudioChunk | None:
    """One segment with retries (see the module docstring); None if it has nothing to read."""
    from gpt_sovits.audio.loudness import normalize_loudness

    prepared = _phonemize(voice, segment, options.language)
    if prepared is None:
        return None
    ids, bert, n_phones = prepared
    issues: list[str] = []
    best: _Take | None = None
    attempts = 0
    for attempt in range(options.max_retries + 1):
        attempts = attempt + 1
        take = _try_once(voice, segment, ids, bert, n_phones, options,
                         segment_seed(seed, index, attempt), guard, asr)
        if best is None or take.score < best.score:
            best = take
        if not take.issues:
            break
        issues.extend(f"take {attempt + 1}: {issue}" for issue in take.issues)
        log.info("segment %d take %d rejected: %s", index, attempt + 1, "; ".join(take.issues))
    assert best is not None
    if best.audio is None:
        best.audio = render_tokens(voice, best.tokens, ids, options, best.seed, best.alignment)
    audio, _ = normalize_loudness(best.audio, voice.sample_rate, target_lufs=TARGET_LUFS)
    return AudioChunk(audio=audio.astype(np.float32, copy=False), sample_rate=voice.sample_rate, text=segment,
                      index=index, count=count, seed=best.seed, retries=attempts - 1, issues=issues,
                      tokens=int(best.tokens.numel()), phones=n_phones, asr_text=best.asr_text,
                      asr_error=best.asr_error, reading_error=best.reading_error)
