"""The feature-extraction stage with small stand-in encoders (fast, deterministic)."""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from torch import nn

from gpt_sovits.features.bert import BertFeaturizer
from gpt_sovits.features.cache import FeatureCache
from gpt_sovits.features.content import content_frames
from gpt_sovits.features.stage import Extractors, SliceItem, extract_features, text_language

DIM = 8
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HAS_S2 = importlib.util.find_spec("gpt_sovits.models.s2.model") is not None


class CountingEncoder:
    """A content encoder stand-in: per-frame statistics of the audio, counting its calls."""

    name = "stub"
    dim = DIM

    def __init__(self, crash_on_call: int | None = None) -> None:
        self.calls = 0
        self.crash_on_call = crash_on_call

    def encode(self, wav16k: np.ndarray) -> torch.Tensor:
        self.calls += 1
        if self.crash_on_call == self.calls:
            raise KeyboardInterrupt("simulated kill")
        t = content_frames(wav16k.shape[0])
        frames = torch.from_numpy(wav16k[: t * 320].reshape(t, 320).copy())  # [t, 320]
        stats = torch.stack([frames.std(1) * (k + 1) for k in range(DIM)])  # [dim, t]
        return stats[None]


class TinyS2(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.ssl_proj = nn.Conv1d(DIM, DIM, 2, stride=2)
        self.codebook = nn.Parameter(torch.randn(32, DIM))

    def extract_latent(self, ssl: torch.Tensor) -> torch.Tensor:
        x = self.ssl_proj(ssl).transpose(1, 2)  # [1, t25, d]
        return torch.cdist(x, self.codebook[None]).argmin(-1)[:, None]  # [1, 1, t25]


class FakeProject:
    def __init__(self, root: Path) -> None:
        self.root = root

    def features_dir(self, key: str) -> Path:
        return self.root / "features" / key

    @contextlib.contextmanager
    def lock(self, what: str = "a step") -> Iterator[None]:
        yield


class FakeProfile:
    name, content_encoder, bert, s2g = "starter", "stub", None, Path("unused")


def _wav(path: Path, seconds: float, freq: float, amp: float = 0.3) -> Path:
    t = np.arange(int(seconds * 32000)) / 32000
    sf.write(path, (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32), 32000, subtype="PCM_16")
    return path


@pytest.fixture
def setup(tmp_path: Path) -> tuple[FakeProject, list[SliceItem], Extractors, CountingEncoder]:
    slices = tmp_path / "slices"
    slices.mkdir()
    items = [
        SliceItem("a", _wav(slices / "a.wav", 1.0, 220), "你好，世界。", "ZH"),
        SliceItem("b", _wav(slices / "b.wav", 1.5, 330), "Hello world, this is a test.", "en"),
        SliceItem("c", _wav(slices / "c.wav", 0.7, 440), "我是中国人 OK", "zh"),
    ]
    encoder = CountingEncoder()
    return FakeProject(tmp_path), items, Extractors("starter.stub", encoder, TinyS2()), encoder


def test_first_run_extracts_everything_then_nothing(setup) -> None:  # noqa: ANN001
    project, items, ex, encoder = setup
    seen: list[tuple[float, str]] = []
    report = extract_features(project, FakeProfile(), lambda f, m: seen.append((f, m)), items=items, extractors=ex)
    assert (report.extracted, report.text_only, report.up_to_date, report.failed) == (3, 0, 0, {})
    assert report.audio_seconds == pytest.approx(3.2)
    assert encoder.calls == 3
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    cache = FeatureCache(project.features_dir("starter.stub"))
    feats = cache.load("b")
    assert feats.content.shape == (DIM, 75) and feats.semantic.shape == (37,)  # 1.5 s: 75 frames, 37 tokens
    assert feats.wav32k.shape == (48000,) and feats.bert is None
    assert len(feats.phone_ids) == len(feats.phones) == sum(feats.word2ph)
    assert np.abs(feats.wav32k.numpy()).max() == pytest.approx(0.475 + 0.5 * 0.3, abs=1e-3)  # the mix
    again = extract_features(project, FakeProfile(), items=items, extractors=ex)
    assert (again.extracted, again.text_only, again.up_to_date) == (0, 0, 3)
    assert encoder.calls == 3


def test_editing_a_label_redoes_only_its_text_features(setup) -> None:  # noqa: ANN001
    project, items, ex, encoder = setup
    extract_features(project, FakeProfile(), items=items, extractors=ex)
    cache = FeatureCache(project.features_dir("starter.stub"))
    before = cache.load("a")
    items[0] = SliceItem("a", items[0].wav_path, "你好。", "zh")
    report = extract_features(project, FakeProfile(), items=items, extractors=ex)
    assert (report.extracted, report.text_only, report.up_to_date) == (0, 1, 2)
    assert encoder.calls == 3  # no audio re-encoded
    after = cache.load("a")
    assert after.text == "你好。" and after.phones != before.phones
    assert torch.equal(after.content, before.content) and torch.equal(after.semantic, before.semantic)


def test_replacing_a_wav_redoes_that_slice_only(setup) -> None:  # noqa: ANN001
    project, items, ex, encoder = setup
    extract_features(project, FakeProfile(), items=items, extractors=ex)
    _wav(items[1].wav_path, 1.0, 550)
    report = extract_features(project, FakeProfile(), items=items, extractors=ex)
    assert (report.extracted, report.up_to_date) == (1, 2) and encoder.calls == 4
    assert FeatureCache(project.features_dir("starter.stub")).load("b").content.shape == (DIM, 50)


def test_bad_slices_are_reported_and_others_still_done(setup, tmp_path: Path) -> None:  # noqa: ANN001
    project, items, ex, _ = setup
    silent = tmp_path / "slices" / "silent.wav"
    sf.write(silent, np.zeros(32000, np.float32), 32000)
    items += [
        SliceItem("silent", silent, "你好", "zh"),
        SliceItem("emoji", items[0].wav_path, "🙂🙂", "zh"),
        SliceItem("gone", tmp_path / "slices" / "gone.wav", "你好", "zh"),
        SliceItem("klingon", items[0].wav_path, "你好", "tlh"),
    ]
    report = extract_features(project, FakeProfile(), items=items, extractors=ex)
    assert report.extracted == 3 and set(report.failed) == {"silent", "emoji", "gone", "klingon"}
    assert "silence" in report.failed["silent"] and report.ready == 3


def test_a_killed_run_resumes_where_it_stopped(setup) -> None:  # noqa: ANN001
    project, items, ex, _ = setup
    crashing = CountingEncoder(crash_on_call=2)
    with pytest.raises(KeyboardInterrupt):
        extract_features(project, FakeProfile(), items=items, extractors=Extractors(ex.key, crashing, ex.s2))
    report = extract_features(project, FakeProfile(), items=items, extractors=ex)
    assert (report.extracted, report.up_to_date) == (2, 1)


def test_profiles_never_share_a_cache_and_stale_entries_are_pruned(setup) -> None:  # noqa: ANN001
    project, items, ex, _ = setup
    extract_features(project, FakeProfile(), items=items, extractors=ex)
    other = Extractors("gsv-v2.hubert", ex.content, ex.s2)
    assert extract_features(project, FakeProfile(), items=items[:1], extractors=other).extracted == 1
    assert extract_features(project, FakeProfile(), items=items[:2], extractors=ex).pruned == 1
    names = sorted(p.name for p in (project.root / "features").iterdir())
    assert names == ["gsv-v2.hubert", "starter.stub"]
    with pytest.raises(ValueError, match="unique"):
        extract_features(project, FakeProfile(), items=[items[0], items[0]], extractors=ex)


def test_bert_features_for_profiles_with_bert(setup, tiny_bert_dir: Path) -> None:  # noqa: ANN001
    project, items, ex, _ = setup
    bert = BertFeaturizer.from_dir(tiny_bert_dir)
    extract_features(project, FakeProfile(), items=items, extractors=Extractors(ex.key, ex.content, ex.s2, bert))
    cache = FeatureCache(project.features_dir(ex.key))
    zh, en, mixed = cache.load("a"), cache.load("b"), cache.load("c")
    assert zh.bert.shape == (bert.dim, len(zh.phones)) and torch.count_nonzero(zh.bert.abs().sum(0)) == len(zh.phones)
    assert torch.count_nonzero(en.bert) == 0
    nonzero = mixed.bert.abs().sum(0) > 0
    assert 0 < int(nonzero.sum()) < len(mixed.phones)  # zh part has features, "OK" has zeros


def test_label_languages() -> None:
    assert [text_language(x) for x in ("ZH", "zh", "all_zh", "EN", "auto")] == ["zh", "zh", "zh", "en", "auto"]


def test_with_the_real_project_workspace(setup, tmp_path: Path) -> None:  # noqa: ANN001
    from gpt_sovits.data.project import Workspace

    _, items, ex, _ = setup
    project = Workspace(tmp_path / "ws").create_project("Alice")
    report = extract_features(project, FakeProfile(), items=items, extractors=ex)
    assert report.extracted == 3
    assert Path(report.folder) == project.root / "features" / "starter.stub"


@pytest.mark.skipif(not HAS_S2, reason="S2 network (gpt_sovits.models.s2.model) not there yet")
def test_gsv_v2_style_profile_end_to_end(setup, tmp_path: Path, tiny_bert_dir: Path) -> None:  # noqa: ANN001
    """build_extractors from a pretrained/ folder: 768-d HuBERT (tiny), BERT, the parity S2."""
    import shutil

    from transformers import HubertConfig, HubertModel

    from gpt_sovits.features.stage import build_extractors
    from gpt_sovits.registry import HUBERT_DIR, ROBERTA_DIR

    project, items, _, _ = setup
    root = tmp_path / "pretrained"
    torch.manual_seed(0)
    HubertModel(HubertConfig(hidden_size=768, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                             conv_dim=(8,) * 7, num_conv_pos_embeddings=4, num_conv_pos_embedding_groups=16)
                ).save_pretrained(root / HUBERT_DIR)
    shutil.copytree(tiny_bert_dir, root / ROBERTA_DIR)

    class Profile:
        name, content_encoder, bert, s2g = "gsv-v2", "hubert", "roberta", FIXTURES / "s2G.pth"

    ex = build_extractors(Profile(), root)
    assert ex.key == "gsv-v2.hubert" and ex.content.dim == 768 and ex.bert is not None
    report = extract_features(project, Profile(), items=items[:2], extractors=ex)
    assert report.extracted == 2 and not report.failed
    feats = FeatureCache(project.features_dir("gsv-v2.hubert")).load("a")
    assert feats.content.shape == (768, 50) and feats.semantic.shape == (25,)
    assert int(feats.semantic.max()) < 1024 and feats.bert.shape[1] == len(feats.phones)
