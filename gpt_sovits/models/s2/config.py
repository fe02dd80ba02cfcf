"""S2 (SoVITS ``SynthesizerTrn``) hyper-parameters and named presets.

The ``v2`` preset reproduces the official ``configs/s2.json`` (v2) so that official weights load
with strict key/shape checks. MRTE in the original is hard-wired to 192 content channels and a
512-d timbre vector, so ``hidden_channels`` must stay 192 and ``gin_channels`` 512 for any file
meant to be compatible with official tools.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpt_sovits.config import ConfigError, StrictConfig, preset

N_SYMBOLS_V1 = 322
N_SYMBOLS_V2 = 732


@dataclass
class S2Config(StrictConfig):
    """Every hyper-parameter of the S2 generator and discriminator."""

    version: str = "v2"
    n_symbols: int = N_SYMBOLS_V2
    ssl_dim: int = 768  # content features: 768 chinese-hubert-base, 512 Whisper-base encoder
    # audio / spectrogram
    sampling_rate: int = 32000
    filter_length: int = 2048
    hop_length: int = 640
    win_length: int = 2048
    n_mel_channels: int = 128
    mel_fmin: float = 0.0
    mel_fmax: float | None = None
    segment_size: int = 20480  # training slice, in samples
    ref_bins: int = 704  # linear-spectrogram bins seen by the reference encoder (v1: all 1025)
    # prior / text encoder
    inter_channels: int = 192
    hidden_channels: int = 192
    filter_channels: int = 768
    n_heads: int = 2
    n_layers: int = 6
    kernel_size: int = 3
    p_dropout: float = 0.1
    window_size: int = 4  # relative-position attention window
    mrte_channels: int = 512
    mrte_heads: int = 4
    gin_channels: int = 512
    # reference (style) encoder
    ref_hidden: int = 128
    ref_kernel_size: int = 5
    ref_heads: int = 2
    ref_dropout: float = 0.1
    # HiFi-GAN decoder
    resblock: str = "1"
    resblock_kernel_sizes: tuple[int, ...] = (3, 7, 11)
    resblock_dilation_sizes: tuple[tuple[int, ...], ...] = ((1, 3, 5), (1, 3, 5), (1, 3, 5))
    upsample_rates: tuple[int, ...] = (10, 8, 2, 2, 2)
    upsample_initial_channel: int = 512
    upsample_kernel_sizes: tuple[int, ...] = (16, 16, 8, 2, 2)
    # 0: the decoder runs at sampling_rate, one latent frame = hop_length samples (official).
    # Otherwise the decoder runs at this rate with its own hop (product of upsample_rates): latent
    # frames are re-timed to it and its audio resampled to sampling_rate inside the model (see
    # rate_bridge.py); lets the starter reuse a pretrained 22.05 kHz decoder.
    decoder_sampling_rate: int = 0
    # A harmonic (NSF) excitation in the decoder and a pitch predictor driving it at synthesis
    # (models/s2/harmonic.py): sines at 1..source_harmonics x F0. Not in official files.
    harmonic_source: bool = False
    source_harmonics: int = 8
    # "hifigan" (the original's) or "envelope": a regression onto a spectral envelope, F0 and
    # voicing rendered by a DSP vocoder (models/s2/envelope_decoder.py). Not in official files.
    decoder: str = "hifigan"
    # flow and posterior encoder (WaveNet stacks)
    n_flows: int = 4
    flow_kernel_size: int = 5
    flow_dilation_rate: int = 1
    flow_layers: int = 4
    posterior_kernel_size: int = 5
    posterior_dilation_rate: int = 1
    posterior_layers: int = 16
    # semantic tokens
    semantic_frame_rate: str = "25hz"
    codebook_size: int = 1024
    n_codebooks: int = 1
    freeze_quantizer: bool = True
    codebook_decay: float = 0.99
    codebook_epsilon: float = 1e-5
    # discriminator
    discriminator_periods: tuple[int, ...] = (2, 3, 5, 7, 11)
    discriminator_width_divisor: int = 1  # channels (and groups) / this; 1 = the official shapes
    use_spectral_norm: bool = False

    def __post_init__(self) -> None:
        problems = []
        if self.resblock not in ("1", "2"):
            problems.append(f"resblock {self.resblock!r} (HiFi-GAN has '1' and '2')")
        if self.semantic_frame_rate not in ("25hz", "50hz"):
            problems.append(f"semantic_frame_rate {self.semantic_frame_rate!r} (25hz or 50hz)")
        if self.use_spectral_norm:
            problems.append("use_spectral_norm=True (official v2 uses weight norm)")
        if self.discriminator_width_divisor not in (1, 2, 4, 8, 16):
            problems.append(f"discriminator_width_divisor {self.discriminator_width_divisor} (1, 2, 4, 8 or 16)")
        if self.hidden_channels % self.n_heads or self.mrte_channels % self.mrte_heads:
            problems.append("channel counts must be divisible by their head counts")
        if self.inter_channels % 2:
            problems.append("inter_channels must be even (flow couplings split it in halves)")
        if self.segment_size % self.hop_length:
            problems.append("segment_size must be a multiple of hop_length")
        if len(self.upsample_rates) != len(self.upsample_kernel_sizes):
            problems.append("upsample_rates and upsample_kernel_sizes differ in length")
        if len(self.resblock_kernel_sizes) != len(self.resblock_dilation_sizes):
            problems.append("resblock kernel and dilation lists differ in length")
        if self.decoder == "hifigan" and not self.decoder_sampling_rate and _product(self.upsample_rates) != self.hop_length:
            problems.append("the product of upsample_rates must equal hop_length")
        if self.decoder not in ("hifigan", "envelope"):
            problems.append(f"decoder {self.decoder!r} (hifigan or envelope)")
        if self.decoder == "envelope" and self.harmonic_source:
            problems.append("harmonic_source with the envelope decoder (it renders its own harmonics)")
        if self.source_harmonics < 1:
            problems.append("source_harmonics must be at least 1")
        if self.decoder_sampling_rate < 0:
            problems.append("decoder_sampling_rate must be 0 (same as sampling_rate) or positive")
        if problems:
            raise ConfigError("S2Config: invalid " + "; ".join(problems))

    @property
    def has_official_form(self) -> bool:
        """Whether the original GPT-SoVITS can run this network (a plain HiFi-GAN decoder)."""
        return self.decoder == "hifigan" and not self.harmonic_source

    @property
    def spec_channels(self) -> int:
        """Linear spectrogram bins: ``filter_length // 2 + 1`` (1025)."""
        return self.filter_length // 2 + 1

    @property
    def segment_frames(self) -> int:
        """Training slice length in spectrogram frames (32 for the official config)."""
        return self.segment_size // self.hop_length

    @classmethod
    def from_official(cls, hparams: dict[str, Any]) -> S2Config:
        """Build from an official ``s2.json`` / HParams dict (with ``data``/``train``/``model``).

        A dict holding only the ``model`` group is accepted too. Keys the original ignores
        (``n_layers_q``, ``add_blank``, ...) are ignored here as well.
        """
        model = dict(hparams.get("model", hparams))
        data = dict(hparams.get("data", {}))
        train = dict(hparams.get("train", {}))
        version = str(model.get("version", hparams.get("version", "v2")))
        if version not in ("v1", "v2"):
            raise ConfigError(f"official config is for {version}; only v2 (and v1) are supported")
        kwargs: dict[str, Any] = {"version": version}
        kwargs["n_symbols"] = N_SYMBOLS_V1 if version == "v1" else N_SYMBOLS_V2
        for key in _OFFICIAL_MODEL_KEYS:
            if key in model:
                kwargs[key] = model[key]
        for key in _OFFICIAL_DATA_KEYS:
            if key in data:
                kwargs[key] = data[key]
        if "segment_size" in train:
            kwargs["segment_size"] = int(train["segment_size"])
        kwargs["resblock_kernel_sizes"] = tuple(kwargs.get("resblock_kernel_sizes", (3, 7, 11)))
        kwargs["resblock_dilation_sizes"] = tuple(
            tuple(d) for d in kwargs.get("resblock_dilation_sizes", ((1, 3, 5),) * 3)
        )
        for key in ("upsample_rates", "upsample_kernel_sizes"):
            if key in kwargs:
                kwargs[key] = tuple(kwargs[key])
        filter_length = int(kwargs.get("filter_length", 2048))
        kwargs["ref_bins"] = filter_length // 2 + 1 if version == "v1" else 704
        return cls(**kwargs)

    def to_official(self) -> dict[str, Any]:
        """The ``data``/``train``/``model`` dict the original tool expects (HParams content)."""
        model = {key: _plain(getattr(self, key)) for key in _OFFICIAL_MODEL_KEYS}
        model.update(n_layers_q=3, use_spectral_norm=False, version=self.version)
        data = {key: getattr(self, key) for key in _OFFICIAL_DATA_KEYS}
        data.update(max_wav_value=32768.0, add_blank=True, n_speakers=300, cleaned_text=True)
        train = {"segment_size": self.segment_size, "seed": 1234, "learning_rate": 1e-4,
                 "betas": [0.8, 0.99], "eps": 1e-9, "lr_decay": 0.999875, "c_mel": 45,
                 "c_kl": 1.0, "text_low_lr_rate": 0.4, "fp16_run": False}
        return {"train": train, "data": data, "model": model, "version": self.version}


