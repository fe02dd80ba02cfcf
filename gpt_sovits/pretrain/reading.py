"""Does S1 read? Its free-running tokens for held-out texts, scored by the run's token readout.

Why: an S1 trained on a small corpus reaches its lowest validation CE long before it reads best
(starter run ``run-pc``: CE flat at ~2.35 from step ~3,000 while the phone error of its greedy
output kept falling, MODEL_CARD.md). Pretraining therefore keeps and exports the S1 that *reads*
best: at every validation it decodes the held-out texts greedily, without a prompt and after one
(synthesis always has a reference: ``read_error_prompted``), and the token phone readout
(:mod:`gpt_sovits.pretrain.token_readout`) counts the phone errors.

The texts are the validation utterances' and, so that one validation is not decided by a handful
of sentences, ``s1_reading_texts`` more sentences drawn from the corpus's own sentence pool for a
"voice" no corpus voice has (:func:`held_out_texts`; none of them a corpus text). Reading needs no audio: only their
phones, and about how many tokens their speech takes (the training utterances' tokens per phone).

The readout is trained once per run on the true tokens of the run's training utterances and kept
in ``RUN/run/token-readout.safetensors`` with a digest of those tokens, so a resumed round, another
stage process or ``pretrain-probe`` reuses it, and a rebuilt codebook (other tokens) retrains it.
The same file is what the exported profile ships for synthesis's reading check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from gpt_sovits.errors import CheckpointError
from gpt_sovits.pretrain.token_readout import (
    TokenReadout,
    fit_token_readout,
    load_readout,
    phone_errors,
    save_readout,
)
from gpt_sovits.voice_format import (
    READOUT_FILE as READOUT_FILE,  # the run's readout file, as profiles ship it
)

READOUT_SEED = 0
TEXTS_VOICE = "held-out-reading"  # the sentence pool's "voice" for reading texts


@dataclass(frozen=True, eq=False)
class ReadingText:
    """A text S1 is asked to read: phone ids [p], BERT features [d, p], about how many tokens its
    speech takes (an utterance's own count, else the corpus's tokens per phone times p)."""

    phone_ids: torch.Tensor
    bert: torch.Tensor
    tokens: int


def utterance_text(item) -> ReadingText:
    """A corpus utterance (``.phone_ids``, ``.bert``, ``.semantic``) as a reading text."""
    return ReadingText(item.phone_ids, item.bert, len(item.semantic))


def texts_digest(texts: Sequence[ReadingText], prompts: Sequence = ()) -> str:
    """Fingerprint of what a reading score reads (scores on other texts do not compare), and of
    the prompts (``.slice_id``) a prompted score reads them after: a grown corpus can change both."""
    h = hashlib.sha1(str(len(texts)).encode())
    for text in texts:
        h.update(text.phone_ids.to(torch.int64).numpy().tobytes())
        h.update(f"|{text.tokens}#".encode())
    for prompt in prompts:
        h.update(f"<{prompt.slice_id}>".encode())
    return h.hexdigest()[:16]


def held_out_texts(corpus: Iterable[tuple[str, str]], count: int, seed: int, symbols: str, bert_dim: int,
                   tokens_per_phone: float) -> list[ReadingText]:
    """``count`` sentences in the corpus's languages (taking turns), drawn from its sentence pool
    with ``seed``, none equal to a ``corpus`` text (``(text, language)`` pairs), phonemized with the
    S1's ``symbols``; zero BERT features (runs without BERT only)."""
    from gpt_sovits.corpus.sentences import SentencePool
    from gpt_sovits.features.stage import text_language
    from gpt_sovits.text import to_phones

    pairs = list(corpus)
    known = {text for text, _ in pairs}
    languages = sorted({text_language(lang) for _, lang in pairs} & {"en", "zh"})
    pools = [SentencePool(lang, seed) for lang in languages]
    out: list[ReadingText] = []
    for index in range(20 * count):
        if len(out) >= count or not pools:
            break
        pool = pools[index % len(pools)]
        text = pool.sentence(TEXTS_VOICE, index)
        if text in known:
            continue
        known.add(text)
        ids = torch.tensor(to_phones(text, pool.language, symbols).ids, dtype=torch.long)
        out.append(ReadingText(ids, torch.zeros(bert_dim, len(ids)), max(1, round(tokens_per_phone * len(ids)))))
    return out


def _digest(items: Sequence, codes: int, epochs: int) -> str:
    """Fingerprint of what the readout learns from (tokens, phones, codebook size, epochs)."""
    h = hashlib.sha1(f"{codes}:{epochs}:{len(items)}".encode())
    for item in items:
        h.update(item.semantic.to(torch.int64).numpy().tobytes())
        h.update(b"|")
        h.update(item.phone_ids.to(torch.int64).numpy().tobytes())
        h.update(b"#")
    return h.hexdigest()


def run_readout(items: Sequence, codes: int, epochs: int, cache: Path | None = None) -> TokenReadout:
    """The token readout of a run's training ``items`` (``.semantic`` [n], ``.phone_ids`` [p]),
    seeded, so the same items give the same readout; loaded from ``cache`` when it was trained on
    the same tokens, else trained (and saved there). ``.trained_on`` is the fingerprint of those
    tokens (a grown corpus retrains the readout, and scores read by another readout do not compare).

    Raises:
        ValueError: no usable training utterance (see :func:`fit_token_readout`).
    """
    digest = _digest(items, codes, epochs)
    if cache is not None and cache.is_file():
        try:
            saved = load_readout(cache)
        except CheckpointError:  # a torn or foreign file is simply retrained
            saved = None
        if saved is not None and saved.trained_on == digest:
            return saved
    data = [(item.semantic, item.phone_ids.tolist()) for item in items]
    readout = fit_token_readout(data, codes, epochs, torch.Generator().manual_seed(READOUT_SEED))
    readout.trained_on = digest
    if cache is not None:
        save_readout(readout, cache)
    return readout


@torch.no_grad()
def reading_error(readout: TokenReadout, model: torch.nn.Module, texts: Sequence[ReadingText],
                  prompts: Sequence | None = None) -> float:
    """Phone errors per phone of the tokens ``model`` (an S1, in eval mode) writes for ``texts``:
    greedy, no repetition penalty, at most twice the expected length + 1 s. Without ``prompts``
    S1 reads each text alone; with them (utterances with ``.phone_ids``, ``.bert``, ``.semantic``;
    text i takes prompt i mod their number) it goes on after a prompt, as synthesis does: prompt
    phones + text phones, the prompt's tokens first, and only what it writes after them is read."""
    from gpt_sovits.models.s1.generate import DecodeOptions, generate
    from gpt_sovits.models.s1.pointer import PointerPrompt

    edits = units = 0
    for index, item in enumerate(texts):
        phones, bert, start, pointer = item.phone_ids, item.bert, None, None
        if prompts:
            prompt = prompts[index % len(prompts)]
            phones, bert = torch.cat([prompt.phone_ids, phones]), torch.cat([prompt.bert, bert], dim=1)
            start = prompt.semantic.long()
            if getattr(prompt, "alignment", None) is not None:
                pointer = PointerPrompt(prompt.alignment, len(prompt.phone_ids))
        options = DecodeOptions(top_k=1, repetition_penalty=1.0, max_new_tokens=2 * item.tokens + 25)
        tokens = generate(model, phones, bert, start, options=options,
                          generator=torch.Generator().manual_seed(0), pointer=pointer).tokens
        e, n = phone_errors(readout, tokens.reshape(-1), item.phone_ids.tolist())
        edits, units = edits + e, units + n
    return edits / max(units, 1)

