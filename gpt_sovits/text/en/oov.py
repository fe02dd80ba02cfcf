"""Neural grapheme-to-phoneme prediction for out-of-vocabulary English words (numpy only).

A re-implementation of the forward pass of g2p_en's small GRU encoder-decoder (g2p_en 2.1.0,
Apache-2.0, Kyubyong Park & Jongseok Kim). Its trained weights ``checkpoint20.npz`` are read from the
installed ``g2p_en`` package by path; the package is never imported (its import downloads NLTK data).

Shapes: g = 29 graphemes, p = 74 phonemes, e = 64 embedding, h = 128 hidden, t = characters + 1.
Decoding is greedy for at most 20 steps, exactly like the original, so results match it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from gpt_sovits.text.en.lexicon import package_data_file

GRAPHEMES = ["<pad>", "<unk>", "</s>", *"abcdefghijklmnopqrstuvwxyz"]
PHONEMES = [
    "<pad>",
    "<unk>",
    "<s>",
    "</s>",
    *(
        "AA0 AA1 AA2 AE0 AE1 AE2 AH0 AH1 AH2 AO0 AO1 AO2 AW0 AW1 AW2 AY0 AY1 AY2 B CH D DH "
        "EH0 EH1 EH2 ER0 ER1 ER2 EY0 EY1 EY2 F G HH IH0 IH1 IH2 IY0 IY1 IY2 JH K L M N NG "
        "OW0 OW1 OW2 OY0 OY1 OY2 P R S SH T TH UH0 UH1 UH2 UW UW0 UW1 UW2 V W Y Z ZH"
    ).split(),
]
_GRAPHEME_IDS = {g: i for i, g in enumerate(GRAPHEMES)}
_UNK_GRAPHEME, _END_GRAPHEME = 1, 2
_START, _END = 2, 3  # phoneme ids of <s> and </s>
MAX_STEPS = 20


@dataclass(frozen=True)
class _Gru:
    """One GRU layer's weights (PyTorch layout: gates ordered r, z, n)."""

    w_ih: np.ndarray  # [3h, e]
    w_hh: np.ndarray  # [3h, h]
    b_ih: np.ndarray  # [3h]
    b_hh: np.ndarray  # [3h]

    def step(self, x: np.ndarray, h: np.ndarray) -> np.ndarray:
        """x [1, e], h [1, h] -> new h [1, h]."""
        gi = x @ self.w_ih.T + self.b_ih  # [1, 3h]
        gh = h @ self.w_hh.T + self.b_hh  # [1, 3h]
        size = h.shape[-1]
        rz = 1.0 / (1.0 + np.exp(-(gi[:, : 2 * size] + gh[:, : 2 * size])))
        r, z = rz[:, :size], rz[:, size:]
        n = np.tanh(gi[:, 2 * size :] + r * gh[:, 2 * size :])
        return (1.0 - z) * n + z * h


@dataclass(frozen=True)
class NeuralG2p:
    """The g2p_en seq2seq model: character GRU encoder, phoneme GRU decoder, linear output."""

    enc_emb: np.ndarray  # [g, e]
    encoder: _Gru
    dec_emb: np.ndarray  # [p, e]
    decoder: _Gru
    fc_w: np.ndarray  # [p, h]
    fc_b: np.ndarray  # [p]

    def predict(self, word: str) -> list[str]:
        """Phonemes for a lower-case word (unknown characters map to <unk>, as in the original)."""
        ids = [_GRAPHEME_IDS.get(c, _UNK_GRAPHEME) for c in word] + [_END_GRAPHEME]
        x = self.enc_emb[ids]  # [t, e]
        h = np.zeros((1, self.fc_w.shape[1]), np.float32)  # [1, h]
        for t in range(x.shape[0]):
            h = self.encoder.step(x[t : t + 1], h)
        token = _START
        out: list[str] = []
        for _ in range(MAX_STEPS):
            h = self.decoder.step(self.dec_emb[token : token + 1], h)
            logits = h @ self.fc_w.T + self.fc_b  # [1, p]
            token = int(logits.argmax())
            if token == _END:
                break
            out.append(PHONEMES[token])
        return out


@functools.lru_cache(maxsize=1)
def neural_g2p() -> NeuralG2p:
    """Load the g2p_en checkpoint once (lazily)."""
    path = package_data_file("g2p_en", "checkpoint20.npz")
    with np.load(path) as v:
        return NeuralG2p(
            enc_emb=v["enc_emb"],
            encoder=_Gru(v["enc_w_ih"], v["enc_w_hh"], v["enc_b_ih"], v["enc_b_hh"]),
            dec_emb=v["dec_emb"],
            decoder=_Gru(v["dec_w_ih"], v["dec_w_hh"], v["dec_b_ih"], v["dec_b_hh"]),
            fc_w=v["fc_w"],
            fc_b=v["fc_b"],
        )


@functools.lru_cache(maxsize=4096)
def predict_oov(word: str) -> tuple[str, ...]:
    """Predicted ARPAbet (plus possibly "UW"/"<unk>" tokens, filtered later) for an unknown word."""
    return tuple(neural_g2p().predict(word.lower()))
