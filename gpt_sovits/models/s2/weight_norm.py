"""Weight-normalised convolutions whose state-dict keys match the original (legacy) layout.

The original uses ``torch.nn.utils.weight_norm``: the weight is stored as ``weight_g`` (per-slice
norm, shape ``[dim0, 1, ...]``) and ``weight_v`` (direction), with ``weight = g * v / ||v||``, the
norm taken over every dimension except 0. For ``ConvTranspose1d`` dimension 0 is the *input*
channel, so ``weight_g`` is ``[C_in, 1, 1]``. Our layers hold exactly these parameters (in the same
registration order: ``bias``, ``weight_g``, ``weight_v``) and compose the weight in ``forward``.

``fold()`` replaces ``weight_g``/``weight_v`` by a plain ``weight`` for fast inference; the output
is unchanged. Use :func:`fold_weight_norm` to fold every such layer of a model.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def compose_weight(g: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``g * v / ||v||`` with the norm over all dimensions except 0."""
    dims = tuple(range(1, v.dim()))
    return v * (g / torch.linalg.vector_norm(v, dim=dims, keepdim=True))


class WeightNormMixin:
    """Turns the ``weight`` parameter of a conv layer into ``weight_g`` / ``weight_v``."""

    _parameters: dict[str, nn.Parameter | None]

    def _split_weight(self) -> None:
        weight = self._parameters.pop("weight")
        assert weight is not None
        dims = tuple(range(1, weight.dim()))
        g = torch.linalg.vector_norm(weight.detach(), dim=dims, keepdim=True)
        self.register_parameter("weight_g", nn.Parameter(g.clone()))  # type: ignore[attr-defined]
        self.register_parameter("weight_v", nn.Parameter(weight.detach().clone()))  # type: ignore[attr-defined]

    @property
    def is_folded(self) -> bool:
        return "weight_g" not in self._parameters

    def current_weight(self) -> torch.Tensor:
        """The effective convolution weight (composed from g and v unless folded)."""
        params = self._parameters
        if "weight_g" in params:
            return compose_weight(params["weight_g"], params["weight_v"])  # type: ignore[arg-type]
        return params["weight"]  # type: ignore[return-value]

    def fold(self) -> None:
        """Replace ``weight_g``/``weight_v`` by a plain ``weight`` (same outputs, faster)."""
        if self.is_folded:
            return
        with torch.no_grad():
            weight = self.current_weight().detach().clone()
        del self._parameters["weight_g"], self._parameters["weight_v"]
        self.register_parameter("weight", nn.Parameter(weight))  # type: ignore[attr-defined]


class WNConv1d(WeightNormMixin, nn.Conv1d):
    """``nn.Conv1d`` with legacy weight-norm parameters ``weight_g``/``weight_v``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._split_weight()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.current_weight(), self.bias)


class WNConv2d(WeightNormMixin, nn.Conv2d):
    """``nn.Conv2d`` with legacy weight-norm parameters ``weight_g``/``weight_v``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._split_weight()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.current_weight(), self.bias)


class WNConvTranspose1d(WeightNormMixin, nn.ConvTranspose1d):
    """``nn.ConvTranspose1d`` with legacy weight-norm parameters (``weight_g`` is ``[C_in,1,1]``)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._split_weight()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv_transpose1d(
            x, self.current_weight(), self.bias, self.stride, self.padding,
            self.output_padding, self.groups, self.dilation,
        )


def fold_weight_norm(module: nn.Module) -> int:
    """Fold every weight-normalised layer inside ``module``; returns how many were folded."""
    count = 0
    for sub in module.modules():
        if isinstance(sub, WeightNormMixin) and not sub.is_folded:
            sub.fold()
            count += 1
    return count
