"""Stability guard: reject S1 takes whose token sequence cannot be a faithful reading.

The original's most reported failures are swallowed words (too few tokens for the text), extra
or endless words (too many) and repetition loops ("的的的..."). A take is checked before S2
decodes it:

- length: semantic tokens come at 25 Hz. Measured on espeak-ng speech of our test sentences
  (seconds x 25 / pronounced phones; punctuation and pauses not counted as phones), English
  ranges 1.4 (260 wpm) - 2.1 (175 wpm) - 3.7 (110 wpm) tokens per phone and Mandarin 2.6 - 4.2 -
  7.5 (espeak reads Mandarin slowly; natural speech at 4-5 syllables/s is about 2.5-3). A take
  below ``min_tokens_per_phone`` (0.9, well under the fastest reading) has dropped words; one
  above ``max_tokens_per_phone`` x phones + ``slack_tokens`` (pauses, leading and trailing
  silence) is rambling. The upper bound is also S1's ``max_new_tokens``, so a take that never
  emits EOS stops there instead of running 60 s.
- loops: a block of ``period`` tokens repeated back to back. Real speech never repeats a
  multi-token block exactly several times, but silence does repeat one token, so period 1 only
  counts as a loop beyond ``max_same_token_run`` (2 s).

Shapes: n = semantic tokens.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from gpt_sovits.config import StrictConfig

S1_MAX_TOKENS = 1500  # the original's hard cap (60 s)


@dataclass
class GuardConfig(StrictConfig):
    """Bounds of a plausible take.

    Args:
        min_tokens_per_phone: fewer tokens per pronounced phone = words were swallowed.
        max_tokens_per_phone: more (beyond ``slack_tokens``) = rambling or extra words.
        slack_tokens: allowance for pauses and edge silence (25 = 1 s).
        loop_max_period: longest repeated block looked for (tokens).
        loop_min_repeats: back-to-back repeats of a block that make a loop.
        loop_min_span: tokens a loop must cover at least (short stutters are tolerated).
        max_same_token_run: longest run of one token (silence) accepted.
    """

    min_tokens_per_phone: float = 0.9
    max_tokens_per_phone: float = 6.0
    slack_tokens: int = 25
    loop_max_period: int = 40
    loop_min_repeats: int = 3
    loop_min_span: int = 20
    max_same_token_run: int = 50

    def __post_init__(self) -> None:
        if not 0 <= self.min_tokens_per_phone < self.max_tokens_per_phone:
            raise ValueError("min_tokens_per_phone must be >= 0 and below max_tokens_per_phone")
        if self.loop_min_repeats < 2 or self.loop_max_period < 1:
            raise ValueError("loop_min_repeats must be >= 2 and loop_max_period >= 1")


@dataclass(frozen=True)
class TokenBounds:
    """Plausible number of tokens for a segment: ``low <= n <= high``."""

    low: int
    high: int


def token_bounds(n_phones: int, config: GuardConfig) -> TokenBounds:
    """Bounds for a segment with ``n_phones`` pronounced phones (``high`` <= 1500)."""
    low = math.floor(config.min_tokens_per_phone * n_phones)
    high = min(S1_MAX_TOKENS, math.ceil(config.max_tokens_per_phone * n_phones) + config.slack_tokens)
    return TokenBounds(low=min(low, high), high=high)


@dataclass(frozen=True)
class Loop:
    """A block of ``period`` tokens repeated ``repeats`` times from ``start`` (``span`` tokens)."""

    period: int
    start: int
    repeats: float
    span: int


def find_loop(tokens: Sequence[int] | np.ndarray, config: GuardConfig) -> Loop | None:
    """The longest back-to-back repetition that counts as a loop, or None.

    For each period p, ``tokens[i] == tokens[i + p]`` over a run of r positions means the block
    of p tokens at the run's start repeats (r + p) / p times.
    """
    seq = np.asarray(tokens, dtype=np.int64).reshape(-1)  # [n]
    run_from = _constant_run_lengths(seq)  # [n]
    best: Loop | None = None
    for period in range(1, min(config.loop_max_period, seq.shape[0] // 2) + 1):
        match = seq[period:] == seq[:-period]  # [n - p]
        if period > 1:  # a run of one token repeats at every period: judge it as period 1 only
            match &= run_from[:-period] <= period
        same = np.concatenate([[False], match, [False]])  # [n - p + 2]
        edges = np.flatnonzero(np.diff(same.astype(np.int8)))  # run starts and ends, alternating
        if edges.size == 0:
            continue
        lengths = edges[1::2] - edges[0::2]
        k = int(np.argmax(lengths))
        span = int(lengths[k]) + period
        repeats = span / period
        if period == 1:
            is_loop = span > config.max_same_token_run
        else:
            is_loop = repeats >= config.loop_min_repeats and span >= config.loop_min_span
        if is_loop and (best is None or span > best.span):
            best = Loop(period=period, start=int(edges[0::2][k]), repeats=repeats, span=span)
    return best


def _constant_run_lengths(seq: np.ndarray) -> np.ndarray:
    """``out[i]`` = how many tokens from ``i`` on equal ``seq[i]`` (at least 1). [n] -> [n]"""
    out = np.ones(seq.shape[0], dtype=np.int64)
    for i in range(seq.shape[0] - 2, -1, -1):
        if seq[i] == seq[i + 1]:
            out[i] = out[i + 1] + 1
    return out


@dataclass
class Verdict:
    """Outcome of :func:`check_tokens`: ``ok``, the reasons if not, and a badness score."""

    ok: bool
    issues: list[str] = field(default_factory=list)
    score: float = 0.0  # 0 for an accepted take; larger = worse (used to keep the best of bad takes)


def check_tokens(
    tokens: Sequence[int] | np.ndarray, n_phones: int, hit_eos: bool, config: GuardConfig
) -> Verdict:
    """Judge one take: length for ``n_phones`` pronounced phones, EOS reached, loops."""
    n = len(tokens)
    bounds = token_bounds(n_phones, config)
    issues: list[str] = []
    score = 0.0
    if n < bounds.low:
        issues.append(f"too short: {n} tokens for {n_phones} phones (at least {bounds.low}); words were skipped")
        score += (bounds.low - n) / max(bounds.low, 1)
    if not hit_eos and n >= bounds.high:
        issues.append(f"no end of speech within {bounds.high} tokens for {n_phones} phones")
        score += 1.0
    elif n > bounds.high:
        issues.append(f"too long: {n} tokens for {n_phones} phones (at most {bounds.high})")
        score += (n - bounds.high) / bounds.high
    loop = find_loop(tokens, config)
    if loop is not None:
        issues.append(
            f"repetition loop: a {loop.period}-token block repeated {loop.repeats:.1f} times "
            f"from token {loop.start}"
        )
        score += 1.0 + loop.span / max(n, 1)
    return Verdict(ok=not issues, issues=issues, score=score)
