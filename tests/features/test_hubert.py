"""HuBERT content encoder on a tiny random model saved in transformers format."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from gpt_sovits.errors import CheckpointError, ModelMissingError
from gpt_sovits.features.content import ContentEncoder, build_content_encoder, content_frames
from gpt_sovits.features.hubert import INPUT_SCALE, HubertEncoder


def _tiny_config():  # noqa: ANN202
    from transformers import HubertConfig

    # conv strides 5*2^6 = 320 and kernels (10,3,3,3,3,2,2) as in hubert-base: 50 Hz at 16 kHz
    return HubertConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
    )


@pytest.fixture(scope="module")
def tiny_hubert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import HubertModel

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("hubert")
    HubertModel(_tiny_config()).save_pretrained(folder)  # model.safetensors + config.json
    return folder


def test_shapes_frame_rate_and_determinism(tiny_hubert_dir: Path, no_network: None) -> None:
    encoder = HubertEncoder.from_dir(tiny_hubert_dir)
    assert isinstance(encoder, ContentEncoder) and encoder.dim == 32 and encoder.name == "hubert"
    rng = np.random.default_rng(1)
    for n in (16000, 16079, 16080, 24000, 7 * 320 + 5):
        wav = (0.1 * rng.standard_normal(n)).astype(np.float32)
        out = encoder.encode(wav)
        assert out.shape == (1, 32, content_frames(n)) and out.dtype == torch.float32
        assert torch.isfinite(out).all()
    wav = (0.1 * rng.standard_normal(16000)).astype(np.float32)
    assert torch.equal(encoder.encode(wav), encoder.encode(wav.copy()))


def test_feeds_scaled_raw_audio_to_the_model(tiny_hubert_dir: Path) -> None:
    encoder = HubertEncoder.from_dir(tiny_hubert_dir)
    wav = (0.1 * np.random.default_rng(2).standard_normal(16080)).astype(np.float32)  # 50 natural frames
    with torch.no_grad():
        direct = encoder.model(torch.from_numpy(wav * INPUT_SCALE)[None]).last_hidden_state
    assert torch.allclose(encoder.encode(wav), direct.transpose(1, 2), atol=1e-6)


def test_pytorch_model_bin_loads_the_same(tiny_hubert_dir: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    state = load_file(tiny_hubert_dir / "model.safetensors")
    (tmp_path / "config.json").write_bytes((tiny_hubert_dir / "config.json").read_bytes())
    torch.save(state, tmp_path / "pytorch_model.bin")
    wav = (0.1 * np.random.default_rng(3).standard_normal(8000)).astype(np.float32)
    a = HubertEncoder.from_dir(tiny_hubert_dir).encode(wav)
    b = HubertEncoder.from_dir(tmp_path).encode(wav)
    assert torch.equal(a, b)


class _Payload:
    """Unpickling this writes a marker file: it must never happen."""

    marker = ""

    def __reduce__(self):  # noqa: ANN204
        return (open, (self.marker, "w"))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_malicious_pickle_is_refused(tiny_hubert_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = _Payload()
    payload.marker = str(marker)
    (tmp_path / "config.json").write_bytes((tiny_hubert_dir / "config.json").read_bytes())
    with open(tmp_path / "pytorch_model.bin", "wb") as handle:
        torch.save({"x": payload}, handle, pickle_protocol=pickle.DEFAULT_PROTOCOL)
    assert not marker.exists()  # saving does not call the payload
    with pytest.raises(CheckpointError, match="refused to load"):
        HubertEncoder.from_dir(tmp_path)
    assert not marker.exists()


def test_missing_model_says_how_to_get_it(tmp_path: Path, no_network: None) -> None:
    with pytest.raises(ModelMissingError, match=r"python -m gpt_sovits download gsv-v2"):
        HubertEncoder.from_dir(tmp_path / "chinese-hubert-base")
    (tmp_path / "only-config").mkdir()
    (tmp_path / "only-config" / "config.json").write_text("{}")
    with pytest.raises(ModelMissingError, match="download gsv-v2"):
        HubertEncoder.from_dir(tmp_path / "only-config")
    with pytest.raises(ModelMissingError, match="download gsv-v2"):
        build_content_encoder("hubert", tmp_path)
