"""Content-encoder conventions: frame count, alignment, the training mix, resampling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from gpt_sovits.errors import AudioFormatError
from gpt_sovits.features.content import (
    CONTENT_DIMS,
    align_frames,
    build_content_encoder,
    content_frames,
    content_input,
    prepare_wav32k,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_content_frames_equal_s2_spectrogram_frames() -> None:
    # The original's S2 spectrogram (reflect pad 704, n_fft 2048, hop 640, center=False) has
    # (n + 1408 - 2048) // 640 + 1 frames for n samples at 32 kHz.
    for n32 in (640, 1279, 1280, 20480, 48000, 48001, 38400, 32000 * 7 + 333):
        spec_frames = (n32 + 1408 - 2048) // 640 + 1
        assert content_frames(n32 // 2) == spec_frames


def test_content_frames_match_parity_fixture_spectrograms() -> None:
    io = torch.load(FIXTURES / "s2_io.pt", weights_only=True)
    for wav_key, spec_key in (("wav", "spec"), ("wav2", "spec2")):
        n32 = io["audio"][wav_key].shape[-1]
        assert content_frames(n32 // 2) == io["spec"][spec_key].shape[-1]
    # two content frames per 25 Hz token, as the fixture's extract_latent shows
    assert io["extract_latent"]["codes"].shape[-1] * 2 == io["extract_latent"]["ssl"].shape[-1]


def test_align_frames_trims_and_replicates_last_frame() -> None:
    x = torch.arange(12.0).view(1, 3, 4)
    assert torch.equal(align_frames(x, 4), x)
    assert torch.equal(align_frames(x, 2), x[..., :2])
    padded = align_frames(x, 6)
    assert padded.shape == (1, 3, 6)
    assert torch.equal(padded[..., 4], x[..., 3]) and torch.equal(padded[..., 5], x[..., 3])
    with pytest.raises(AudioFormatError):
        align_frames(torch.zeros(1, 3, 0), 1)


def test_prepare_wav32k_is_the_original_half_normalised_mix() -> None:
    rng = np.random.default_rng(0)
    x = (0.3 * rng.standard_normal(3200)).clip(-0.6, 0.6).astype(np.float32)
    peak = np.abs(x).max()
    expected = 0.5 * (x / peak * 0.95) + 0.5 * x
    np.testing.assert_allclose(prepare_wav32k(x), expected, rtol=1e-6)
    assert prepare_wav32k(x).dtype == np.float32
    # the mix's peak: 0.5 * 0.95 + 0.5 * peak
    assert np.abs(prepare_wav32k(x)).max() == pytest.approx(0.475 + 0.5 * peak, rel=1e-6)


@pytest.mark.parametrize(
    "bad",
    [np.zeros(100, np.float32), np.array([], np.float32), np.array([0.1, np.nan], np.float32),
     np.full(10, 3.0, np.float32), np.zeros((2, 10), np.float32)],
)
def test_prepare_wav32k_rejects_unusable_audio(bad: np.ndarray) -> None:
    with pytest.raises(AudioFormatError):
        prepare_wav32k(bad)


def test_content_input_halves_the_rate_and_keeps_a_tone() -> None:
    t = np.arange(32000) / 32000
    x = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    y = content_input(x)
    assert y.shape == (16000,) and y.dtype == np.float32
    spectrum = np.abs(np.fft.rfft(y))
    assert np.argmax(spectrum) == 440  # 1 Hz bins over one second


def test_factory_knows_both_encoders_and_rejects_others(tmp_path: Path) -> None:
    assert CONTENT_DIMS == {"hubert": 768, "whisper-base": 512}
    with pytest.raises(ValueError, match="unknown content encoder"):
        build_content_encoder("wav2vec", tmp_path)
