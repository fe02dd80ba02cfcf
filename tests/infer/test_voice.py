from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from gpt_sovits.errors import AudioFormatError, CheckpointError
from gpt_sovits.infer.cache import LRUCache
from gpt_sovits.infer.reference import best_window, check_reference
from gpt_sovits.infer.voice import load_voice, with_final_mark, zero_shot_voice
from gpt_sovits.registry import BaseProfile

from .conftest import SR, FakeEncoder, speechlike


def tiny_profile(tiny_models) -> BaseProfile:
    return BaseProfile(name="tiny", title="tiny", s1=tiny_models.s1, s2g=tiny_models.s2g, s2d=None,
                       content_encoder="hubert", bert=None)


def test_load_voice_builds_the_prompt_and_reuses_cached_work(tiny_models, caches) -> None:
    encoder = FakeEncoder()
    first = load_voice(tiny_models.voice_dir, encoder=encoder, caches=caches)
    assert first.prompt is not None and first.prompt.numel() == (4 * SR // 640 + 30) // 2
    assert first.prompt_text == "今天天气很好。" and len(first.prompt_ids) == first.prompt_bert.shape[1]
    second = load_voice(tiny_models.voice_dir, encoder=encoder, caches=caches)
    assert encoder.calls == 1 and second.s1 is first.s1 and second.s2 is first.s2
    assert not second.s2.has_posterior


def test_load_voice_refuses_incomplete_folders(tmp_path) -> None:
    with pytest.raises(CheckpointError, match="voice.json"):
        load_voice(tmp_path)


def test_zero_shot_reference_free_and_extra_references(tiny_models, caches) -> None:
    profile = tiny_profile(tiny_models)
    voice = zero_shot_voice(profile, tiny_models.reference, None, extra_refs=[speechlike(2.0, seed=4)],
                            caches=caches)
    assert voice.reference_free and voice.prompt_ids == [] and len(voice.ref_specs) == 2
    assert voice.profile == "tiny"


def test_reference_duration_rules(tiny_models, caches) -> None:
    profile = tiny_profile(tiny_models)
    with pytest.raises(AudioFormatError, match="3-10 s"):
        zero_shot_voice(profile, speechlike(2.0), "你好", caches=caches)
    long_clip = speechlike(14.0)
    with pytest.raises(AudioFormatError, match="leave the transcript empty"):
        zero_shot_voice(profile, long_clip, "你好", caches=caches, encoder=FakeEncoder())
    voice = zero_shot_voice(profile, long_clip, None, caches=caches)
    assert voice.notes and "trimmed" in voice.notes[0]
    with pytest.raises(AudioFormatError, match="silent"):
        check_reference(np.zeros(5 * SR, dtype=np.float32), has_text=False)


def test_best_window_finds_the_speech() -> None:
    clip = np.concatenate([np.zeros(8 * SR, dtype=np.float32), speechlike(9.5), np.zeros(6 * SR, np.float32)])
    start, end = best_window(clip, 9.5)
    assert end - start == int(9.5 * SR) and abs(start - 8 * SR) <= SR // 2


def test_prompt_text_gets_a_final_mark() -> None:
    assert with_final_mark("你好", "zh") == "你好。" and with_final_mark("hello", "en") == "hello."
    assert with_final_mark("你好！", "zh") == "你好！"


def test_lru_cache_is_bounded_and_loads_each_key_once_across_threads() -> None:
    cache: LRUCache[int] = LRUCache(2)
    loads: list[str] = []

    def slow(key: str) -> int:
        loads.append(key)
        time.sleep(0.05)
        return len(loads)

    threads = [threading.Thread(target=cache.get_or_create, args=("a", lambda: slow("a"))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert loads == ["a"]
    cache.get_or_create("b", lambda: slow("b"))
    cache.get_or_create("c", lambda: slow("c"))
    assert len(cache) == 2 and "a" not in cache and "c" in cache


def test_a_voice_carries_its_recommended_settings(tiny_models, caches, tmp_path) -> None:
    import dataclasses
    import json
    import shutil

    profile = dataclasses.replace(tiny_profile(tiny_models), synthesis={"top_k": 3, "temperature": 0.5})
    assert zero_shot_voice(profile, tiny_models.reference, None, caches=caches).recommended == profile.synthesis
    folder = tmp_path / "tuned"
    shutil.copytree(tiny_models.voice_dir, folder)
    manifest = json.loads((folder / "voice.json").read_text())
    (folder / "voice.json").write_text(json.dumps({**manifest, "synthesis": {"repetition_penalty": 1.0}}))
    assert load_voice(folder, encoder=FakeEncoder(), caches=caches).recommended == {"repetition_penalty": 1.0}
    (folder / "voice.json").write_text(json.dumps({**manifest, "synthesis": {"temperature": 9}}))
    with pytest.raises(CheckpointError, match="temperature"):
        load_voice(folder, encoder=FakeEncoder(), caches=caches)


def test_a_recommended_intonation_is_dropped_with_a_note_for_a_decoder_without_a_melody(tiny_models, caches) -> None:
    """A base may recommend a livelier intonation; a HiFi-GAN voice (as the official ones) cannot use it
    and must still speak, with the recommendation's other settings."""
    import dataclasses

    profile = dataclasses.replace(tiny_profile(tiny_models), synthesis={"top_k": 3, "intonation": 1.5})
    voice = zero_shot_voice(profile, tiny_models.reference, None, caches=caches)
    assert voice.recommended == {"top_k": 3}
    assert any("intonation is ignored" in note for note in voice.notes)
