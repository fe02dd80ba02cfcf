"""English grapheme-to-phoneme conversion producing GPT-SoVITS v2 phones (ARPAbet with stress).

Pipeline (the original ``english.g2p(text_normalize(text))`` plus ``clean_text``'s English rules):
normalise -> tokenise -> POS tags -> per token: punctuation kept, single letters spelled, homographs by
POS, CMUdict lookup, short unknown words spelled, possessive "'s" on a known stem, compounds split with
``wordsegment``, otherwise neural prediction -> drop phones outside the v2 symbol table ("'" becomes
"-") -> a leading "," when fewer than 4 phones result.

``faithful=True`` reproduces the original exactly (for training data identical to the official
pipeline); the default style reads acronyms, mixed-case words, hyphenated and apostrophe tokens more
sensibly (see ``_studio_token``).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from importlib import resources

from wordsegment import Segmenter

from gpt_sovits.text.en.lexicon import cmu_lexicon, homographs
from gpt_sovits.text.en.normalize import normalize_en
from gpt_sovits.text.en.oov import predict_oov
from gpt_sovits.text.en.pos import Tagger, heuristic_tags
from gpt_sovits.text.en.tokenize import tokenize

_DROPPED = frozenset({" ", "<pad>", "UW", "</s>", "<s>"})
_VOICELESS = frozenset({"P", "T", "K", "F", "TH", "HH"})
_SIBILANTS = frozenset({"S", "Z", "SH", "ZH", "CH", "JH"})
_POSSESSIVE = re.compile(r"^([a-z]+)'s$")
_HAS_LETTER = re.compile(r"[a-z]")
MIN_PHONES = 4
_MAX_SEGMENT_CHARS = 64
# All-capital tokens up to this length are spelled ("US", "IT", "AI"); longer ones use CMUdict, which
# holds both words ("NASA", "BAN") and spelled acronyms ("IBM", "HTML"), and are spelled when absent.
_ALWAYS_SPELLED_LEN = 2


@dataclass
class EnResult:
    """Output of the English front-end.

    Args:
        norm_text: the normalised text the phones were made from.
        phones: v2 phone symbols (ARPAbet with stress, punctuation, possibly "UNK").
    """

    norm_text: str
    phones: list[str] = field(default_factory=list)


@functools.lru_cache(maxsize=1)
def symbols_v2() -> frozenset[str]:
    """The GPT-SoVITS v2 phone symbol table (732 entries)."""
    data = resources.files("gpt_sovits.text").joinpath("data", "symbols_v2.json").read_text("utf-8")
    return frozenset(json.loads(data)["symbols"])


@functools.lru_cache(maxsize=1)
def _segmenter() -> Segmenter:
    segmenter = Segmenter()
    segmenter.load()
    return segmenter


@functools.lru_cache(maxsize=8192)
def _segment(word: str) -> tuple[str, ...]:
    """Compound splitting; absurdly long "words" are cut first (wordsegment recurses per character)."""
    pieces = [word[i : i + _MAX_SEGMENT_CHARS] for i in range(0, len(word), _MAX_SEGMENT_CHARS)]
    return tuple(part for piece in pieces for part in _segmenter().segment(piece))


def _letter(char: str) -> list[str]:
    """Spell one character: "a" is read "EY1", other letters by CMUdict, anything else kept as is."""
    if char == "a":
        return ["EY1"]
    if not char.isalpha():
        return [char]
    return _single_letter(char)


def _single_letter(char: str) -> list[str]:
    """A one-letter token: its CMUdict entry ("a" -> "AH0"); the caller handles capital "A"."""
    return list(cmu_lexicon().get(char) or predict_oov(char))


def _possessive(stem_phones: list[str]) -> list[str]:
    """Add the 's ending: S after voiceless consonants, AH0 Z after sibilants, Z otherwise."""
    if stem_phones and stem_phones[-1] in _VOICELESS:
        return stem_phones + ["S"]
    if stem_phones and stem_phones[-1] in _SIBILANTS:
        return stem_phones + ["AH0", "Z"]
    return stem_phones + ["Z"]


