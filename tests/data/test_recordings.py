"""remove_raw: a recording and everything derived from it go to trash/, the rest stays untouched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from gpt_sovits.audio.slicer import SlicerConfig
from gpt_sovits.data import labels as lab
from gpt_sovits.data import stages
from gpt_sovits.data.project import Project, Workspace
from gpt_sovits.data.recordings import remove_raw
from gpt_sovits.errors import ProjectError

SR = 32000


def _phrases(path: Path, pitch: float, seed: int) -> str:
    """Three 2.5 s tones separated by silence: the slicer cuts them into pieces."""
    rng = np.random.default_rng(seed)
    parts = []
    for k in range(3):
        t = np.arange(int(SR * 2.5)) / SR
        tone = 0.3 * np.sin(2 * np.pi * (pitch + 40 * k) * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
        parts += [tone + 0.02 * rng.standard_normal(t.size), np.zeros(int(SR * 0.8))]
    sf.write(path, np.concatenate(parts).astype(np.float32), SR)
    return str(path)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """Two recordings, cleaned, sliced and labelled (one label edited by the user)."""
    proj = Workspace(tmp_path / "ws").create_project("rec", languages=["en"])
    paths = [_phrases(tmp_path / "alpha.wav", 180, 0), _phrases(tmp_path / "beta.wav", 220, 1)]
    stages.import_stage(proj, stages.ImportOptions(paths=paths))
    stages.clean_stage(proj, stages.CleanOptions())
    stages.slice_stage(proj, SlicerConfig())
    stages.label_stage(proj, stages.LabelOptions(language="en", asr=False))
    first_alpha = next(e.name for e in lab.load_labels(proj.root) if e.name.startswith("alpha_"))
    lab.edit_text(proj, first_alpha, "words the user typed")
    return proj


def test_remove_raw_moves_everything_of_one_recording_to_trash(project: Project) -> None:
    alpha_slices = sorted(p.name for p in project.slices_dir.glob("alpha_*.wav"))
    beta_slices = sorted(p.name for p in project.slices_dir.glob("beta_*.wav"))
    assert alpha_slices and beta_slices
    raw_bytes = (project.raw_dir / "alpha.wav").read_bytes()

    trashed = remove_raw(project, "alpha.wav")

    meta = project.meta
    assert list(meta.raw) == ["beta.wav"]
    assert "alpha.wav" not in meta.pipeline["clean"] and "beta.wav" in meta.pipeline["clean"]
    assert "alpha" not in meta.pipeline["slice"] and "beta" in meta.pipeline["slice"]
    assert all(not k.startswith("alpha_") for k in meta.pipeline["label"])
    assert sorted(p.name for p in project.slices_dir.glob("*.wav")) == beta_slices
    assert [e.name for e in lab.load_labels(project.root)] == beta_slices
    assert not (project.clean_dir / "alpha.wav").exists() and (project.clean_dir / "beta.wav").is_file()
    # nothing is destroyed: raw bytes, clean file, slices and the edited label are in one trash folder
    bins = list(project.trash_dir.iterdir())
    assert len(bins) == 1 and bins[0].name.startswith("deleted-alpha-")
    assert all(p.is_file() and p.is_relative_to(bins[0]) for p in trashed)
    assert (bins[0] / "raw" / "alpha.wav").read_bytes() == raw_bytes
    assert (bins[0] / "clean" / "alpha.wav").is_file()
    assert sorted(p.name for p in (bins[0] / "slices").iterdir()) == alpha_slices
    saved = next(p for p in trashed if p.suffix == ".list")
    entries, _ = lab.read_list(saved)
    assert sorted(e.name for e in entries) == alpha_slices
    assert "words the user typed" in {e.text for e in entries}


def test_remove_raw_unknown_name_changes_nothing(project: Project) -> None:
    before = project.meta.to_dict()
    with pytest.raises(ProjectError, match="not in this project"):
        remove_raw(project, "nope.wav")
    with pytest.raises(ProjectError):
        remove_raw(project, "")
    assert project.meta.to_dict() == before
    assert not any(project.trash_dir.iterdir())


def test_remove_raw_refuses_while_project_is_busy(project: Project) -> None:
    other = Project(project.root)
    with other.lock("training"):
        with pytest.raises(ProjectError, match="busy"):
            remove_raw(project, "alpha.wav")
    assert (project.raw_dir / "alpha.wav").is_file()
