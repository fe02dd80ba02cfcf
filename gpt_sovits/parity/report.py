"""Result records shared by all parity checks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class CheckResult:
    """One comparison: ``max_error`` against ``tolerance`` (``kind`` is "abs", "rel" or "exact")."""

    name: str
    max_error: float
    tolerance: float
    kind: str
    passed: bool
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare(name: str, ours: Any, ref: Any, tolerance: float, kind: str = "abs", note: str = "") -> CheckResult:
    """Compare two tensors (or int sequences). ``exact`` requires equal shapes and values."""
    import torch

    a = torch.as_tensor(ours).detach().cpu()
    b = torch.as_tensor(ref).detach().cpu()
    if a.shape != b.shape:
        return CheckResult(name, float("inf"), tolerance, kind, False,
                           f"shape {tuple(a.shape)} != reference {tuple(b.shape)}. {note}".strip())
    if a.numel() == 0:
        return CheckResult(name, 0.0, tolerance, kind, True, note)
    if kind == "exact":
        err = float((a != b).sum())
        return CheckResult(name, err, 0.0, kind, err == 0, note)
    diff = (a.double() - b.double()).abs()
    if kind == "rel":
        diff = diff / (b.double().abs() + 1.0)  # relative with an absolute floor for tiny values
    err = float(diff.max())
    return CheckResult(name, err, tolerance, kind, err <= tolerance, note)