_OFFICIAL_MODEL_KEYS = (
    "inter_channels", "hidden_channels", "filter_channels", "n_heads", "n_layers",
    "kernel_size", "p_dropout", "resblock", "resblock_kernel_sizes", "resblock_dilation_sizes",
    "upsample_rates", "upsample_initial_channel", "upsample_kernel_sizes", "gin_channels",
    "semantic_frame_rate", "freeze_quantizer",
)
_OFFICIAL_DATA_KEYS = (
    "sampling_rate", "filter_length", "hop_length", "win_length", "n_mel_channels",
    "mel_fmin", "mel_fmax",
)


# Piper's "medium" HiFi-GAN (22.05 kHz, 256 samples per frame), so the starter can start from a
# trained decoder (gpt_sovits/pretrain/warmstart.py).
PIPER_MEDIUM_DECODER: dict[str, Any] = {
    "resblock": "2", "resblock_kernel_sizes": (3, 5, 7), "resblock_dilation_sizes": ((1, 2), (2, 6), (3, 12)),
    "upsample_rates": (8, 8, 4), "upsample_kernel_sizes": (16, 16, 8), "upsample_initial_channel": 256,
    "decoder_sampling_rate": 22050,
}


def _product(values: tuple[int, ...]) -> int:
    out = 1
    for v in values:
        out *= int(v)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


