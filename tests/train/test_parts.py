"""Small pieces of the trainer: config, batching, reference choice, metrics file, checkpoints."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from gpt_sovits.config import ConfigError
from gpt_sovits.train.checkpoints import CheckpointManager, capture_rng, restore_rng
from gpt_sovits.train.config import TRAIN_PRESETS, TrainConfig
from gpt_sovits.train.dataset import (
    TrainItem,
    auto_val_count,
    bucket_batches,
    collate_s1,
    collate_s2,
    item_f0,
    split_items,
)
from gpt_sovits.train.events import InfoEvent, MetricsWriter, read_metrics
from gpt_sovits.train.export import choose_reference
from gpt_sovits.voice_format import REFERENCE_DOUBTS


@pytest.mark.parametrize("name", sorted(TRAIN_PRESETS))
def test_presets_round_trip_and_reject_unknown_keys(name: str) -> None:
    config = TrainConfig.preset(name)
    assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    with pytest.raises(ConfigError, match="unknown key"):
        TrainConfig.from_dict({**config.to_dict(), "epochs": 3})
    with pytest.raises(ConfigError):
        config.replace(s2_epochs=-1)


def test_defaults_for_a_base_are_cpu_aware() -> None:
    assert TrainConfig.for_base("gsv-v2", cuda=True).s2_epochs == 8
    cpu = TrainConfig.for_base("gsv-v2", cuda=False)
    assert cpu.base == "gsv-v2" and (cpu.s2_epochs, cpu.s1_epochs) == (3, 8)
    assert TrainConfig.for_base("my-profile", cuda=False).base == "my-profile"
    assert TrainConfig.for_base("tiny", cuda=False) == TrainConfig.preset("tiny")
    # a base's own recipe (profile.json "fine_tune") goes over the CPU epochs and the preset
    assert (TrainConfig.for_base("starter", False, {"s2_epochs": 1, "s1_epochs": 3}).s1_epochs,
            TrainConfig.for_base("starter", False, {}).s1_epochs) == (3, 8)
    with pytest.raises(ValueError, match="base 'starter'.*s1_epochs"):
        TrainConfig.for_base("starter", False, {"s1_epochs": -1})


def _item(name: str, seconds: float, text: str = "hello", peak: float = 0.5) -> TrainItem:
    frames = int(seconds * 50) // 2 * 2
    wav = torch.full((frames * 640,), peak)
    return TrainItem(name, text, "en", torch.arange(1, 6), torch.zeros(1024, 5), torch.zeros(8, frames),
                     torch.zeros(1025, frames), wav, torch.arange(frames // 2))


def test_batches_depend_only_on_seed_and_epoch() -> None:
    lengths = [50, 10, 30, 30, 70, 20, 40]
    first = bucket_batches(lengths, 2, seed=1, epoch=0)
    assert first == bucket_batches(lengths, 2, seed=1, epoch=0)
    assert sorted(i for b in first for i in b) == list(range(7))
    assert any(bucket_batches(lengths, 2, seed=1, epoch=e) != first for e in range(1, 5))
    for batch in first:  # buckets hold neighbours in length order
        assert max(lengths[i] for i in batch) - min(lengths[i] for i in batch) <= 20


def test_split_and_collate() -> None:
    items = [_item(f"s{i}", 1.0 + i) for i in range(6)]
    assert [auto_val_count(n) for n in (1, 2, 6, 30, 100)] == [0, 1, 1, 3, 4]
    train, val = split_items(items, 1, seed=3)
    assert len(val) == 1 and len(train) == 5 and val[0] not in train
    batch = collate_s2(items[:2], min_frames=200)
    assert batch.ssl.shape == (2, 8, 200) and batch.wav.shape == (2, 1, 200 * 640)
    assert batch.spec_lengths.tolist() == [50, 100]
    s1 = collate_s1(items[:2], eos=1024)
    assert s1.semantic.shape == (2, 50) and int(s1.semantic[0, -1]) == 1024


def test_collate_gives_each_frame_the_pitch_of_its_audio_when_asked() -> None:
    """A harmonic decoder trains on the true pitch of the very frames it decodes: a 220 Hz tone
    that falls silent, then rises to 330 Hz, tracked at the spectrogram frames' centres."""
    t = np.arange(3 * 32000) / 32000
    tone = np.where(t < 1, np.sin(2 * np.pi * 220 * t), 0.0) + np.where(t >= 2, np.sin(2 * np.pi * 330 * t), 0.0)
    item = _item("tone", 3.0)
    item.wav = torch.from_numpy(0.3 * tone).float()[: item.frames * 640]
    short = _item("short", 1.0)
    short.wav = item.wav[: short.frames * 640].clone()
    batch = collate_s2([item, short], min_frames=200, f0=True)
    assert batch.f0.shape == (2, 200) and item_f0(item) is item_f0(item)  # kept on the item
    f0 = batch.f0[0]
    assert f0[5:45].sub(220).abs().max() < 5 and (f0[55:95] == 0).all() and f0[105:145].sub(330).abs().max() < 5
    assert (batch.f0[1, short.frames:] == 0).all() and collate_s2([item], 200).f0 is None


