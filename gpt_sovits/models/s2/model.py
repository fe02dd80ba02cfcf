"""``SynthesizerTrn``: the S2 ("SoVITS") generator of GPT-SoVITS v2.

Sub-modules (registration order and names as in the original, so state dicts match):
``enc_p`` (prior/text encoder), ``dec`` (HiFi-GAN), ``enc_q`` (posterior, training only),
``flow``, ``ref_enc`` (timbre), ``ssl_proj`` (content features → 25 Hz), ``quantizer`` (RVQ).

Training: :meth:`SynthesizerTrn.forward`. Inference: :meth:`extract_latent` (content features →
semantic codes), :meth:`ref_timbre` (reference spectrograms → ``ge``) and :meth:`decode`
(codes + phones + reference spectrograms → waveform).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from gpt_sovits.models.s2.config import S2Config
from gpt_sovits.models.s2.envelope_decoder import EnvelopeDecoder, EnvelopeFrames, PitchControl
from gpt_sovits.models.s2.flow import ResidualCouplingBlock
from gpt_sovits.models.s2.hifigan import Generator
from gpt_sovits.models.s2.posterior import PosteriorEncoder
from gpt_sovits.models.s2.quantizer import ResidualVectorQuantizer
from gpt_sovits.models.s2.rate_bridge import RateBridgedGenerator
from gpt_sovits.models.s2.ref_encoder import MelStyleEncoder
from gpt_sovits.models.s2.segments import length_mask, rand_slice_segments, slice_segments
from gpt_sovits.models.s2.text_encoder import TextEncoder
from gpt_sovits.models.s2.weight_norm import fold_weight_norm

RefSpecs = torch.Tensor | Sequence[torch.Tensor]


@dataclass
class S2TrainOutput:
    """What the S2 losses need from one training forward pass."""

    y_hat: torch.Tensor | None  # [B, 1, segment_size] generated waveform slice (None: envelope decoder)
    ids_slice: torch.Tensor  # [B] start frame of each slice
    y_mask: torch.Tensor  # [B, 1, T] spectrogram frame mask
    z: torch.Tensor  # [B, inter, T] posterior sample
    z_p: torch.Tensor  # [B, inter, T] flow(z)
    m_p: torch.Tensor  # [B, inter, T] prior mean
    logs_p: torch.Tensor  # [B, inter, T] prior log-std
    m_q: torch.Tensor  # [B, inter, T] posterior mean
    logs_q: torch.Tensor  # [B, inter, T] posterior log-std
    commit_loss: torch.Tensor  # scalar (0 when the quantizer is frozen)
    quantized: torch.Tensor  # [B, ssl_dim, T] upsampled codebook vectors
    ge: torch.Tensor | None = None  # [B, gin, 1] timbre vector (self-reference)
    f0_slice: torch.Tensor | None = None  # [B, segment_frames] F0 the decoder spoke at (harmonic source)
    pitch: tuple[torch.Tensor, torch.Tensor] | None = None  # predicted (log F0 / 100, voicing) [B, T] from z
    envelope: EnvelopeFrames | None = None  # the envelope decoder's frames [B, 2T, ...] of the whole z


@dataclass
class S2DecodeResult:
    """Waveform plus the intermediates of :meth:`SynthesizerTrn.decode` (for parity checks)."""

    audio: torch.Tensor  # [B, 1, T' * hop]
    ge_per_refer: list[torch.Tensor]  # each [B, gin, 1]
    ge: torch.Tensor  # mean of ge_per_refer
    quantized_upsampled: torch.Tensor  # [B, ssl_dim, 2 * N]
    enc_p_x: torch.Tensor  # [B, hidden, T'] encoder output after speed resampling
    m_p: torch.Tensor  # [B, inter, T']
    logs_p: torch.Tensor
    y_mask: torch.Tensor  # [B, 1, T']
    z: torch.Tensor  # reverse-flow output
    dec_in: torch.Tensor  # z * y_mask


class SynthesizerTrn(nn.Module):
    """S2 generator. ``with_posterior=False`` builds it without ``enc_q`` (inference only)."""

    def __init__(self, cfg: S2Config, with_posterior: bool = True) -> None:
        super().__init__()
        self.cfg = cfg
        self.enc_p = TextEncoder(cfg)
        self.dec = build_decoder(cfg)
        if with_posterior:
            self.enc_q = PosteriorEncoder(
                cfg.spec_channels, cfg.inter_channels, cfg.hidden_channels,
                cfg.posterior_kernel_size, cfg.posterior_dilation_rate, cfg.posterior_layers,
                gin_channels=cfg.gin_channels,
            )
        self.flow = ResidualCouplingBlock(
            cfg.inter_channels, cfg.hidden_channels, cfg.flow_kernel_size,
            cfg.flow_dilation_rate, cfg.flow_layers, cfg.n_flows, gin_channels=cfg.gin_channels,
        )
        self.ref_enc = MelStyleEncoder(
            cfg.ref_bins, cfg.gin_channels, cfg.ref_hidden, cfg.ref_kernel_size, cfg.ref_heads,
            cfg.ref_dropout,
        )
        stride = 2 if cfg.semantic_frame_rate == "25hz" else 1
        self.ssl_proj = nn.Conv1d(cfg.ssl_dim, cfg.ssl_dim, stride, stride=stride)
        self.quantizer = ResidualVectorQuantizer(
            cfg.ssl_dim, cfg.codebook_size, cfg.n_codebooks, frozen=cfg.freeze_quantizer,
            decay=cfg.codebook_decay, epsilon=cfg.codebook_epsilon,
        )

    # ----------------------------------------------------------------------------- helpers
    @property
    def controls_pitch(self) -> bool:
        """Its decoder predicts the melody, so synthesis can shift or widen it (``decode(pitch=...)``)."""
        return isinstance(self.dec, EnvelopeDecoder)

    @property
    def has_posterior(self) -> bool:
        return hasattr(self, "enc_q")

    def drop_posterior(self) -> None:
        """Delete ``enc_q`` (not needed for inference; absent from exported weights)."""
        if self.has_posterior:
            del self.enc_q

    def fold_weight_norm(self) -> int:
        """Fold weight norm into plain weights everywhere (same outputs, faster inference)."""
        return fold_weight_norm(self)

    remove_weight_norm = fold_weight_norm

    def _upsample_codes(self, quantized: torch.Tensor) -> torch.Tensor:
        if self.cfg.semantic_frame_rate == "25hz":
            return F.interpolate(quantized, size=2 * quantized.shape[-1], mode="nearest")
        return quantized

    def _timbre(self, spec: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """``ge`` ``[B, gin, 1]`` of one (batch of) reference spectrogram(s) ``[B, F, T]``."""
        if lengths is None:
            lengths = torch.full((spec.shape[0],), spec.shape[2], device=spec.device)
        mask = length_mask(lengths, spec.shape[2], spec.dtype)
        return self.ref_enc(spec[:, : self.cfg.ref_bins] * mask, mask)

    # ----------------------------------------------------------------------------- training
    def forward(
        self,
        ssl: torch.Tensor,
        spec: torch.Tensor,
        spec_lengths: torch.Tensor,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        generator: torch.Generator | None = None,
        f0: torch.Tensor | None = None,
    ) -> S2TrainOutput:
        """Training pass. ``ssl`` ``[B, ssl_dim, T]`` (50 Hz), ``spec`` ``[B, 1025, T]``,
        ``text`` ``[B, L]``; ``T`` must be even and equal for ``ssl`` and ``spec``.
        The timbre vector comes from the same utterance's spectrogram (self-reference).
        A decoder with a harmonic source speaks the slice at the true pitch ``f0`` ``[B, T]``
        (Hz, 0 = unvoiced; required then), and its pitch predictor reads ``z`` (``out.pitch``)."""
        if not self.has_posterior:
            raise RuntimeError("this SynthesizerTrn has no enc_q; build it with_posterior=True")
        y_mask = length_mask(spec_lengths, spec.shape[2], spec.dtype)
        ge = self.ref_enc(spec[:, : self.cfg.ref_bins] * y_mask, y_mask)
        quantized, _, commit_loss = self._project_and_quantize(ssl)
        quantized = self._upsample_codes(quantized)
        if quantized.shape[-1] != spec.shape[-1]:
            raise ValueError(
                f"content features give {quantized.shape[-1]} frames but the spectrogram has "
                f"{spec.shape[-1]}; pad both to the same even length"
            )
        _, m_p, logs_p, _ = self.enc_p(quantized, spec_lengths, text, text_lengths, ge)
        z, m_q, logs_q, y_mask = self.enc_q(spec, spec_lengths, g=ge, generator=generator)
        z_p = self.flow(z, y_mask, g=ge)
        z_slice, ids_slice = rand_slice_segments(
            z, spec_lengths, self.cfg.segment_frames, generator
        )
        if isinstance(self.dec, EnvelopeDecoder):  # a regression on the whole utterance, no waveform
            return S2TrainOutput(None, ids_slice, y_mask, z, z_p, m_p, logs_p, m_q, logs_q, commit_loss,
                                 quantized, ge, envelope=self.dec.predict(z, ge))
        f0_slice = pitch = None
        if self.dec.has_source:
            if f0 is None:
                raise ValueError("a decoder with a harmonic source trains on the true pitch: pass f0")
            f0_slice = slice_segments(f0[:, None], ids_slice, self.cfg.segment_frames)[:, 0]
            pitch = self.dec.pitch(z, ge)
        y_hat = self.dec(z_slice, g=ge, f0=f0_slice, generator=generator)
        return S2TrainOutput(
            y_hat, ids_slice, y_mask, z, z_p, m_p, logs_p, m_q, logs_q, commit_loss, quantized, ge,
            f0_slice, pitch,
        )

    def decode_prior_slice(self, out: S2TrainOutput, noise_scale: float,
                           generator: torch.Generator | None = None) -> torch.Tensor:
        """The waveform slice ``[B, 1, segment_size]`` that inference would make from this
        pass's prior (``m_p + N(0, 1) exp(logs_p) noise_scale``, reverse flow, decoder), over the
        same frames as ``out.y_hat`` (at the same true pitch, with a harmonic source); differentiable,
        for training the inference path itself."""
        return self.prior_slice(out, noise_scale, generator)[0]

    def prior_latent(self, out: S2TrainOutput, noise_scale: float, generator: torch.Generator | None = None
                     ) -> torch.Tensor:
        """The latent ``[B, inter, T]`` inference would decode from this pass's prior
        (``m_p + N(0, 1) exp(logs_p) noise_scale``, reverse flow), differentiable."""
        noise = torch.randn(out.m_p.shape, generator=generator, dtype=torch.float32,
                            device=out.m_p.device).to(out.m_p.dtype)
        z_p = out.m_p + noise * torch.exp(out.logs_p) * noise_scale
        return self.flow(z_p, out.y_mask, g=out.ge, reverse=True) * out.y_mask

    def prior_envelope(self, out: S2TrainOutput, noise_scale: float, generator: torch.Generator | None = None
                       ) -> EnvelopeFrames:
        """The envelope decoder's frames of :meth:`prior_latent` (what synthesis renders)."""
        if not isinstance(self.dec, EnvelopeDecoder):
            raise TypeError("prior_envelope needs the envelope decoder")
        return self.dec.predict(self.prior_latent(out, noise_scale, generator), out.ge)

    def prior_slice(self, out: S2TrainOutput, noise_scale: float, generator: torch.Generator | None = None
                    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None]:
        """:meth:`decode_prior_slice`'s waveform, and with a harmonic source the pitch predictor's
        reading ``(log F0 / 100, voicing)`` ``[B, T]`` of the whole prior latent: the latent it
        reads at synthesis."""
        z = self.prior_latent(out, noise_scale, generator)
        wave = self.dec(slice_segments(z, out.ids_slice, self.cfg.segment_frames), g=out.ge, f0=out.f0_slice,
                        generator=generator)
        return wave, (self.dec.pitch(z, out.ge) if self.dec.has_source else None)

    def _project_and_quantize(
        self, ssl: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if self.cfg.freeze_quantizer:
            self.ssl_proj.eval()
            self.quantizer.eval()
            with torch.no_grad():
                return self.quantizer(self.ssl_proj(ssl))
        return self.quantizer(self.ssl_proj(ssl))

    # ----------------------------------------------------------------------------- inference
    def extract_latent(self, ssl: torch.Tensor) -> torch.Tensor:
        """Content features ``[B, ssl_dim, T]`` → semantic codes ``[B, n_q, T // 2]`` (int64)."""
        return self.quantizer.encode(self.ssl_proj(ssl)).transpose(0, 1)

    def ref_timbre(self, specs: RefSpecs) -> torch.Tensor:
        """Timbre vector ``[B, gin, 1]``: mean of the ``ge`` of every reference spectrogram."""
        return torch.stack(self._ge_per_refer(specs)).mean(0)

    def _ge_per_refer(self, specs: RefSpecs) -> list[torch.Tensor]:
        if isinstance(specs, torch.Tensor):
            specs = [specs]
        if len(specs) == 0:
            raise ValueError("at least one reference spectrogram is needed")
        return [self._timbre(spec) for spec in specs]

    @torch.inference_mode()
    def decode(
        self,
        codes: torch.Tensor,
        phones: torch.Tensor,
        refer_specs: RefSpecs,
        noise_scale: float = 0.5,
        length_scale: float = 1.0,
        generator: torch.Generator | None = None,
        code_lengths: torch.Tensor | None = None,
        phone_lengths: torch.Tensor | None = None,
        return_intermediates: bool = False,
        pitch: PitchControl | None = None,
    ) -> torch.Tensor | S2DecodeResult:
        """Semantic codes → waveform ``[B, 1, 2 * N * hop]`` (at ``length_scale`` 1).

        ``codes`` ``[n_q, B, N]`` (the original's layout; ``[1, 1, N]`` for one item),
        ``phones`` ``[B, L]`` target phone ids, ``refer_specs`` one ``[B|1, 1025, T]`` tensor or
        a list of them (their ``ge`` are averaged). ``length_scale`` = 1 / speed. Noise is
        ``N(0, 1) * exp(logs_p) * noise_scale`` drawn from ``generator`` (global RNG if None).
        Optional lengths decode a padded batch. ``pitch`` shifts or widens the melody; only a decoder
        that predicts its own pitch (:attr:`controls_pitch`) can, others raise ValueError.
        """
        if pitch is not None and not pitch.neutral and not self.controls_pitch:
            raise ValueError(PITCH_UNSUPPORTED)
        ge_list = self._ge_per_refer(refer_specs)
        ge = torch.stack(ge_list).mean(0)
        factor = 2 if self.cfg.semantic_frame_rate == "25hz" else 1
        batch = codes.shape[1]
        if code_lengths is None:
            y_lengths = torch.full((batch,), factor * codes.shape[2], device=codes.device)
        else:
            y_lengths = code_lengths.to(codes.device) * factor
        if phone_lengths is None:
            phone_lengths = torch.full((batch,), phones.shape[-1], device=phones.device)
        quantized = self._upsample_codes(self.quantizer.decode(codes))
        speed = 1.0 / length_scale
        x, m_p, logs_p, y_mask = self.enc_p(quantized, y_lengths, phones, phone_lengths, ge, speed)
        noise = torch.randn(m_p.shape, generator=generator, dtype=m_p.dtype, device=m_p.device)
        z_p = m_p + noise * torch.exp(logs_p) * noise_scale
        z = self.flow(z_p, y_mask, g=ge, reverse=True)
        dec_in = z * y_mask
        extra = {"pitch": pitch} if self.controls_pitch else {}
        audio = self.dec(dec_in, g=ge, generator=generator, **extra)  # the envelope decoder draws its noise here
        if not return_intermediates:
            return audio
        return S2DecodeResult(
            audio, ge_list, ge, quantized, x, m_p, logs_p, y_mask, z, dec_in
        )


PITCH_UNSUPPORTED = ("this voice's decoder (HiFi-GAN, as in the official GPT-SoVITS) cannot change pitch or "
                     "intonation; set pitch to 0 and intonation to 1, or use a voice trained on the starter base")


def build_decoder(cfg: S2Config) -> Generator | EnvelopeDecoder:
    """The HiFi-GAN decoder; bridged to its own sample rate when ``decoder_sampling_rate`` is set,
    with a harmonic source and pitch predictor when ``harmonic_source`` is. With ``decoder``
    "envelope", the envelope decoder instead."""
    if cfg.decoder == "envelope":
        return EnvelopeDecoder(cfg.inter_channels, cfg.gin_channels, cfg.sampling_rate, cfg.hop_length)
    args = (cfg.inter_channels, cfg.resblock_kernel_sizes, cfg.resblock_dilation_sizes,
            cfg.upsample_rates, cfg.upsample_initial_channel, cfg.upsample_kernel_sizes)
    kwargs = {"gin_channels": cfg.gin_channels, "resblock": cfg.resblock}
    if cfg.decoder_sampling_rate:
        dec = RateBridgedGenerator(*args, sampling_rate=cfg.sampling_rate, hop_length=cfg.hop_length,
                                   decoder_rate=cfg.decoder_sampling_rate, **kwargs)
    else:
        dec = Generator(*args, **kwargs)
    if cfg.harmonic_source:
        dec.add_harmonic_source(cfg.decoder_sampling_rate or cfg.sampling_rate, cfg.source_harmonics)
    return dec
