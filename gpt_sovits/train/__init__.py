"""Fine-tuning (DESIGN §3-4): S2 then S1 on a project's labelled slices, then a voice export.

Public API (import from the submodules; importing this package does no work):

- :func:`gpt_sovits.train.run.finetune` ``(project, TrainConfig, on_event=None, stop=None,
  resume=False, *, pretrained_root=None) -> TrainResult``; ``finetune_s2`` / ``finetune_s1`` run
  one stage of a run.
- :class:`gpt_sovits.train.config.TrainConfig` with ``TrainConfig.preset("starter" | "gsv-v2" | "tiny")``.
- Events (:mod:`gpt_sovits.train.events`): ``StepEvent``, ``ValidationEvent``, ``SampleEvent``,
  ``CheckpointEvent``, ``InfoEvent``, ``DoneEvent``; also written to ``runs/<id>/metrics.jsonl``.
- ``stop``: any object with ``is_set()`` (a ``threading.Event``) cancels at the next step with a
  checkpoint; ``resume=True`` continues the newest unfinished run exactly.

Modules: config, dataset (items, batches, collation), loop (shared epoch/step loop),
s2_trainer, s1_trainer, checkpoints, events, samples (previews), export (voice folder),
prepare (profile, features, split), stages (model loading), run (orchestration and locks).
"""
