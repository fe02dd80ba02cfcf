"""English front-end: normalisation, CMUdict + neural G2P, GPT-SoVITS v2 ARPAbet phones.

Entry point: :func:`gpt_sovits.text.en.g2p.g2p_en`. Importing this package loads nothing; the
lexicon, the word-segmentation counts and the neural model load on first use.
"""
