"""Phone-level BERT features for S1 (profile gsv-v2): ``[1024, n_phones]``.

Model: chinese-roberta-wwm-ext-large (a BERT), loaded with transformers from a local folder only.
As in the original: tokenise the segment's normalised text, take ``hidden_states[-3]`` (output of
layer 22 of 24), drop [CLS]/[SEP], take one vector per character and repeat character i
``word2ph[i]`` times. Features exist for Chinese segments only; English segments, and every
segment of profiles without BERT (starter), get zeros.

Differences from the original, both no-ops on normal Chinese text: the text is tokenised as a list
of characters so that the token -> character map is exact (a character split into several
word pieces gets their mean, one that yields no token, e.g. a space, gets zeros), and text longer
than 510 characters is encoded in 510-character chunks instead of failing.

Shapes: c = characters, p = phones, d = 1024 (BERT hidden size).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import torch

from gpt_sovits.features.hf_local import safe_from_pretrained

BERT_DIM = 1024
MAX_CHARS = 510  # BERT's 512 positions minus [CLS] and [SEP]


class PhoneSegment(Protocol):
    """What BERT features need from one front-end segment (``gpt_sovits.text.Segment``)."""

    language: str
    norm_text: str
    phones: list[str]
    word2ph: list[int]


class PhonemizedText(Protocol):
    """What BERT features need from ``gpt_sovits.text.Phonemized``."""

    phones: list[str]
    segments: list[PhoneSegment]


class BertFeaturizer:
    """Character-level features from a local BERT.

    Args:
        model: a ``transformers.BertModel`` (eval mode).
        tokenizer: its tokenizer (a fast tokenizer: ``word_ids()`` is used).
        layer: which entry of ``hidden_states`` to use (-3 as in the original).
    """

    def __init__(self, model: torch.nn.Module, tokenizer: object, layer: int = -3, device: str = "cpu") -> None:
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.layer = layer
        self.device = device
        self.dim = int(model.config.hidden_size)

    @classmethod
    def from_dir(cls, path: str | Path, device: str = "cpu") -> BertFeaturizer:
        """Load model and tokenizer from e.g. ``pretrained/chinese-roberta-wwm-ext-large``.

        Raises:
            ModelMissingError: files missing (the fix is the gsv-v2 download).
        """
        from transformers import AutoTokenizer, BertModel

        path = Path(path)
        model = safe_from_pretrained(BertModel, path, "chinese-roberta-wwm-ext-large", add_pooling_layer=False)
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        return cls(model, tokenizer, device=device)

    @torch.no_grad()
    def char_features(self, text: str) -> torch.Tensor:
        """One vector per character of ``text``: ``[c, d]`` (float32, CPU)."""
        chunks = [text[i : i + MAX_CHARS] for i in range(0, len(text), MAX_CHARS)]
        parts = [self._chunk_features(chunk) for chunk in chunks]
        return torch.cat(parts, dim=0) if parts else torch.zeros(0, self.dim)

    def _chunk_features(self, text: str) -> torch.Tensor:
        encoded = self.tokenizer(list(text), is_split_into_words=True, return_tensors="pt")
        inputs = {k: v.to(self.device) for k, v in encoded.items()}
        hidden = self.model(**inputs, output_hidden_states=True).hidden_states[self.layer][0]  # [tokens, d]
        hidden = hidden.float().cpu()
        word_ids = encoded.word_ids(0)  # char index per token, None for [CLS]/[SEP]
        sums = torch.zeros(len(text), self.dim)
        counts = torch.zeros(len(text), 1)
        for token, char in enumerate(word_ids):
            if char is not None:
                sums[char] += hidden[token]
                counts[char] += 1
        return sums / counts.clamp(min=1)  # [c, d]

    def phone_features(self, norm_text: str, word2ph: Sequence[int]) -> torch.Tensor:
        """Character features repeated ``word2ph[i]`` times: ``[d, sum(word2ph)]``.

        Raises:
            ValueError: ``word2ph`` does not have one entry per character of ``norm_text``.
        """
        if len(word2ph) != len(norm_text):
            raise ValueError(
                f"word2ph has {len(word2ph)} entries for {len(norm_text)} characters of {norm_text!r}; "
                "the text front-end must give one entry per normalised character"
            )
        chars = self.char_features(norm_text)  # [c, d]
        repeats = torch.as_tensor(list(word2ph), dtype=torch.long)
        return chars.repeat_interleave(repeats, dim=0).T.contiguous()  # [d, p]


def bert_features(
    phonemized: PhonemizedText, featurizer: BertFeaturizer | None, dim: int | None = None
) -> torch.Tensor:
    """Phone-level BERT features of a front-end result: ``[dim, len(phonemized.phones)]``.

    Chinese segments get BERT features (if ``featurizer`` is given); all others get zeros.
    ``dim`` defaults to the featurizer's hidden size, or 1024 without a featurizer.

    Raises:
        ValueError: the segments' phones do not add up to ``phonemized.phones``.
    """
    if dim is None:
        dim = featurizer.dim if featurizer is not None else BERT_DIM
    parts = []
    for segment in phonemized.segments:
        n_phones = len(segment.phones)
        if featurizer is not None and segment.language == "zh":
            feats = featurizer.phone_features(segment.norm_text, segment.word2ph)  # [d, p_seg]
            if feats.shape != (dim, n_phones):
                raise ValueError(
                    f"BERT features {tuple(feats.shape)} do not match ({dim}, {n_phones} phones) for "
                    f"{segment.norm_text!r}; word2ph must sum to the segment's phone count"
                )
            parts.append(feats)
        else:
            parts.append(torch.zeros(dim, n_phones))
    out = torch.cat(parts, dim=1) if parts else torch.zeros(dim, 0)  # [d, p]
    if out.shape[1] != len(phonemized.phones):
        raise ValueError(
            f"segments hold {out.shape[1]} phones but the text has {len(phonemized.phones)}; "
            "pass the result of gpt_sovits.text.to_phones unchanged"
        )
    return out
