"""Pretraining the offline ``starter`` base from scratch on the corpus built by :mod:`gpt_sovits.corpus`.

``pretrain(corpus, out, config, hours_budget, resume)`` (:mod:`.driver`): Whisper-base content
features, k-means codebook init (:mod:`.codebook`), interleaved S2 / S1 rounds with the fine-tuning
trainers of :mod:`gpt_sovits.train` (exact resume from their checkpoints), metrics.jsonl, and a
candidate ``starter`` profile exported after every round (:mod:`.export`).
"""
