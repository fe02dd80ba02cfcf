"""DNSMOS P.835 (Microsoft's no-reference speech quality estimate) through ``speechmos``.

``speechmos`` (a developer tool, ``requirements-dev.txt``) bundles the ONNX models in its wheel
(``speechmos/dnsmos_models/``) and runs them with onnxruntime: nothing is downloaded. Scores
are on a 1 (bad) .. 5 (excellent) scale: ``ovrl`` overall quality, ``sig`` speech signal,
``bak`` background noise, ``p808`` the ITU-T P.808 overall estimate. Clips shorter than the
model's 9 s window are repeated to fill it (speechmos' rule).

Sessions run single-threaded so that scoring does not compete with training on a small CPU.

Shapes: t = samples.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

DNSMOS_SR = 16000


@dataclass(frozen=True)
class DnsmosScore:
    """DNSMOS P.835 scores of one clip (1..5)."""

    ovrl: float
    sig: float
    bak: float
    p808: float

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


def dnsmos_unavailable() -> str | None:
    """Why DNSMOS cannot run here (None when it can)."""
    try:
        import onnxruntime  # noqa: F401
        from speechmos import dnsmos  # noqa: F401
    except ImportError as exc:
        return (f"DNSMOS skipped: {exc.name or 'speechmos'} is not installed "
                "(pip install -r requirements-dev.txt installs speechmos and onnxruntime)")
    return None


def _session(path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class DnsmosScorer:
    """Loads the bundled DNSMOS models on first use and scores mono audio at any rate."""

    def __init__(self) -> None:
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            from speechmos import dnsmos

            folder = Path(dnsmos.__file__).parent / "dnsmos_models"
            # speechmos' DNSMOS class holds the feature code and the score calibration; only its
            # sessions are replaced by single-threaded ones (attribute names of speechmos 0.0.1.x).
            model = dnsmos.DNSMOS.__new__(dnsmos.DNSMOS)
            model.primary_model_path = str(folder / "sig_bak_ovr.onnx")
            model.onnx_sess = _session(folder / "sig_bak_ovr.onnx")
            model.p808_onnx_sess = _session(folder / "model_v8.onnx")
            self._model = model
        return self._model

    def score(self, audio: np.ndarray, sr: int) -> DnsmosScore | None:
        """DNSMOS of mono audio [t]; None for empty or silent audio."""
        from gpt_sovits.audio.resample import resample

        audio16 = np.clip(resample(np.asarray(audio, dtype=np.float32), sr, DNSMOS_SR), -1.0, 1.0)  # [t']
        if audio16.size == 0 or float(np.abs(audio16).max()) <= 1e-6:
            return None
        result = self._load()(audio16, DNSMOS_SR, False)
        return DnsmosScore(ovrl=float(result["ovrl_mos"]), sig=float(result["sig_mos"]),
                           bak=float(result["bak_mos"]), p808=float(result["p808_mos"]))
