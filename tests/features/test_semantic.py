"""Semantic tokens through the S2's ssl_proj + quantizer."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch
from torch import nn

from gpt_sovits.errors import CheckpointError
from gpt_sovits.features.semantic import extract_semantic

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HAS_S2 = importlib.util.find_spec("gpt_sovits.models.s2.model") is not None


class _StandIn(nn.Module):
    """The documented contract: Conv1d k=2 s=2, then the nearest of ``codebook`` entries."""

    def __init__(self, dim: int, size: int, layout: str) -> None:
        super().__init__()
        self.ssl_proj = nn.Conv1d(dim, dim, 2, stride=2)
        self.codebook = nn.Parameter(torch.randn(size, dim))
        self.layout = layout

    def extract_latent(self, ssl: torch.Tensor) -> torch.Tensor:
        x = self.ssl_proj(ssl).transpose(1, 2)  # [b, t25, d]
        ids = torch.cdist(x, self.codebook[None].expand(x.shape[0], -1, -1)).argmin(-1)  # [b, t25]
        return ids[:, None] if self.layout == "bqt" else ids[None]


@pytest.mark.parametrize("layout", ["bqt", "qbt"])
def test_tokens_at_25hz_from_both_code_layouts(layout: str) -> None:
    torch.manual_seed(0)
    model = _StandIn(512, 64, layout).eval()
    feats = torch.randn(1, 512, 101)
    tokens = extract_semantic(model, feats)
    assert tokens.dtype == torch.long and tokens.shape == (50,)
    assert torch.equal(tokens, extract_semantic(model, feats[0]))  # [c, t] accepted too
    assert int(tokens.min()) >= 0 and int(tokens.max()) < 64


def test_features_of_another_encoder_are_refused() -> None:
    model = _StandIn(768, 16, "bqt")
    with pytest.raises(CheckpointError, match="another profile's encoder"):
        extract_semantic(model, torch.randn(1, 512, 20))
    with pytest.raises(ValueError):
        extract_semantic(model, torch.randn(2, 768, 20))


@pytest.mark.skipif(not HAS_S2, reason="S2 network (gpt_sovits.models.s2.model) not there yet")
def test_matches_the_original_on_the_parity_fixture() -> None:
    from gpt_sovits.features.semantic import load_latent_model

    model = load_latent_model(FIXTURES / "s2G.pth")
    io = torch.load(FIXTURES / "s2_io.pt", weights_only=True)["extract_latent"]
    tokens = extract_semantic(model, io["ssl"])
    assert torch.equal(tokens, io["codes"][0, 0].long())


def test_missing_s2_file_is_a_checkpoint_error(tmp_path: Path) -> None:
    if not HAS_S2:
        pytest.skip("S2 network not there yet")
    from gpt_sovits.features.semantic import load_latent_model

    with pytest.raises(CheckpointError):
        load_latent_model(tmp_path / "nope.pth")


def test_reference_prompt_tokens_use_the_training_mix_and_trailing_silence() -> None:
    import numpy as np

    from gpt_sovits.features.content import content_frames, content_input, prepare_wav32k
    from gpt_sovits.features.semantic import PROMPT_TRAILING_SILENCE_16K, reference_semantic

    seen: list[np.ndarray] = []

    class Recorder:
        name, dim = "rec", 512

        def encode(self, wav16k: np.ndarray) -> torch.Tensor:
            seen.append(wav16k)
            return torch.randn(1, 512, content_frames(wav16k.shape[0]), generator=torch.Generator().manual_seed(0))

    wav = (0.2 * np.sin(np.arange(96000) / 10)).astype(np.float32)  # 3 s
    tokens = reference_semantic(wav, Recorder(), _StandIn(512, 8, "bqt"))
    assert seen[0].shape == (48000 + PROMPT_TRAILING_SILENCE_16K,)
    np.testing.assert_array_equal(seen[0][:48000], content_input(prepare_wav32k(wav)))
    assert not seen[0][48000:].any()
    assert tokens.shape == ((48000 + PROMPT_TRAILING_SILENCE_16K) // 320 // 2,)
