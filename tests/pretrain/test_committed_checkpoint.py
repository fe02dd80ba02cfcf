"""The committed starter base (pretrained/starter) is also the pretraining state a new run continues
from: its networks are the starter presets' and it has the posterior encoder."""

from __future__ import annotations

from pathlib import Path

from gpt_sovits.pretrain.config import PretrainConfig
from gpt_sovits.pretrain.start import init_from_profile
from gpt_sovits.pretrain.trainers import INIT_FILE, S1_INIT_FILE
from gpt_sovits.registry import default_pretrained_root

FOLDER = default_pretrained_root() / "starter"


def test_committed_pretraining_state_starts_a_new_run(tmp_path: Path) -> None:
    events: list = []
    init_from_profile(PretrainConfig.preset("starter-continue"), tmp_path, FOLDER, events.append)
    assert (tmp_path / INIT_FILE).is_file() and (tmp_path / S1_INIT_FILE).is_file()
    total = sum(p.stat().st_size for p in FOLDER.glob("*.safetensors")) / 2**20
    assert total <= 80.0


def test_a_run_that_would_drop_the_committed_decoder_is_refused(tmp_path: Path) -> None:
    """The committed S2 has the envelope decoder (session 33); the from-scratch ``starter`` recipe
    builds a HiFi-GAN one. Continuing the committed state with it would silently lose the decoder,
    so it is refused with what to do."""
    import pytest

    from gpt_sovits.errors import ProjectError

    with pytest.raises(ProjectError, match="S2 decoder: profile 'envelope', run 'hifigan'.*starter-continue"):
        init_from_profile(PretrainConfig.preset("starter"), tmp_path, FOLDER, lambda event: None)
    assert not (tmp_path / INIT_FILE).exists()


def test_an_export_describes_itself_as_the_committed_profile_does() -> None:
    """Pretraining's export writes the manifest the committed base has (titles in both languages,
    synthesis settings, fine-tune recipe), so committing a new export loses nothing."""
    import json

    from gpt_sovits.pretrain.export import PROFILE_JSON

    committed = json.loads((FOLDER / "profile.json").read_text(encoding="utf-8"))
    assert {k: v for k, v in PROFILE_JSON.items() if k != "s2d"} == {k: v for k, v in committed.items() if k != "s2d"}
