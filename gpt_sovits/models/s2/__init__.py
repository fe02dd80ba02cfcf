"""S2 ("SoVITS") network of GPT-SoVITS v2: semantic tokens + phones + reference timbre → 32 kHz audio.

Public entry points: :class:`S2Config` / ``S2_PRESETS`` (config), :class:`SynthesizerTrn`
(generator: ``forward`` for training, ``extract_latent`` / ``ref_timbre`` / ``decode`` for
inference), :class:`MultiPeriodDiscriminator` and the functions in :mod:`.losses`.
"""

from gpt_sovits.models.s2.config import S2_PRESETS, S2Config
from gpt_sovits.models.s2.discriminators import MultiPeriodDiscriminator
from gpt_sovits.models.s2.model import S2DecodeResult, S2TrainOutput, SynthesizerTrn

__all__ = [
    "S2Config", "S2_PRESETS", "SynthesizerTrn", "S2DecodeResult", "S2TrainOutput",
    "MultiPeriodDiscriminator",
]