def lookup_word(word: str) -> list[str]:
    """Phones of one word token without POS context (the original's ``qryword``)."""
    lower = word.lower()
    lexicon = cmu_lexicon()
    if len(lower) > 1 and lower in lexicon:
        return list(lexicon[lower])
    if len(lower) <= 3:
        return [p for c in lower for p in _letter(c)]
    possessive = _POSSESSIVE.match(lower)
    if possessive:
        return _possessive(lookup_word(possessive[1]))
    parts = _segment(lower)
    if len(parts) <= 1:
        return list(predict_oov(lower))
    return [p for part in parts for p in lookup_word(part)]


def _token_phones(token: str, tag: str) -> list[str]:
    """Phones of one token given its POS tag (the original ``en_G2p.__call__`` loop body)."""
    word = token.lower()
    if _HAS_LETTER.search(word) is None:
        return [word]
    if len(word) == 1:
        return ["EY1"] if token == "A" else _single_letter(word)
    homograph = homographs().get(word)
    if homograph is not None:
        pron1, pron2, pos1 = homograph
        if tag.startswith(pos1) or (len(tag) < len(pos1) and pos1.startswith(tag)):
            return list(pron1)
        return list(pron2)
    return lookup_word(token)


def _studio_token(token: str, tag: str, shouting: bool) -> list[str]:
    """Default-style reading of one token: acronyms, camelCase, hyphens, stray apostrophes."""
    word = token.lower()
    if token == "'":
        return []  # a plural possessive "cats'" needs no extra phone
    if len(token) > 1 and token.isupper() and token.isalpha() and not shouting:
        if len(token) > _ALWAYS_SPELLED_LEN and word in cmu_lexicon():
            return list(cmu_lexicon()[word])  # "NASA" as a word, "HTML" as CMUdict spells it
        return [p for c in token for p in (["EY1"] if c == "A" else _letter(c.lower()))]
    if word in cmu_lexicon() or len(word) == 1 or word in homographs():
        return _token_phones(token, tag)
    if "-" in word and _HAS_LETTER.search(word):
        return [p for part in word.split("-") if part for p in _studio_token(part, tag, shouting)]
    camel = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", token)
    if len(camel) > 1 and "".join(camel) == token:
        return [p for part in camel for p in _studio_token(part, tag, shouting)]
    return _token_phones(token, tag)


def _clean(phones: list[str]) -> list[str]:
    """Map g2p_en leftovers and keep only v2 symbols ("<unk>" -> "UNK", "'" -> "-")."""
    symbols = symbols_v2()
    out = []
    for phone in phones:
        if phone in _DROPPED:
            continue
        phone = {"<unk>": "UNK", "'": "-"}.get(phone, phone)
        if phone in symbols:
            out.append(phone)
    return out


def g2p_en(text: str, *, faithful: bool = False, tagger: Tagger | None = None) -> EnResult:
    """English text to GPT-SoVITS v2 phones (the original ``clean_text(text, "en", "v2")``).

    Args:
        text: any Unicode string (non-English characters are dropped by normalisation).
        faithful: reproduce the original front-end exactly, quirks included.
        tagger: POS tagger for homographs; defaults to the rule-based ``pos.heuristic_tags``.
    Returns:
        EnResult with the normalised text and phones, all from ``symbols_v2.json``; inputs with fewer
        than 4 phones get a leading "," like the original.
    """
    norm_text = normalize_en(text, faithful=faithful)
    tokens = tokenize(norm_text)
    tags = (tagger or heuristic_tags)(tokens)
    letters = [c for c in norm_text if c.isalpha()]
    shouting = not faithful and len(letters) >= 8 and all(c.isupper() for c in letters)
    phones: list[str] = []
    for token, tag in zip(tokens, tags, strict=True):
        if shouting:
            token = token.lower()
        if faithful:
            phones.extend(_token_phones(token, tag))
        else:
            phones.extend(_studio_token(token, tag, shouting))
    phones = _clean(phones)
    if len(phones) < MIN_PHONES:
        phones = [",", *phones]
    return EnResult(norm_text=norm_text, phones=phones)