def test_reference_prefers_clean_labelled_3_to_10_s() -> None:
    items = [_item("short", 2.0), _item("long", 12.0), _item("clipped", 6.0, peak=1.0),
             _item("unlabelled", 6.0, text=" "), _item("flagged", 6.0), _item("good", 4.0), _item("best", 7.0)]
    assert choose_reference(items, {"flagged"}).item.slice_id == "best"
    fallback = choose_reference([_item("short", 2.0), _item("long", 10.5)])
    assert fallback.item.slice_id == "long" and "no clean 3-10 s" in fallback.reason and fallback.doubt == "no_clean"
    assert fallback.doubt in REFERENCE_DOUBTS  # the values the studio knows how to warn about
    assert choose_reference(items, {"flagged"}).doubt == ""


def test_reference_prefers_a_transcript_we_can_trust(tmp_path: Path) -> None:
    """The reference's text is synthesis's prompt: a clip whose unflagged transcript was recognised
    with little confidence loses to a confident or user-corrected one, even nearer 6 s; with
    only doubtful ones, the most confident wins and the reason says to check its text."""
    from gpt_sovits.data.labels import LabelEntry, save_labels
    from gpt_sovits.data.project import Workspace
    from gpt_sovits.train.prepare import label_confidence

    project = Workspace(tmp_path).create_project("ref", ["zh"])
    save_labels(project.root, [LabelEntry("slices/heard.wav", "ref", "zh", "听到的"),
                               LabelEntry("slices/fixed.wav", "ref", "zh", "改过的"),
                               LabelEntry("slices/typed.wav", "ref", "zh", "打的字")])
    project.set_state("label", {"heard.wav": {"avg_logprob": -0.45, "text": "听到的"},
                                "fixed.wav": {"avg_logprob": -0.9, "text": "听错的"}})
    assert label_confidence(project) == {"heard": -0.45, "fixed": 0.0, "typed": 0.0}
    items = [_item("doubtful", 6.0), _item("sure", 4.0), _item("corrected", 8.5)]
    confidence = {"doubtful": -0.42, "sure": -0.12, "corrected": 0.0}
    assert choose_reference(items, set(), confidence).item.slice_id == "sure"
    assert choose_reference(items, {"sure"}, confidence).item.slice_id == "corrected"
    only_doubtful = choose_reference(items[:1] + [_item("worse", 6.0)], set(), {"doubtful": -0.42, "worse": -0.48})
    assert only_doubtful.item.slice_id == "doubtful" and "check its text" in only_doubtful.reason
    from ui.i18n import TABLES  # training says so in the studio's languages (gpt_sovits.train.prepare)

    for doubt in (only_doubtful.doubt, choose_reference([_item("short", 2.0)]).doubt):
        assert all(table[f"train.note.reference_{doubt}"].format(reference="x", seconds="2.0") for table in TABLES.values())


def test_metrics_writer_cuts_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    MetricsWriter(path).write(InfoEvent(stage="s2", message="one"))
    with open(path, "ab") as handle:
        handle.write(b'{"kind": "step", "los')  # killed in the middle of a write
    writer = MetricsWriter(path)
    writer.write(InfoEvent(stage="s2", message="two"))
    assert [r["message"] for r in read_metrics(path)] == ["one", "two"]


def test_checkpoints_keep_last_k_and_restore_rng(tmp_path: Path) -> None:
    manager = CheckpointManager(tmp_path, "s1", keep=2)
    gen = torch.Generator().manual_seed(5)
    for step in (1, 2, 3):
        manager.save({"stage": "s1", "step": step, "rng": capture_rng({"g": gen})})
    assert [p.name for p in manager.paths()] == ["s1-00000002.pt", "s1-00000003.pt"]
    state = manager.latest()
    expected = (torch.rand(3), np.random.rand(2), random.random(), torch.rand(2, generator=gen))
    torch.manual_seed(99)
    restore_rng(state["rng"], {"g": gen})
    assert torch.equal(torch.rand(3), expected[0]) and np.array_equal(np.random.rand(2), expected[1])
    assert random.random() == expected[2] and torch.equal(torch.rand(2, generator=gen), expected[3])
    manager.path_for(3).write_bytes(b"PK damaged")  # newest unreadable: fall back to the previous one
    assert manager.latest()["step"] == 2

def test_defaults_for_this_machine_ask_torch_for_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the studio's Train tab loads when a base is chosen: GPU defaults only with CUDA."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert TrainConfig.for_this_machine("gsv-v2") == TrainConfig.for_base("gsv-v2", cuda=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert TrainConfig.for_this_machine("gsv-v2").s2_epochs == 8
