"""A run's validation utterances stay put when its corpus grows."""

from __future__ import annotations

from types import SimpleNamespace

from gpt_sovits.pretrain.data import VAL_FILE, run_split
from gpt_sovits.train.dataset import split_items


def _items(count: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(slice_id=f"voice-{i % 5}_{i:05d}") for i in range(count)]


def ids(items: list) -> set[str]:
    return {item.slice_id for item in items}


def test_a_grown_corpus_only_adds_training_utterances(tmp_path) -> None:
    first_train, first_val = run_split(tmp_path, _items(100), 8, seed=3)
    assert (tmp_path / VAL_FILE).is_file() and len(first_val) == 8 and len(first_train) == 92
    train, val = run_split(tmp_path, _items(160), 8, seed=3)
    assert ids(val) == ids(first_val)
    assert ids(first_train) <= ids(train) and len(train) == 152
    # what a fresh seeded split of the grown corpus would do: utterances trained on become validation
    assert ids(split_items(_items(160), 8, 3)[1]) & ids(first_train)
    gone = [item for item in _items(160) if item.slice_id != sorted(ids(first_val))[0]]
    assert len(run_split(tmp_path, gone, 8, seed=3)[1]) == 7  # a listed utterance that vanished is dropped


def test_a_split_that_is_not_kept_writes_nothing(tmp_path) -> None:
    train, val = run_split(tmp_path, _items(50), 4, seed=1, keep=False)
    assert not (tmp_path / VAL_FILE).exists()
    assert (ids(train), ids(val)) == tuple(ids(part) for part in split_items(_items(50), 4, 1))
