"""Word tokenisation equivalent to NLTK's ``TweetTokenizer`` on normalised English text.

The original front-end tokenises with ``nltk.tokenize.TweetTokenizer().tokenize``. After
normalisation text only holds ASCII letters, spaces and ``' . , ? ! -``, where only these of its
rules can fire (same order): bare domain names ("five.seven" stays one token), words with inner
apostrophes or hyphens ("state-of-the-art", "isn't"), plain words, ellipses, single other characters.
Runs of four or more identical non-alphanumeric characters are first cut to three, as in NLTK.
"""

from __future__ import annotations

import re

_HANG = re.compile(r"([^\w]|_)\1{3,}")
_TOKEN = re.compile(
    r"""
    (?<!@)[a-z0-9]+(?:[.\-][a-z0-9]+){0,126}[.][a-z]{2,13}\b/?(?!@)   # bare domain name
    | [^\W\d_](?:[^\W\d_]|['\-_])+[^\W\d_]                            # words with ' or -
    | [\w_]+                                                          # plain words
    | \.(?:[^\S\r\n]*\.)+                                             # ellipsis
    | \S                                                              # anything else
    """,
    re.VERBOSE | re.IGNORECASE,
)


def tokenize(text: str) -> list[str]:
    """Split normalised text into word and punctuation tokens."""
    return _TOKEN.findall(_HANG.sub(r"\1\1\1", text))
