"""S1 parity: reproduce ``s1_io.pt`` from ``s1.ckpt`` (layout: /work/shared/parity/README.md §1-2).

Works for any folder with that layout: the model is built from the checkpoint's own config.
Integers must match exactly, logits within 1e-4, summed losses within a relative 1e-5.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from gpt_sovits.parity.report import CheckResult, compare

LOGITS_TOL = 1e-4
LOSS_REL_TOL = 1e-5
ACC_TOL = 1e-6


def check_s1(folder: Path) -> list[CheckResult]:
    """Run every S1 check defined by ``folder/s1.ckpt`` + ``folder/s1_io.pt``."""
    from gpt_sovits.checkpoint.s1 import load_s1_model
    from gpt_sovits.errors import CheckpointError

    folder = Path(folder)
    model = load_s1_model(folder / "s1.ckpt")
    io_path = folder / "s1_io.pt"
    if not io_path.is_file():
        raise CheckpointError(f"{io_path}: reference outputs not found; is {folder} a parity fixture folder?")
    ref = torch.load(io_path, map_location="cpu", weights_only=True)
    results: list[CheckResult] = []
    for name, case in ref.get("infer", {}).items():
        if "batch_infer" in case.get("function", name):
            results += _check_batch_case(model, name, case, ref["inputs"])
        else:
            results += _check_naive_case(model, name, case, ref["inputs"])
    if "first_step_logits" in ref:
        results.append(_check_first_step(model, ref))
    for name, case in ref.get("teacher_forced", {}).items():
        results += _check_teacher_forced(model, name, case)
    return results


def _options(kwargs: dict[str, Any]):
    from gpt_sovits.models.s1.generate import DecodeOptions

    return DecodeOptions(
        top_k=kwargs.get("top_k", 15),
        top_p=kwargs.get("top_p", 1.0),
        temperature=kwargs.get("temperature", 1.0),
        repetition_penalty=kwargs.get("repetition_penalty", 1.35),
        early_stop_num=kwargs.get("early_stop_num", -1),
    )


def _case_inputs(case: dict[str, Any], main: dict[str, Any]) -> dict[str, Any]:
    return case["inputs"] if isinstance(case.get("inputs"), dict) else main


def _check_naive_case(model, name: str, case: dict, main: dict) -> list[CheckResult]:
    from gpt_sovits.models.s1.generate import generate

    inputs = _case_inputs(case, main)
    result = generate(
        model, inputs["all_phoneme_ids"], inputs["bert"], inputs["prompt"],
        options=_options(case["kwargs"]), generator=torch.Generator().manual_seed(0), return_logits=True,
    )
    prefix = f"s1.infer.{name}"
    y = torch.cat([inputs["prompt"][0], result.tokens])
    checks = [
        compare(f"{prefix}.generated", result.tokens, case["generated"], 0, "exact"),
        compare(f"{prefix}.y", y, case["y"][0], 0, "exact"),
        compare(f"{prefix}.idx", result.idx, case["idx"], 0, "exact"),
        compare(f"{prefix}.eos", int(result.eos), int(case["eos"]), 0, "exact"),
        compare(f"{prefix}.step_logits_raw", result.step_logits, case["step_logits_raw"], LOGITS_TOL),
    ]
    if "webui_pred_semantic" in case:
        checks.append(compare(f"{prefix}.webui_pred_semantic", result.semantic, case["webui_pred_semantic"][0], 0,
                              "exact", note="tokens[-idx:] as the classic UI passes them to S2"))
    return checks


def _batch_inputs(case: dict, main: dict) -> tuple[list, list, torch.Tensor]:
    phones, bert, prompts = [main["all_phoneme_ids"][0]], [main["bert"][0]], main["prompt"]
    if "x2" in case:  # second item: same prompt, other target phones
        phones.append(case["x2"])
        bert.append(case["bert2"])
        prompts = prompts.repeat(2, 1)
    return phones, bert, prompts


def _check_batch_case(model, name: str, case: dict, main: dict) -> list[CheckResult]:
    from gpt_sovits.models.s1.batch_generate import generate_batch

    phones, bert, prompts = _batch_inputs(case, main)
    results = generate_batch(
        model, phones, bert, prompts, options=_options(case["kwargs"]),
        generator=torch.Generator().manual_seed(0), return_logits=True,
    )
    prefix = f"s1.infer.{name}"
    checks = []
    for i, (result, ref_y, ref_idx) in enumerate(zip(results, case["y_list"], case["idx_list"], strict=False)):
        y = torch.cat([prompts[i], result.tokens])
        checks.append(compare(f"{prefix}[{i}].y", y, ref_y, 0, "exact", note="prompt + tokens, last token dropped"))
        checks.append(compare(f"{prefix}[{i}].idx", result.idx, ref_idx, 0, "exact"))
    ref_steps = case["step_logits_raw"]
    ours_steps = [
        torch.stack([r.step_logits[s] for r in results if r.step_logits.shape[0] > s])
        for s in range(max(r.step_logits.shape[0] for r in results))
    ]
    if len(ours_steps) != len(ref_steps):
        checks.append(CheckResult(f"{prefix}.step_logits_raw", float("inf"), LOGITS_TOL, "abs", False,
                                  f"{len(ours_steps)} steps != reference {len(ref_steps)}"))
    else:
        worst = max((compare("", o, r, LOGITS_TOL) for o, r in zip(ours_steps, ref_steps, strict=True)),
                    key=lambda c: c.max_error)
        checks.append(CheckResult(f"{prefix}.step_logits_raw", worst.max_error, LOGITS_TOL, "abs", worst.passed,
                                  f"{len(ref_steps)} steps, active rows only {worst.note}".strip()))
    return checks


def _check_first_step(model, ref: dict) -> CheckResult:
    from gpt_sovits.models.s1.generate import DecodeOptions, generate

    inputs = ref["inputs"]
    result = generate(model, inputs["all_phoneme_ids"], inputs["bert"], inputs["prompt"],
                      options=DecodeOptions(top_k=1, max_new_tokens=1), return_logits=True)
    return compare("s1.first_step_logits", result.step_logits[0], ref["first_step_logits"], LOGITS_TOL)


def _check_teacher_forced(model, name: str, case: dict) -> list[CheckResult]:
    from gpt_sovits.models.s1.loss import make_targets, s1_loss, top_k_accuracy

    with torch.inference_mode():
        logits = model(case["x"], case["x_lens"], case["bert_feature"], case["y"], case["y_lens"])
    targets = make_targets(case["y"], case["y_lens"], model.config.eos)
    prefix = f"s1.teacher_forced.{name}"
    x_lens, y_lens = case["x_lens"], case["y_lens"]
    full = (x_lens == x_lens.max()) & (y_lens == y_lens.max())
    if bool(full.all()):
        checks = [compare(f"{prefix}.logits", logits, case["logits"], LOGITS_TOL)]
        if "targets" in case:
            checks.append(compare(f"{prefix}.targets", targets, case["targets"], 0, "exact"))
        checks.append(compare(f"{prefix}.loss_sum", s1_loss(logits, targets), case["loss_sum"], LOSS_REL_TOL, "rel"))
        acc = top_k_accuracy(logits, targets, model.config.eos)
        checks.append(compare(f"{prefix}.acc_top3", acc, case["acc_top3"], ACC_TOL))
        return checks
    items = torch.nonzero(full).flatten()
    note = (f"padded batch: only item(s) {items.tolist()} (longest text and semantic, unaffected by padding) "
            "compared; the original masks right-padded text as if padded on the left, we do not replicate "
            "that, so padded items, loss_sum and acc_top3 differ by design")
    return [compare(f"{prefix}.logits_unpadded_items", logits[items], case["logits"][items], LOGITS_TOL, note=note)]
