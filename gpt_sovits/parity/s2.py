"""S2 parity: reproduce every output stored in ``s2_io.pt`` from ``s2G.pth`` (and ``s2G_full.pth``).

Works on any folder with that layout: the model is built from the weights file's own config.
Tolerances follow ``parity/README.md`` §6: spectrogram/mel relative 1e-5, integer outputs exact,
S2 intermediates and audio absolute 1e-4.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gpt_sovits.parity.report import CheckResult, compare

SPEC_TOL = 1e-5
GE_TOL = 1e-4
S2_TOL = 1e-4
DECODE_FIELDS = ("quantized_upsampled", "enc_p_x", "m_p", "logs_p", "y_mask", "z", "dec_in", "audio")


def check_s2(folder: Path) -> list[CheckResult]:
    """Run every S2 check defined by ``folder/s2_io.pt`` against ``folder/s2G.pth``."""
    import torch

    folder = Path(folder)
    missing = [n for n in ("s2_io.pt", "s2G.pth") if not (folder / n).is_file()]
    if missing:
        return [CheckResult("s2.files", float("inf"), 0.0, "exact", False,
                            f"missing {', '.join(missing)} in {folder}")]
    io = torch.load(folder / "s2_io.pt", map_location="cpu", weights_only=True)
    model, cfg = _load_model(folder / "s2G.pth")
    results = _check_dsp(io, cfg)
    with torch.inference_mode():
        results += _check_encoders(model, io, cfg)
        for case, ref in io["decode"].items():
            results += _check_decode_case(model, io, case, ref)
        full = folder / "s2G_full.pth"
        if full.is_file():
            results += _check_full_file(full, model, io)
    return results


def _load_model(path: Path) -> tuple[Any, Any]:
    from gpt_sovits.checkpoint.s2_official import load_official_s2
    from gpt_sovits.models.s2.model import SynthesizerTrn

    cfg, weights, has_enc_q = load_official_s2(path)
    model = SynthesizerTrn(cfg, with_posterior=has_enc_q)
    model.load_state_dict(weights, strict=True)
    model.drop_posterior()
    return model.eval(), cfg


def _check_dsp(io: dict[str, Any], cfg: Any) -> list[CheckResult]:
    from gpt_sovits.audio.spectral import linear_spectrogram, mel_spectrogram, spec_to_mel

    stft = dict(n_fft=cfg.filter_length, hop=cfg.hop_length, win=cfg.win_length)
    mel = dict(sr=cfg.sampling_rate, n_fft=cfg.filter_length, n_mels=cfg.n_mel_channels,
               fmin=cfg.mel_fmin, fmax=cfg.mel_fmax)
    wav, wav2 = io["audio"]["wav"], io["audio"]["wav2"]
    return [
        _compare_to_peak("s2.spec", linear_spectrogram(wav, **stft), io["spec"]["spec"]),
        _compare_to_peak("s2.spec2", linear_spectrogram(wav2, **stft), io["spec"]["spec2"]),
        compare("s2.mel", mel_spectrogram(wav, hop=cfg.hop_length, win=cfg.win_length, **mel),
                io["mel"]["mel"], SPEC_TOL, "rel"),
        compare("s2.mel_from_spec", spec_to_mel(io["spec"]["spec"], **mel),
                io["mel"]["mel_from_spec"], SPEC_TOL, "rel"),
    ]


def _compare_to_peak(name: str, ours: Any, ref: Any) -> CheckResult:
    """Magnitude spectra: error relative to the peak magnitude.

    FFT round-off is proportional to the frame's energy, not to each bin, so a per-bin relative
    error is meaningless for quiet bins (even a float64 STFT differs from the stored float32
    reference by 3e-5 absolute, 7e-6 per-bin-relative).
    """
    if tuple(ours.shape) != tuple(ref.shape):
        return compare(name, ours, ref, SPEC_TOL, "rel")
    err = float((ours.double() - ref.double()).abs().max() / ref.double().abs().max())
    return CheckResult(name, err, SPEC_TOL, "rel", err <= SPEC_TOL, "relative to peak magnitude")


def _check_encoders(model: Any, io: dict[str, Any], cfg: Any) -> list[CheckResult]:
    import torch

    spec = io["spec"]["spec"]
    mask = torch.ones(spec.shape[0], 1, spec.shape[2])
    ge = model.ref_enc(spec[:, : cfg.ref_bins] * mask, mask)
    latent = io["extract_latent"]
    return [
        compare("s2.ref_enc.ge", ge, io["ref_enc"]["ge"], GE_TOL),
        compare("s2.ssl_proj_out", model.ssl_proj(latent["ssl"]), latent["ssl_proj_out"], S2_TOL),
        compare("s2.codes", model.extract_latent(latent["ssl"]), latent["codes"], 0.0, "exact"),
    ]


def _refers(io: dict[str, Any], ref: dict[str, Any]) -> Any:
    spec = io["spec"]["spec"]
    if "refer_tensor" in str(ref.get("function", "")):
        return spec
    if int(ref.get("n_refers", 1)) == 2:
        return [spec, io["spec"]["spec2"]]
    return [spec]


def _check_decode_case(model: Any, io: dict[str, Any], case: str, ref: dict[str, Any]) -> list[CheckResult]:
    import torch

    inputs = io["decode_inputs"]
    torch.manual_seed(0)
    out = model.decode(
        inputs["codes"], inputs["text"], _refers(io, ref),
        noise_scale=float(inputs.get("noise_scale", 0.0)),
        length_scale=1.0 / float(ref["speed"]),
        return_intermediates=True,
    )
    results = []
    for i, (ours, theirs) in enumerate(zip(out.ge_per_refer, ref["ge_per_refer"], strict=False)):
        results.append(compare(f"s2.decode.{case}.ge_per_refer.{i}", ours, theirs, GE_TOL))
    if len(out.ge_per_refer) != len(ref["ge_per_refer"]):
        results.append(CheckResult(f"s2.decode.{case}.n_refers", float("inf"), 0.0, "exact", False,
                                   f"{len(out.ge_per_refer)} != {len(ref['ge_per_refer'])}"))
    for field in DECODE_FIELDS:
        results.append(compare(f"s2.decode.{case}.{field}", getattr(out, field), ref[field], S2_TOL))
    return results


def _check_full_file(path: Path, model: Any, io: dict[str, Any]) -> list[CheckResult]:
    """``s2G_full.pth`` (with enc_q) must load and decode exactly like ``s2G.pth``."""
    import torch

    from gpt_sovits.checkpoint.s2_official import load_official_s2

    _, weights, has_enc_q = load_official_s2(path)
    results = [CheckResult("s2.full.has_enc_q", 0.0 if has_enc_q else 1.0, 0.0, "exact", has_enc_q)]
    full_model, _ = _load_model(path)
    inputs, spec = io["decode_inputs"], io["spec"]["spec"]
    audio = []
    for net in (model, full_model):
        torch.manual_seed(0)
        audio.append(net.decode(inputs["codes"], inputs["text"], [spec], noise_scale=0.0))
    results.append(compare("s2.full.decode_equals_s2G", audio[1], audio[0], 0.0, "abs"))
    ref = io["decode"].get("speed1.0")
    if ref is not None:
        results.append(compare("s2.full.decode.audio", audio[1], ref["audio"], S2_TOL))
    del weights
    return results
