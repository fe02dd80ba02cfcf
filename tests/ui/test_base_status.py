"""How the Models and Train tabs describe base models (no browser): a base shipped without a
discriminator is ready to train; one that names a missing s2d file says which file and the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gpt_sovits.registry import HUBERT_DIR, Registry
from ui.i18n import message
from ui.models_tab import next_step_keys, status_table, summary_markdown
from ui.train_tab import _profile_line, estimate_seconds


def _base(root: Path, name: str, s2d: str | None, **extra: object) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    for file in ("s1.safetensors", "s2g.safetensors"):
        (folder / file).write_bytes(b"w")
    (folder / "profile.json").write_text(json.dumps(
        {"title": name.title(), "s1": "s1.safetensors", "s2g": "s2g.safetensors", "s2d": s2d,
         "content_encoder": "hubert", **extra}))
    hubert = root / HUBERT_DIR
    if not hubert.is_dir():
        hubert.mkdir()
        (hubert / "config.json").write_text("{}")
        (hubert / "pytorch_model.bin").write_bytes(b"x")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_base_without_discriminator_is_ready_to_train(tmp_path: Path, lang: str) -> None:
    _base(tmp_path, "starter", None)
    status = Registry(tmp_path).status()
    starter = next(p for p in status.profiles if p.name == "starter")
    line = _profile_line(starter, lang)
    assert line.endswith(message("train.base_ready", lang))
    table = status_table(status, lang)
    row = table[table.iloc[:, 0] == "base: starter"].iloc[0].tolist()
    assert row[1] == message("models.ready", lang) and row[2] == ""
    text = " ".join(str(v) for v in row) + line + summary_markdown(status, lang)  # gsv-v2's row may name S2D
    assert "discriminator" not in text.lower() and "s2d" not in text.lower() and "判别器" not in text
    assert "models.step_no_train" not in next_step_keys(status)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_preview_base_says_so_where_it_is_chosen(tmp_path: Path, lang: str) -> None:
    _base(tmp_path, "starter", None, preview=True)
    starter = next(p for p in Registry(tmp_path).profiles() if p.name == "starter")
    line = _profile_line(starter, lang)
    assert message("train.base_ready", lang) in line and line.endswith(message("train.base_preview", lang))
    status = Registry(tmp_path).status()
    assert next_step_keys(status)[-1] == "models.step_gsv_over_preview"
    assert status.next_steps[-1].endswith("it reads far better than Starter")


def test_base_naming_a_missing_discriminator_says_which_file(tmp_path: Path) -> None:
    _base(tmp_path, "mine", "disc.safetensors")
    status = Registry(tmp_path).status()
    mine = next(p for p in status.profiles if p.name == "mine")
    line = _profile_line(mine, "en")
    assert "cannot be fine-tuned" in line and "disc.safetensors" in line and '"s2d": null' in line
    assert "not installed" not in line
    table = status_table(status, "en")
    row = table[table.iloc[:, 0] == "base: mine"].iloc[0].tolist()
    assert row[1] == "ready" and "disc.safetensors" in row[2] and "cannot be fine-tuned" in row[3]
    assert next_step_keys(status)[-2:] == ["models.step_no_train", "models.step_gsv_optional"]
    assert "(missing S2D discriminator weights (disc.safetensors))" in line


def test_the_time_estimate_knows_a_decoder_only_recipe_is_cheaper() -> None:
    """The starter's recipe (8 decoder-only S2 epochs + 3 S1 epochs) on 6 slices trained in 66 s in the
    new-user check of session 35: the estimate is within a factor of two of that, and a recipe that
    trains all of S2 is estimated longer."""
    decoder_only = estimate_seconds("starter", 6, 8, 3, decoder_only=True)
    assert 33 <= decoder_only <= 132
    assert estimate_seconds("starter", 6, 8, 3) > 2 * decoder_only
    assert estimate_seconds("starter", 6, 0, 3, decoder_only=True) == estimate_seconds("starter", 6, 0, 3)
