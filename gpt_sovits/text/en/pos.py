"""Part-of-speech tags for homograph disambiguation, without NLTK's downloadable tagger.

Only words in g2p_en's homograph table use the tag, and only through its prefix ("V", "VBP", "VBD",
"N", "JJ"...), so a small rule-based tagger is enough:

- after "to", a modal, a pronoun subject or "please"/"let's", or at the start of a command, the word is
  a verb ("VB"; "VBD" if the sentence has a past-time marker such as "yesterday" or "ago");
- after a determiner, possessive or adjective-like word ("the", "a", "my", "this"...), it is a noun.

``all_nouns`` tags every token "NN": that is the condition under which the parity fixtures were
recorded (their generator replaced ``nltk.pos_tag`` by it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

Tagger = Callable[[Sequence[str]], list[str]]

_MODALS = frozenset(
    "to will would shall should can could may might must do does did don't doesn't "
    "didn't won't wouldn't can't cannot couldn't shouldn't".split()
)
_SUBJECTS = frozenset("i you we they he she it who people".split())
_IMPERATIVE_CUES = frozenset("please let's lets".split())
_NOUN_CUES = frozenset(
    "the a an this that these those my your his her its our their every each some any no another".split()
)
_PAST_CUES = frozenset("yesterday ago last already had was were been".split())
_THIRD_PERSON = frozenset("he she it".split())


def all_nouns(tokens: Sequence[str]) -> list[str]:
    """Tag everything "NN" (the parity fixtures' recording condition)."""
    return ["NN"] * len(tokens)


def _verb_tag(words: Sequence[str], index: int) -> str:
    previous = words[index - 1] if index else ""
    if previous in _MODALS:
        return "VB"
    if any(w in _PAST_CUES for w in words):
        return "VBD"
    return "VBZ" if previous in _THIRD_PERSON else "VBP"


def heuristic_tags(tokens: Sequence[str]) -> list[str]:
    """Rule-based tags: "VB*" where the context calls for a verb, "NN" otherwise."""
    words = [t.lower() for t in tokens]
    tags = []
    for i in range(len(words)):
        previous = words[i - 1] if i else ""
        sentence_start = i == 0 or previous in {".", "!", "?", ","}
        if previous in _NOUN_CUES:
            tags.append("NN")
        elif previous in _MODALS or previous in _SUBJECTS or previous in _IMPERATIVE_CUES:
            tags.append(_verb_tag(words, i))
        elif sentence_start and i + 1 < len(words) and words[i + 1] in _NOUN_CUES:
            tags.append("VB")  # imperative: "Record the meeting."
        else:
            tags.append("NN")
    return tags
