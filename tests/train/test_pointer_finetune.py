"""Fine-tuning a base whose S1 has a phone pointer: clips aligned, voice exported and speaking."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import torch

from gpt_sovits.train.config import TrainConfig
from gpt_sovits.train.events import InfoEvent, StepEvent
from gpt_sovits.train.run import finetune
from tests.train.conftest import PROJECT


def _pointer_base(pretrained: Path, root: Path) -> Path:
    """A private pretrained/ whose ``tiny`` base has an S1 with a phone pointer (no token readout)."""
    from gpt_sovits.checkpoint.s1 import load_any_s1, save_s1
    from gpt_sovits.models.s1.model import Text2Semantic

    root.mkdir()
    os.symlink(os.readlink(pretrained / "whisper-base"), root / "whisper-base")
    shutil.copytree(pretrained / "tiny", root / "tiny")
    config, state = load_any_s1(root / "tiny" / "s1.safetensors")
    model = Text2Semantic(config.replace(phone_pointer=True))
    model.load_state_dict({**model.state_dict(), **state})
    with torch.no_grad():
        model.ar_pointer_embedding.alpha.fill_(0.5)
    save_s1(root / "tiny" / "s1.safetensors", model)
    return root


def test_a_pointer_base_fine_tunes_and_its_voice_speaks(workspace: Path, pretrained: Path, tmp_path: Path) -> None:
    from gpt_sovits.checkpoint.s1 import load_any_s1
    from gpt_sovits.infer import SynthesisOptions, load_voice, synthesize
    from gpt_sovits.models.s2.melody import MelodyConfig, TextMelody, save_melody
    from gpt_sovits.registry import Registry
    from gpt_sovits.voice_format import MELODY_FILE, read_voice_dir

    root = _pointer_base(pretrained, tmp_path / "pretrained")
    save_melody(TextMelody(MelodyConfig(dim=8, phone_layers=1, frame_dilations=(1,))), root / "tiny" / MELODY_FILE)
    seen: list = []
    config = TrainConfig.preset("tiny").replace(max_steps=2, samples=True, voice_name="pointed")
    result = finetune(workspace / PROJECT, config, seen.append, pretrained_root=root)
    s1_steps = [e for e in seen if isinstance(e, StepEvent) and e.stage == "s1"]
    assert s1_steps and all("advance" in e.losses for e in s1_steps)
    assert any(isinstance(e, InfoEvent) and "token readout" in e.message for e in seen)  # spread evenly, said so
    voice_dir = Path(result.voice_path)
    manifest = read_voice_dir(voice_dir)
    assert "s1" not in manifest.official and (voice_dir / manifest.official["s2g"]).is_file()
    assert load_any_s1(voice_dir / "s1.safetensors")[0].phone_pointer
    assert (voice_dir / MELODY_FILE).read_bytes() == (root / "tiny" / MELODY_FILE).read_bytes()  # the base's, copied
    voice = load_voice(voice_dir, Registry(root))
    assert voice.prompt_alignment is not None and any("token readout" in note for note in voice.notes)
    chunks = list(synthesize(voice, "Good morning to you.", SynthesisOptions(language="en", seed=3)))
    assert chunks and chunks[0].audio.size > 0
