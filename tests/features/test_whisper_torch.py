"""The torch copy of Whisper-base's encoder: the same features as the CTranslate2 encoder, from the
same model.bin, with gradients (the S2 Whisper feature loss needs them)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from gpt_sovits import whisper_assets
from gpt_sovits.features.whisper_torch import WhisperTorchEncoder, read_ct2_variables, whisper_log_mel

HAS_WHISPER = whisper_assets.package_data_dirs() is not None


def _speechy(seconds: float, sr: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    f0 = 140 + 30 * np.sin(2 * np.pi * 0.7 * t)
    voiced = sum(np.sin(2 * np.pi * k * np.cumsum(f0) / sr) / k for k in range(1, 12))
    return (0.1 * voiced * (1 + np.sin(2 * np.pi * 4 * t)) + 0.01 * rng.standard_normal(t.shape)).astype(np.float32)


def _write_ct2(path: Path, variables: dict[str, np.ndarray], version: int = 6) -> None:
    codes = {np.dtype(np.float32): 0, np.dtype(np.int8): 1, np.dtype(np.int16): 2, np.dtype(np.float16): 4}

    def name(text: str) -> bytes:
        raw = text.encode() + b"\0"
        return struct.pack("<H", len(raw)) + raw

    blob = struct.pack("<I", version) + name("TestSpec") + struct.pack("<II", 1, len(variables))
    for key, value in variables.items():
        data = value.tobytes()
        blob += name(key) + struct.pack("<B", value.ndim) + struct.pack(f"<{value.ndim}I", *value.shape)
        blob += struct.pack("<BI", codes[value.dtype], len(data)) + data
    path.write_bytes(blob + struct.pack("<I", 0))


def test_ct2_variables_are_read_with_their_shapes_and_types(tmp_path: Path) -> None:
    weights = np.arange(6, dtype=np.float16).reshape(2, 3)
    _write_ct2(tmp_path / "model.bin", {"decoder/x": np.ones(4, np.float32), "encoder/w": weights,
                                        "encoder/num_heads": np.array(8, np.int16)})
    got = read_ct2_variables(tmp_path / "model.bin")
    assert sorted(got) == ["encoder/num_heads", "encoder/w"]
    assert got["encoder/w"].dtype == np.float16 and np.array_equal(got["encoder/w"], weights)
    assert int(got["encoder/num_heads"]) == 8


def test_an_unknown_model_format_is_refused_with_the_fix(tmp_path: Path) -> None:
    _write_ct2(tmp_path / "model.bin", {"encoder/w": np.ones(2, np.float32)}, version=5)
    with pytest.raises(ValueError, match="format 5.*download whisper"):
        read_ct2_variables(tmp_path / "model.bin")


def test_log_mel_at_32khz_matches_the_16khz_one_of_the_same_sound() -> None:
    import librosa

    wav16 = _speechy(1.0, 16000, 0)
    wav32 = librosa.resample(wav16, orig_sr=16000, target_sr=32000)
    a = whisper_log_mel(torch.from_numpy(wav16)[None])
    b = whisper_log_mel(torch.from_numpy(wav32)[None], 32000)
    assert a.shape == b.shape == (1, 80, 100)
    assert (a - b)[..., 2:-2].abs().mean() < 0.01  # the edges differ by the resampler's filter


def test_log_mel_refuses_a_rate_it_cannot_frame() -> None:
    with pytest.raises(ValueError, match="multiple of 100"):
        whisper_log_mel(torch.zeros(1, 22050), 22050)


@pytest.mark.skipif(not HAS_WHISPER, reason="Whisper-base packages not installed")
def test_the_torch_encoder_gives_the_ctranslate2_features() -> None:
    from gpt_sovits.features.whisper_encoder import WINDOW_SAMPLES, WhisperContentEncoder
    from gpt_sovits.registry import whisper_model_dir

    wav = _speechy(3.0, 16000, 1)
    ct2 = WhisperContentEncoder(whisper_model_dir(), batch_size=1)
    expected = ct2.encode(wav)[0].T  # [150, 512]
    padded = np.zeros(WINDOW_SAMPLES, np.float32)
    padded[: wav.shape[0]] = wav
    mel = whisper_log_mel(torch.from_numpy(padded)[None])
    assert np.abs(mel[0].numpy() - ct2.log_mel(wav)).max() < 1e-3
    model = WhisperTorchEncoder.from_ct2(whisper_model_dir())
    with torch.no_grad():
        got = model(mel)[-1][0, : expected.shape[0]]
    assert (got - expected).abs().max() < 1e-2 * expected.abs().mean()
