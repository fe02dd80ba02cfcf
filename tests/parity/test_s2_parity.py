"""S2 parity against the original implementation's stored outputs (``s2_io.pt``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gpt_sovits.parity.s2 import _check_full_file, _load_model, check_s2

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
SHARED = REPO.parent / "shared" / "parity"


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def test_every_s2_check_passes_on_the_fixtures() -> None:
    results = check_s2(FIXTURES)
    failed = [f"{r.name}: {r.max_error:.3g} > {r.tolerance} {r.note}" for r in results if not r.passed]
    assert not failed, failed
    names = {r.name for r in results}
    for case in ("speed1.0", "speed1.25", "two_refs_speed1.0", "refer_tensor_speed1.0"):
        assert f"s2.decode.{case}.audio" in names
    assert {"s2.spec", "s2.spec2", "s2.mel", "s2.mel_from_spec", "s2.codes"} <= names
    assert len(results) >= 44


def test_missing_files_are_reported(tmp_path: Path) -> None:
    (result,) = check_s2(tmp_path)
    assert not result.passed and "s2G.pth" in result.note


@pytest.mark.skipif(not (SHARED / "s2G_full.pth").is_file(), reason="s2G_full.pth not available")
def test_full_file_decodes_identically() -> None:
    io = torch.load(FIXTURES / "s2_io.pt", weights_only=True)
    model, _ = _load_model(FIXTURES / "s2G.pth")
    with torch.inference_mode():
        results = _check_full_file(SHARED / "s2G_full.pth", model, io)
    assert all(r.passed for r in results), [(r.name, r.max_error) for r in results]
    assert {r.name for r in results} >= {"s2.full.has_enc_q", "s2.full.decode_equals_s2G"}
