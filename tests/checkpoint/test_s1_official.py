"""Official S1 .ckpt import/export, our safetensors format, safety against pickled code."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import pytest
import torch

from gpt_sovits.checkpoint.s1 import load_any_s1, load_s1, load_s1_model, save_s1
from gpt_sovits.checkpoint.s1_official import export_official_s1, load_official_s1
from gpt_sovits.errors import CheckpointError
from gpt_sovits.models.s1.config import S1_PRESETS, S1Config
from gpt_sovits.models.s1.model import Text2Semantic

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "s1.ckpt"


def _fp16_exact_state(config: S1Config, seed: int = 0) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    return {k: v.half().float() for k, v in Text2Semantic(config).state_dict().items()}


def test_load_fixture_gives_float32_without_prefix():
    config, state = load_official_s1(FIXTURE)
    assert config == S1_PRESETS["tiny"] and config.symbols_version == "v2"
    assert all(not k.startswith("model.") for k in state)
    assert all(v.dtype == torch.float32 for v in state.values())
    Text2Semantic(config).load_state_dict(state, strict=True)


def test_export_reproduces_the_official_file_layout(tmp_path):
    config, state = load_official_s1(FIXTURE)
    out = tmp_path / "exp-e15.ckpt"
    export_official_s1(out, config, state, extra_config={"train": {"exp_name": "parity"}}, epoch=15)
    ours = torch.load(out, weights_only=True)
    ref = torch.load(FIXTURE, weights_only=True)
    assert isinstance(ours, OrderedDict) and list(ours) == ["weight", "config", "info"]
    assert ours["info"] == "GPT-e15"
    assert list(ours["weight"]) == list(ref["weight"])
    for key, tensor in ref["weight"].items():
        assert ours["weight"][key].dtype == torch.float16
        assert torch.equal(ours["weight"][key], tensor), key
    assert ours["config"]["model"] == {k: v for k, v in ref["config"]["model"].items() if k != "linear_units"} | {
        "linear_units": 4 * config.d_model
    }
    assert ours["config"]["data"]["max_sec"] == 54 and ours["config"]["train"]["exp_name"] == "parity"
    assert ours["config"]["train"]["seed"] == 1234  # defaults kept next to the merged extra


def test_export_import_round_trip_is_lossless(tmp_path):
    config = S1Config(d_model=32, n_heads=2, n_layers=3)
    state = _fp16_exact_state(config, seed=3)
    export_official_s1(tmp_path / "a.ckpt", config, state)
    config2, state2 = load_official_s1(tmp_path / "a.ckpt")
    assert config2 == config
    assert state2.keys() == state.keys()
    assert all(torch.equal(state[k], state2[k]) for k in state)


def test_v1_files_are_recognised(tmp_path):
    config = S1Config(d_model=32, n_heads=2, n_layers=1, phoneme_vocab_size=512)
    export_official_s1(tmp_path / "v1.ckpt", config, _fp16_exact_state(config))
    loaded, _ = load_official_s1(tmp_path / "v1.ckpt")
    assert loaded.phoneme_vocab_size == 512 and loaded.symbols_version == "v1"


class _Payload:
    """Unpickling this would create a marker file (stands in for os.system & co.)."""

    marker = ""

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_malicious_pickle_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned.txt"
    payload = _Payload()
    payload.marker = str(marker)
    config, state = load_official_s1(FIXTURE)
    evil = tmp_path / "evil.ckpt"
    torch.save({"weight": {"model." + k: v for k, v in state.items()}, "config": payload}, evil)
    with pytest.raises(CheckpointError, match="refused"):
        load_official_s1(evil)
    with pytest.raises(CheckpointError):
        load_any_s1(evil)
    assert not marker.exists()


def test_key_and_shape_mismatches_name_the_keys(tmp_path):
    config, state = load_official_s1(FIXTURE)
    broken = dict(state)
    broken["h.layers.0.linear9.weight"] = broken.pop("h.layers.0.linear1.weight")
    with pytest.raises(CheckpointError) as info:
        export_official_s1(tmp_path / "x.ckpt", config, broken)
    assert "h.layers.0.linear1.weight" in str(info.value) and "h.layers.0.linear9.weight" in str(info.value)

    ckpt = torch.load(FIXTURE, weights_only=True)
    ckpt["weight"]["model.bert_proj.weight"] = torch.zeros(3, 3, dtype=torch.float16)
    del ckpt["weight"]["model.ar_predict_layer.weight"]
    torch.save(ckpt, tmp_path / "bad.ckpt")
    with pytest.raises(CheckpointError) as info:
        load_official_s1(tmp_path / "bad.ckpt")
    message = str(info.value)
    assert "ar_predict_layer.weight" in message and "bert_proj.weight (3, 3)" in message


def test_non_s1_and_non_checkpoint_files_are_rejected(tmp_path):
    torch.save({"weight": {"enc_p.x": torch.zeros(1)}}, tmp_path / "s2.pth")
    with pytest.raises(CheckpointError, match="config"):
        load_official_s1(tmp_path / "s2.pth")
    (tmp_path / "text.ckpt").write_text("hello")
    with pytest.raises(CheckpointError):
        load_any_s1(tmp_path / "text.ckpt")


def test_export_refuses_weights_outside_float16(tmp_path):
    config, state = load_official_s1(FIXTURE)
    state = dict(state)
    state["ar_text_position.alpha"] = torch.tensor([1e6])
    with pytest.raises(CheckpointError, match="float16"):
        export_official_s1(tmp_path / "big.ckpt", config, state)


def test_our_format_round_trip_and_detection_by_content(tmp_path):
    config = S1_PRESETS["tiny"]
    torch.manual_seed(1)
    model = Text2Semantic(config)
    ours = tmp_path / "looks_official.ckpt"  # the name must not matter
    save_s1(ours, model)
    loaded_cfg, loaded = load_s1(ours)
    assert loaded_cfg == config
    assert all(torch.equal(loaded[k], v) for k, v in model.state_dict().items())
    assert load_any_s1(ours)[0] == config

    official = tmp_path / "looks_ours.safetensors"
    official.write_bytes(FIXTURE.read_bytes())
    assert load_any_s1(official)[0] == config
    rebuilt = load_s1_model(official)
    assert not rebuilt.training

    save_s1(tmp_path / "pair.s1", (config, model.state_dict()))
    assert load_any_s1(tmp_path / "pair.s1")[0] == config
