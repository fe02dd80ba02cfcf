"""Developer tools that measure voice-cloning quality (``python -m gpt_sovits eval-clone``).

Modules: ``metrics`` (normalisation, edit distance, WER/CER), ``speaker`` (resemblyzer
similarity), ``dnsmos`` (speechmos), ``cloning`` (fine-tuned or zero-shot voice), ``report``
(per-text scores and aggregate) and ``clone`` (:func:`eval_clone`). The scorers' packages are
in ``requirements-dev.txt``, not in the studio's runtime requirements.
"""

from __future__ import annotations

from gpt_sovits.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "EvalCloneConfig": "gpt_sovits.evaluation.clone",
    "eval_clone": "gpt_sovits.evaluation.clone",
    "read_texts": "gpt_sovits.evaluation.clone",
    "EvalReport": "gpt_sovits.evaluation.report",
    "EvalInputError": "gpt_sovits.evaluation.cloning",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports("gpt_sovits.evaluation", _EXPORTS)
