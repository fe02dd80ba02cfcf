"""The starter's decoder starts as Piper joe's: same audio as the voice's own ONNX decoder."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gpt_sovits.models.s2.hifigan import Generator
from gpt_sovits.pretrain.config import PretrainConfig
from gpt_sovits.pretrain.warmstart import load_decoder_weights, piper_voice_path, read_onnx_decoder

onnx = pytest.importorskip("onnx")  # requirements-dev.txt installs it
ort = pytest.importorskip("onnxruntime")

@pytest.fixture(scope="module")
def piper_decoder(tmp_path_factory):
    """Piper's decoder cut out of the voice's ONNX graph, and the name of its input."""
    from onnx import utils

    path = str(piper_voice_path())
    graph = onnx.load(path).graph
    node = next(n for n in graph.node if n.input[1:2] == ["dec.conv_pre.weight"])
    out = tmp_path_factory.mktemp("piper") / "dec.onnx"
    utils.extract_model(path, str(out), [node.input[0]], [graph.output[0].name])
    return ort.InferenceSession(str(out)), node.input[0]

def test_warm_started_decoder_sounds_exactly_like_piper(piper_decoder):
    from gpt_sovits.models.s2.model import build_decoder

    cfg = PretrainConfig.preset("starter").s2_config()
    dec = build_decoder(cfg)
    missing = load_decoder_weights(dec, read_onnx_decoder(piper_voice_path()))
    assert missing == []
    session, name = piper_decoder
    z = torch.randn(1, cfg.inter_channels, 40, generator=torch.Generator().manual_seed(0)) * 0.8
    expected = session.run(None, {name: z.numpy()})[0].reshape(-1)
    with torch.no_grad():
        # the plain generator path (no rate bridge) is Piper's decoder itself
        ours = Generator.forward(dec, z, torch.randn(1, cfg.gin_channels, 1)).reshape(-1).numpy()
    assert ours.shape == expected.shape
    assert np.max(np.abs(ours - expected)) < 1e-5  # cond starts at zero: the timbre adds nothing yet

def test_a_decoder_of_another_shape_is_refused():
    dec = Generator(192, (3, 7, 11), ((1, 3, 5),) * 3, (8, 8, 4), 512, (16, 16, 8), gin_channels=0)
    with pytest.raises(ValueError, match="does not fit|has no layer"):
        load_decoder_weights(dec, read_onnx_decoder(piper_voice_path()))
