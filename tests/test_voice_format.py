from __future__ import annotations

from pathlib import Path

import pytest

from gpt_sovits.errors import CheckpointError
from gpt_sovits.voice_format import (
    REFERENCE_WAV,
    S1_FILE,
    S2G_FILE,
    VoiceManifest,
    read_voice_dir,
    write_manifest,
)


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


def test_free_voice_folder_never_reuses_an_existing_folder(tmp_path: Path) -> None:
    from gpt_sovits.voice_format import free_voice_folder

    voices = tmp_path / "voices"
    first = free_voice_folder(voices, "My voice")
    assert first.name == "My-voice"
    first.mkdir(parents=True)
    second = free_voice_folder(voices, "My voice")
    assert second.name == "My-voice-2"
    second.mkdir()
    assert free_voice_folder(voices, "my voice").name == "my-voice-3"  # case-insensitive file systems
