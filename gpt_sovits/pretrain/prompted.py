"""S1 after a prompt: how well it predicts a validation target that follows a reference utterance.

Synthesis feeds S1 *reference phones + target phones* and the reference's tokens, and S1 goes on
from there. On the starter run, S1 read a target worse after a prompt than alone, even
teacher-forced, and mostly over the target's first ~40 tokens, where it has to find where the
target text starts (MODEL_CARD.md, sessions 10-11). ``ce_prompted`` puts that gap in every S1
validation: the per-token CE of each validation target (and its end) after a training utterance of
the same voice, to be read beside the plain validation ``ce`` of the same targets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
import torch.nn.functional as F

from gpt_sovits.pretrain.pairs import PairedItem, speaker_of


def voice_prompts(train: Sequence, wanted: Sequence) -> dict[str, object]:
    """For each voice of ``wanted``, its first ``train`` utterance of 2-8 s (any, if none is) that
    is not itself one of ``wanted``; voices without one are left out."""
    exclude = {item.slice_id for item in wanted}
    voices = {speaker_of(item.slice_id) for item in wanted}
    return _prompts(item for item in train if item.slice_id not in exclude and speaker_of(item.slice_id) in voices)


def prompt_per_voice(train: Sequence) -> list:
    """One prompt per voice of ``train`` (its first 2-8 s utterance, any if none is), in voice
    order: the prompts the prompted reading score cycles through."""
    chosen = _prompts(train)
    return [chosen[voice] for voice in sorted(chosen)]


def _prompts(candidates: Iterable) -> dict[str, object]:
    """Voice → its first candidate of 2-8 s, else its first candidate."""
    chosen: dict[str, object] = {}
    for item in candidates:
        voice = speaker_of(item.slice_id)
        if voice not in chosen or (_fits(item) and not _fits(chosen[voice])):
            chosen[voice] = item
    return chosen


def _fits(item) -> bool:
    return 100 <= item.frames <= 400  # 2-8 s at 50 Hz


@torch.no_grad()
def prompted_ce(model: torch.nn.Module, targets: Sequence, prompts: dict[str, object]) -> float | None:
    """Per-token CE (the end token included) of each target's tokens when ``model`` (an S1 in eval
    mode) reads them after its voice's prompt, as synthesis lays them out; None when no target has
    a prompt."""
    total, count = 0.0, 0
    for item in targets:
        prompt = prompts.get(speaker_of(item.slice_id))
        if prompt is None:
            continue
        pair = PairedItem(prompt, item)  # the layout synthesis and the paired training items use
        phones, tokens = pair.phone_ids, pair.semantic.long()
        pointer = {}
        if getattr(model.config, "phone_pointer", False):
            from gpt_sovits.models.s1.pointer import collate_pointer

            pointer["pointer"] = collate_pointer([pair.alignment], len(tokens))[0]
        logits = model(phones[None], torch.tensor([len(phones)]), pair.bert[None], tokens[None],
                       torch.tensor([len(tokens)]), **pointer)[0]  # [y1 + y2 + 1, V (+ advance)]
        rows = logits[pair.prompt_tokens:, : model.config.eos + 1].float()  # the target's tokens and its end
        wanted = torch.cat([item.semantic.long(), torch.tensor([model.config.eos])])
        total += float(F.cross_entropy(rows, wanted, reduction="sum"))
        count += len(wanted)
    return total / count if count else None
