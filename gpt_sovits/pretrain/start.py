"""Step 0 of a pretraining run: an exported profile (:func:`init_from_profile`) or random weights
with Piper joe's decoder (:func:`new_generator`), then the corpus features, the codebook (once)
and the semantic tokens (:func:`prepare_features`). Files: ``init/`` of the run folder (see
:mod:`gpt_sovits.pretrain.driver`)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import torch

from gpt_sovits.data.project import Project
from gpt_sovits.errors import ProjectError
from gpt_sovits.fileio import atomic_write_json
from gpt_sovits.models.s2.config import S2Config
from gpt_sovits.pretrain.config import PretrainConfig
from gpt_sovits.pretrain.data import adopt_split
from gpt_sovits.pretrain.mel_phones import RECOGNIZER_FILE
from gpt_sovits.pretrain.trainers import INIT_FILE, S1_INIT_FILE, init_generator
from gpt_sovits.train.events import EventCallback, InfoEvent

DECODER_FILE = "envelope-decoder.safetensors"  # beside a run's candidate profile (pretrained/)


def config_differences(name: str, profile: Any, run: Any) -> list[str]:
    """``"S2 decoder: profile 'envelope', run 'hifigan'"`` for each field in which two configs of
    one dataclass differ."""
    return [f"{name} {f.name}: profile {getattr(profile, f.name)!r}, run {getattr(run, f.name)!r}"
            for f in dataclasses.fields(profile) if getattr(profile, f.name) != getattr(run, f.name)]


def init_from_profile(cfg: PretrainConfig, out: Path, folder: Path, emit: EventCallback,
                      decoder_from: Path | None = None) -> None:
    """Start a new run from an exported starter profile instead of random weights: its S2 (with
    posterior encoder and codebook) becomes ``init/``, its S1 the S1 starting point (unless
    ``cfg.s1_from_scratch``: then S1 starts from random weights). This is how
    pretraining continues on another machine from the committed ``pretrained/starter`` (optimiser
    states start afresh). The profile's network shapes must be the run's. A new envelope decoder
    starts from ``decoder_from`` (see :func:`load_decoder`) instead of random weights, which is how
    an envelope run carries over to a new machine.

    Raises:
        ProjectError: the folder is not a complete profile, lacks ``enc_q`` or has other shapes.
    """
    from gpt_sovits.checkpoint.ours import save_weights
    from gpt_sovits.checkpoint.s1 import load_any_s1, save_s1
    from gpt_sovits.checkpoint.s2_official import load_any_s2

    manifest = folder / "profile.json"
    if not manifest.is_file():
        raise ProjectError(f"{folder} has no profile.json; give a folder exported by pretraining")
    names = json.loads(manifest.read_text(encoding="utf-8"))
    s2 = load_any_s2(folder / names["s2g"])
    if not s2.has_enc_q:
        raise ProjectError(f"{folder / names['s2g']} has no posterior encoder (enc_q); pretraining needs it")
    s1_cfg, s1_state = load_any_s1(folder / names["s1"])
    run_s1 = cfg.s1_config()  # a plain S1 may gain a phone pointer (trainers.init_s1), not lose one
    comparable = s1_cfg.replace(phone_pointer=True) if run_s1.phone_pointer else s1_cfg
    run_s2 = cfg.s2_config()  # a run may train another discriminator than the profile shipped (or none)
    # and its decoder a source or an envelope decoder, never losing either
    gains_source = run_s2.harmonic_source and not s2.config.harmonic_source
    gains_envelope = run_s2.decoder == "envelope" and s2.config.decoder == "hifigan"
    expected_s2 = s2.config.replace(discriminator_periods=run_s2.discriminator_periods,
                                    discriminator_width_divisor=run_s2.discriminator_width_divisor,
                                    harmonic_source=s2.config.harmonic_source or gains_source,
                                    decoder="envelope" if gains_envelope else s2.config.decoder)
    differences = config_differences("S2", expected_s2, run_s2)
    if not cfg.s1_from_scratch:
        differences += config_differences("S1", comparable, run_s1)
    if differences:
        raise ProjectError(f"{folder}: its networks differ from this run's preset ({'; '.join(differences)}); "
                           "start the run with the settings the profile was trained with (for the committed "
                           "starter: --preset starter-continue)")
    if decoder_from is not None and not gains_envelope:
        raise ProjectError("a decoder file starts a new envelope decoder only: give --s2-envelope-decoder and a "
                           "profile with the HiFi-GAN decoder")
    decoder = load_decoder(decoder_from, run_s2) if decoder_from is not None else None
    (out / "init").mkdir(parents=True, exist_ok=True)
    if not cfg.s1_from_scratch:
        save_s1(out / S1_INIT_FILE, (s1_cfg, s1_state))
    state = {k: v.float() if v.is_floating_point() else v for k, v in s2.state_dict.items()}
    if gains_source or gains_envelope:
        state = _with_new_decoder(cfg, state, emit)
    if decoder is not None:
        state.update(decoder)
        emit(InfoEvent(stage="init", message=f"the envelope decoder starts from {decoder_from}"))
    save_weights(out / INIT_FILE, "s2g", run_s2.to_dict(), state)
    adopt_split(folder, out / "run")  # the profile's validation utterances stay validation
    adopt_split(folder, out / "run", RECOGNIZER_FILE)  # and its phone loss keeps its judge
    atomic_write_json(out / "init" / "state.json", {"init_from": str(folder), "semantic_ready": False,
                                                    "codebook_pending": cfg.rebuild_codebook})
    started = ("S2 starts" if cfg.s1_from_scratch else "S1 and S2 start") + (
        " (with a new codebook)" if cfg.rebuild_codebook else "")
    emit(InfoEvent(stage="init", message=f"{started} from {folder}"))


def load_decoder(path: Path, s2_config: S2Config) -> dict[str, torch.Tensor]:
    """The ``dec.*`` weights (fp32) of a decoder file written by :func:`save_decoder` or of any S2
    weights file of ours, checked against ``s2_config``'s decoder.

    Raises:
        ProjectError: the file is missing or unreadable, or its decoder has another shape.
    """
    from gpt_sovits.checkpoint.ours import load_weights
    from gpt_sovits.errors import CheckpointError
    from gpt_sovits.models.s2.model import build_decoder

    try:
        weights = load_weights(path)
    except CheckpointError as exc:
        raise ProjectError(f"the decoder file cannot be read: {exc}") from exc
    state = {k: v.float() for k, v in weights.state_dict.items() if k.startswith("dec.")}
    expected = build_decoder(s2_config).state_dict()
    shapes = {k[4:]: tuple(v.shape) for k, v in state.items()}
    if S2Config.from_dict(weights.config).decoder != s2_config.decoder or shapes != {
            k: tuple(v.shape) for k, v in expected.items()}:
        raise ProjectError(f"{path}: its decoder does not fit this run's ({s2_config.decoder} decoder); give the "
                           "decoder file of a run with the same settings")
    return state


def save_decoder(path: Path, s2_config: S2Config, state: dict[str, torch.Tensor]) -> None:
    """Write the ``dec.*`` weights of an S2 state as a small fp16 file (kind ``s2-decoder``): what a
    decoder-only run needs to carry its decoder to another machine (``pretrain --s2-decoder-from``)."""
    from gpt_sovits.checkpoint.ours import save_weights

    save_weights(path, "s2-decoder", s2_config.to_dict(), {k: v for k, v in state.items() if k.startswith("dec.")},
                 half=True)


def _with_new_decoder(cfg: PretrainConfig, state: dict, emit: EventCallback) -> dict:
    """A profile's S2 whose decoder gains a harmonic source or is replaced by the envelope decoder.
    The envelope decoder starts at random (seeded; the rest of S2 keeps the profile's weights). A
    source and pitch predictor start at random and the decoder itself again from Piper joe's when
    ``s2_decoder_init`` says so (session 26: a source added to the trained decoder did not take; on
    Piper's it did)."""
    from gpt_sovits.models.s2.model import SynthesizerTrn
    from gpt_sovits.train.stages import seed_everything

    seed_everything(cfg.seed)
    run_s2 = cfg.s2_config()
    gen = SynthesizerTrn(run_s2, with_posterior=True)
    if run_s2.decoder == "envelope":
        state = {k: v for k, v in state.items() if not k.startswith("dec.")}
    missing, unexpected = gen.load_state_dict(state, strict=False)
    new = ("dec.",) if run_s2.decoder == "envelope" else ("dec.pitch.", "dec.source.")
    if unexpected or any(not k.startswith(new) for k in missing):
        raise ProjectError(f"the profile's S2 does not fit this run's (missing {missing[:4]}, unexpected {unexpected[:4]})")
    if run_s2.decoder == "envelope":
        emit(InfoEvent(stage="init", message="the decoder is replaced by an envelope decoder (random start)"))
        return gen.state_dict()
    where = "its own"
    if cfg.s2_decoder_init == "piper-joe":
        from gpt_sovits.pretrain.warmstart import warm_start_decoder

        warm_start_decoder(gen.dec)
        where = "Piper joe's"
    emit(InfoEvent(stage="init", message=f"the decoder gains a harmonic source; it starts from {where} weights"))
    return gen.state_dict()


def new_generator(cfg: PretrainConfig, emit: EventCallback):
    """A step-0 S2 generator at random (seeded), its decoder from Piper joe if the config says so."""
    from gpt_sovits.models.s2.model import SynthesizerTrn
    from gpt_sovits.train.stages import seed_everything

    seed_everything(cfg.seed)
    gen = SynthesizerTrn(cfg.s2_config(), with_posterior=True)
    if cfg.s2_decoder_init == "piper-joe" and gen.cfg.decoder == "hifigan":
        from gpt_sovits.pretrain.warmstart import warm_start_decoder

        missing = warm_start_decoder(gen.dec)
        emit(InfoEvent(stage="init", message=f"decoder starts from Piper joe (not from it: {missing or 'none'})"))
    return gen


def prepare_features(project: Project, cfg: PretrainConfig, out: Path, root: Path | None,
                     emit: EventCallback) -> tuple[list, dict]:
    """Features, codebook (once) and semantic tokens; returns (lazy items, codebook stats)."""
    from gpt_sovits.checkpoint.ours import save_weights
    from gpt_sovits.pretrain import codebook, data

    init, state_path = out / INIT_FILE, out / "init" / "state.json"
    latent = init_generator(cfg, out).eval() if init.is_file() else data.NoCodebook()
    cache, report = data.corpus_features(project, latent, root)
    emit(InfoEvent(stage="features", message=f"{report.extracted} utterances encoded, {report.up_to_date} up to "
                                             f"date, {len(report.failed)} failed ({report.elapsed:.0f} s)"))
    ids = [i.slice_id for i in data.label_items(project) if i.slice_id not in report.failed]
    stats = json.loads(state_path.read_text(encoding="utf-8")) if state_path.is_file() else {}
    rebuild = init.is_file() and stats.get("codebook_pending", False)
    if not init.is_file() or rebuild:
        gen = init_generator(cfg, out) if rebuild else new_generator(cfg, emit)
        kept = {k: v for k, v in stats.items() if k == "init_from"}
        stats = kept | codebook.corpus_codebook(gen, cache, ids, cfg, torch.Generator().manual_seed(cfg.seed))
        init.parent.mkdir(parents=True, exist_ok=True)
        save_weights(init, "s2g", gen.cfg.to_dict(), gen.state_dict())
        stats["semantic_ready"] = False
        atomic_write_json(state_path, stats)
        emit(InfoEvent(stage="codebook", message=f"codebook initialised ({cfg.codebook_space}): {stats}"))
        latent = gen.eval()
    if not stats.get("semantic_ready"):
        changed = data.refresh_semantic(cache, ids, latent)
        stats["semantic_ready"] = True
        atomic_write_json(state_path, stats)
        emit(InfoEvent(stage="codebook", message=f"semantic tokens written for {changed} utterances"))
    return data.lazy_items(cache, ids), stats
