"""Official-weights download: layout, resume and offline failure, tested with a fake server."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from gpt_sovits.download import download, fetch_file, gsv_v2_files
from gpt_sovits.errors import ModelMissingError
from gpt_sovits.registry import Registry


class FakeHub:
    """Serves deterministic bytes per URL; can cut a transfer short once to test resume."""

    def __init__(self, cut_after: int | None = None) -> None:
        self.cut_after = cut_after
        self.requests: list[tuple[str, int]] = []

    @staticmethod
    def body(url: str) -> bytes:
        return (url.encode() * 50)[: 1000 + len(url)]

    def __call__(self, url: str, start: int):
        self.requests.append((url, start))
        data = self.body(url)
        served = data[start:]
        if self.cut_after is not None:
            served, self.cut_after = served[: self.cut_after], None
            return start, len(data), io.BytesIO(served)
        return start, len(data), io.BytesIO(served)


def test_download_gsv_v2_layout_matches_registry(tmp_path: Path) -> None:
    hub = FakeHub()
    progress: list[float] = []
    written = download("gsv-v2", tmp_path, opener=hub, progress=lambda f, m: progress.append(f),
                       online_check=None)
    assert len(written) == len(gsv_v2_files())
    assert all(url.startswith("https://huggingface.co/lj1995/GPT-SoVITS/resolve/main/") for url, _ in hub.requests)
    prof = Registry(tmp_path).profile("gsv-v2")  # the registry now finds every file
    assert prof.can_train
    assert progress and progress[-1] == pytest.approx(1.0)
    # second run downloads nothing
    hub2 = FakeHub()
    assert download("gsv-v2", tmp_path, opener=hub2, online_check=None) == [] and not hub2.requests


def test_interrupted_download_resumes(tmp_path: Path) -> None:
    url = "https://example.invalid/file.bin"
    dest = tmp_path / "file.bin"
    hub = FakeHub(cut_after=300)
    with pytest.raises(ModelMissingError, match="incomplete"):
        fetch_file(url, dest, opener=hub)
    assert not dest.exists() and (tmp_path / "file.bin.part").stat().st_size == 300
    fetch_file(url, dest, opener=hub)
    assert hub.requests[-1] == (url, 300)  # resumed from the part file
    assert dest.read_bytes() == FakeHub.body(url)
    assert not (tmp_path / "file.bin.part").exists()


def test_offline_fails_fast_with_clear_message(tmp_path: Path) -> None:
    def offline() -> None:
        raise ModelMissingError("cannot reach huggingface.co; needs internet access")

    with pytest.raises(ModelMissingError, match="internet"):
        download("gsv-v2", tmp_path, opener=FakeHub(), online_check=offline)
    assert not any(tmp_path.rglob("*.part"))
    with pytest.raises(ModelMissingError, match="unknown download"):
        download("v9", tmp_path, opener=FakeHub(), online_check=None)
