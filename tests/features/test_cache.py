"""Per-slice feature cache: keys, round trip, invalidation hashes, pruning."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gpt_sovits.features.cache import (
    FeatureCache,
    SliceFeatures,
    audio_hash,
    feature_key,
    slice_file_stem,
    text_hash,
)


def _features(slice_id: str = "src_0000100_0064000", bert: bool = True) -> SliceFeatures:
    g = torch.Generator().manual_seed(0)
    return SliceFeatures(
        slice_id=slice_id, text="你好 OK", language="zh", norm_text="你好OK",
        phones=["n", "i3", "h", "ao3", "OW2", "K", "EY1"], phone_ids=[1, 2, 3, 4, 5, 6, 7],
        word2ph=[2, 2, 3, 0],
        content=torch.randn(768, 40, generator=g), semantic=torch.randint(0, 1024, (20,), generator=g),
        wav32k=torch.rand(25600, generator=g) * 2 - 1,
        bert=torch.randn(1024, 7, generator=g) if bert else None,
        audio_hash="a" * 64, text_hash="t" * 64,
    )


def test_keys_separate_profiles_and_encoders() -> None:
    assert feature_key("gsv-v2", "hubert") == "gsv-v2.hubert"
    assert feature_key("starter", "whisper-base") == "starter.whisper-base"
    assert feature_key("gsv-v2", "hubert") != feature_key("gsv-v2", "whisper-base")
    odd = feature_key("my voice/β", "hubert")
    assert "/" not in odd and " " not in odd and odd != feature_key("my voice/γ", "hubert")


def test_round_trip(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path / "features" / "gsv-v2.hubert")
    feats = _features()
    path = cache.save(feats)
    assert path.parent == cache.folder and path.suffix == ".safetensors"
    back = cache.load(feats.slice_id)
    assert back.phones == feats.phones and back.word2ph == feats.word2ph and back.phone_ids == feats.phone_ids
    assert (back.text, back.language, back.norm_text) == (feats.text, feats.language, feats.norm_text)
    assert torch.equal(back.content, feats.content) and torch.equal(back.semantic, feats.semantic)
    assert torch.equal(back.bert, feats.bert)
    assert torch.allclose(back.wav32k, feats.wav32k, atol=1 / 32767)  # stored as int16
    assert [p.name for p in cache.folder.iterdir()] == [path.name]  # no temporary file left


def test_no_bert_means_zeros(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    cache.save(_features(bert=False))
    back = cache.load(_features().slice_id)
    assert back.bert is None
    assert back.bert_or_zeros().shape == (1024, 7) and torch.count_nonzero(back.bert_or_zeros()) == 0


def test_freshness_and_missing_entries(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    assert cache.freshness("x", "a", "b") == (False, False)
    with pytest.raises(KeyError, match="run feature extraction"):
        cache.load("x")
    feats = _features()
    cache.save(feats)
    assert cache.freshness(feats.slice_id, "a" * 64, "t" * 64) == (True, True)
    assert cache.freshness(feats.slice_id, "a" * 64, "other") == (True, False)
    assert cache.freshness(feats.slice_id, "other", "t" * 64) == (False, True)
    cache.path(feats.slice_id).write_bytes(b"garbage")  # a corrupt entry counts as missing
    assert cache.freshness(feats.slice_id, "a" * 64, "t" * 64) == (False, False)


def test_hashes_follow_content(tmp_path: Path) -> None:
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    a.write_bytes(b"RIFF1234")
    b.write_bytes(b"RIFF1234")
    assert audio_hash(a) == audio_hash(b)
    b.write_bytes(b"RIFF1235")
    assert audio_hash(a) != audio_hash(b)
    assert text_hash("你好", "zh") != text_hash("你好", "en") != text_hash("你好!", "en")


def test_unsafe_slice_ids_get_unique_safe_names(tmp_path: Path) -> None:
    assert slice_file_stem("clip_001") == "clip_001"
    names = {slice_file_stem(s) for s in ("../x", "a/b", "a b", "你好", "你们")}
    assert len(names) == 5 and all("/" not in n and not n.startswith(".") for n in names)
    cache = FeatureCache(tmp_path)
    cache.save(_features("../evil"))
    assert cache.load("../evil").slice_id == "../evil"
    assert all(p.parent == tmp_path for p in tmp_path.iterdir())


def test_prune_removes_only_unlisted_entries(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    for name in ("keep", "drop1", "drop2"):
        cache.save(_features(name))
    (tmp_path / ".keep.safetensors.abc.tmp").write_bytes(b"partial")
    (tmp_path / "notes.txt").write_text("not ours")
    assert cache.prune({"keep"}) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.safetensors", "notes.txt"]
    assert FeatureCache(tmp_path / "missing").prune(set()) == 0
