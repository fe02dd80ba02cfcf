"""Official S2 files: loading variants, strict checks, refusals, export round trip, our format."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from gpt_sovits.checkpoint.s2_official import (
    export_official_s2,
    load_any_s2,
    load_official_s2,
    load_official_s2d,
    save_s2,
)
from gpt_sovits.checkpoint.safe_load import safe_torch_load
from gpt_sovits.errors import CheckpointError
from gpt_sovits.models.s2.config import S2_PRESETS
from gpt_sovits.models.s2.discriminators import MultiPeriodDiscriminator

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
SHARED = REPO.parent / "shared" / "parity"


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def fixture_weights() -> dict[str, torch.Tensor]:
    return safe_torch_load(FIXTURES / "s2G.pth")["weight"]


def test_exported_fixture_loads_as_tiny_fp32() -> None:
    cfg, sd, has_enc_q = load_official_s2(FIXTURES / "s2G.pth")
    assert cfg == S2_PRESETS["tiny"]
    assert not has_enc_q
    assert all(v.dtype == torch.float32 for v in sd.values())
    assert len(sd) == 529


@pytest.mark.skipif(not (SHARED / "s2G_full.pth").is_file(), reason="s2G_full.pth not available")
def test_pretrained_style_file_with_enc_q(fixture_weights) -> None:
    cfg, sd, has_enc_q = load_official_s2(SHARED / "s2G_full.pth")
    assert has_enc_q and cfg == S2_PRESETS["tiny"]
    assert sum(k.startswith("enc_q.") for k in sd) == 103
    for key, value in fixture_weights.items():
        assert torch.equal(sd[key], value.float()), key


def test_weight_only_file_infers_the_config(tmp_path: Path, fixture_weights) -> None:
    path = tmp_path / "weights_only.pth"
    torch.save({"weight": fixture_weights}, path)
    cfg, sd, _ = load_official_s2(path)
    assert cfg == S2_PRESETS["tiny"]
    assert set(sd) == set(fixture_weights)


def test_v1_symbol_table_is_supported(tmp_path: Path, fixture_weights) -> None:
    weights = dict(fixture_weights)
    weights["enc_p.text_embedding.weight"] = weights["enc_p.text_embedding.weight"][:322]
    weights["ref_enc.spectral.0.fc.weight"] = torch.zeros(128, 1025, dtype=torch.float16)
    path = tmp_path / "v1.pth"
    torch.save({"weight": weights}, path)
    cfg, _, _ = load_official_s2(path)
    assert (cfg.version, cfg.n_symbols, cfg.ref_bins) == ("v1", 322, 1025)


def test_shape_mismatch_names_the_key(tmp_path: Path, fixture_weights) -> None:
    weights = dict(fixture_weights)
    weights["dec.cond.bias"] = torch.zeros(7, dtype=torch.float16)
    del weights["flow.flows.0.post.bias"]
    path = tmp_path / "broken.pth"
    torch.save({"weight": weights}, path)
    with pytest.raises(CheckpointError) as err:
        load_official_s2(path)
    assert "dec.cond.bias" in str(err.value) and "flow.flows.0.post.bias" in str(err.value)


def test_v2pro_header_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    data = (FIXTURES / "s2G.pth").read_bytes()
    path = tmp_path / "pro.pth"
    path.write_bytes(b"05" + data[2:])
    with pytest.raises(CheckpointError, match=r"v2Pro file; only GPT-SoVITS v2 \(and v1\)"):
        load_official_s2(path)
    with pytest.raises(CheckpointError, match="v2Pro"):
        load_any_s2(path)


def test_v2pro_and_v3_keys_are_refused(tmp_path: Path, fixture_weights) -> None:
    for extra, version in (("sv_emb.weight", "v2Pro"), ("cfm.estimator.weight", "v3/v4")):
        path = tmp_path / f"{version.replace('/', '_')}.pth"
        torch.save({"weight": {**fixture_weights, extra: torch.zeros(2)}}, path)
        with pytest.raises(CheckpointError, match=version):
            load_official_s2(path)


def test_malicious_pickle_does_not_execute(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pth"
    torch.save({"weight": {}, "config": Evil()}, path, pickle_module=pickle)
    with pytest.raises(CheckpointError, match="refused to load"):
        load_official_s2(path)
    with pytest.raises(CheckpointError):
        load_any_s2(path)
    assert not marker.exists()


def test_export_import_round_trip_is_lossless(tmp_path: Path) -> None:
    cfg, sd, _ = load_official_s2(FIXTURES / "s2G.pth")
    path = tmp_path / "voice_e8_s96.pth"
    export_official_s2(path, cfg, sd, epoch=8, step=96)
    raw = safe_torch_load(path)
    assert raw["info"] == "8epoch_96iteration"
    assert type(raw["config"]).__name__ == "HParams"
    assert raw["config"].model.inter_channels == 32 and raw["config"].version == "v2"
    assert all(v.dtype == torch.float16 for v in raw["weight"].values())
    cfg2, sd2, has_enc_q = load_official_s2(path)
    assert cfg2 == cfg and not has_enc_q
    assert all(torch.equal(sd2[k], sd[k]) for k in sd)
    assert b"cutils\nHParams\n" in _data_pickle(path)


def test_export_drops_enc_q(tmp_path: Path) -> None:
    if not (SHARED / "s2G_full.pth").is_file():
        pytest.skip("s2G_full.pth not available")
    cfg, sd, _ = load_official_s2(SHARED / "s2G_full.pth")
    path = tmp_path / "exported.pth"
    export_official_s2(path, cfg, sd, epoch=1, step=2)
    assert not any("enc_q" in k for k in safe_torch_load(path)["weight"])


def _data_pickle(path: Path) -> bytes:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return z.read(next(n for n in z.namelist() if n.endswith("data.pkl")))


def test_our_format_and_load_any(tmp_path: Path) -> None:
    cfg, sd, _ = load_official_s2(FIXTURES / "s2G.pth")
    ours = tmp_path / "g.safetensors.bin"
    save_s2(ours, "s2g", cfg, sd)
    loaded = load_any_s2(ours)
    assert (loaded.kind, loaded.source, loaded.config, loaded.has_enc_q) == ("s2g", "ours", cfg, False)
    assert all(torch.equal(loaded.state_dict[k], sd[k]) for k in sd)
    official = load_any_s2(FIXTURES / "s2G.pth")
    assert (official.kind, official.source, official.config) == ("s2g", "official", cfg)


def test_discriminator_files(tmp_path: Path) -> None:
    torch.manual_seed(0)
    disc = MultiPeriodDiscriminator()
    sd = {k: v.half() for k, v in disc.state_dict().items()}
    path = tmp_path / "s2D_any_name.pth"
    torch.save({"weight": sd}, path)
    periods, loaded = load_official_s2d(path)
    assert periods == (2, 3, 5, 7, 11)
    assert all(torch.equal(loaded[k], sd[k].float()) for k in sd)
    anyd = load_any_s2(path)
    assert anyd.kind == "s2d" and anyd.periods == periods
    with pytest.raises(CheckpointError, match="discriminator"):
        load_official_s2(path)
    with pytest.raises(CheckpointError, match="not a discriminator"):
        load_official_s2d(FIXTURES / "s2G.pth")
    ours = tmp_path / "d.bin"
    save_s2(ours, "s2d", S2_PRESETS["v2"], {k: v.float() for k, v in sd.items()})
    assert load_any_s2(ours).kind == "s2d"