S2_PRESETS: dict[str, S2Config] = {
    # Official GPT-SoVITS v2 (configs/s2.json): loads s2G2333k.pth and fine-tuned v2 exports.
    "v2": S2Config(),
    # Same shapes as the parity fixture: fast on CPU, for tests.
    "tiny": S2Config(
        inter_channels=32, filter_channels=64, n_layers=2, upsample_initial_channel=32
    ),
    # Our offline starter profile (pretrained/starter/MODEL_CARD.md): Whisper-base features (512-d),
    # a smaller text encoder, flow and posterior for CPU training (hidden 192 / gin 512 stay as MRTE
    # expects), and the decoder of Piper's medium voices at 22.05 kHz behind a rate bridge.
    "starter": S2Config(
        ssl_dim=512, filter_channels=512, n_layers=4, flow_layers=2, posterior_layers=8,
        discriminator_periods=(2, 3), segment_size=10240, **PIPER_MEDIUM_DECODER,
    ),
}


def s2_preset(name: str) -> S2Config:
    """Named preset (``v2``, ``tiny``, ``starter``) with a helpful error for unknown names."""
    return preset(S2_PRESETS, name)


def decoder_frame_rate(cfg: S2Config) -> float:
    """Frames per second of the decoder: 50 for the official 32 kHz / 640, 86.1 for a 22.05 kHz
    decoder with hop 256 behind the rate bridge (the rate of any frame-period buzz it makes)."""
    if cfg.decoder_sampling_rate:
        return cfg.decoder_sampling_rate / _product(cfg.upsample_rates)
    return cfg.sampling_rate / cfg.hop_length
