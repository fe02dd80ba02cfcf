from __future__ import annotations

from pathlib import Path

import pytest

from gpt_sovits.errors import CheckpointError
from gpt_sovits.voice_format import (REFERENCE_WAV, S1_FILE, S2G_FILE, VoiceManifest, read_voice_dir,
                                     write_manifest)


def test_manifest_round_trip_and_missing_files(tmp_path: Path) -> None:
    folder = tmp_path / "alice"
    manifest = VoiceManifest(name="Alice 声音", profile="tiny", content_encoder="whisper-base",
                             reference_text="你好。", steps={"s1": 3, "s2": 4}, final_losses={"s1": 1.5})
    write_manifest(folder, manifest)
    with pytest.raises(CheckpointError, match="missing"):
        read_voice_dir(folder)
    for name in (S1_FILE, S2G_FILE, REFERENCE_WAV):
        (folder / name).write_bytes(b"x")
    assert read_voice_dir(folder) == manifest
    assert (folder / "reference.txt").read_text(encoding="utf-8").strip() == "你好。"
    with pytest.raises(CheckpointError, match="not a voice folder"):
        read_voice_dir(tmp_path)
