"""Latent anchor: keeps the starter's posterior encoder inside Piper joe's latent space.

The starter's S2 decoder is Piper joe's, kept fixed (:mod:`gpt_sovits.pretrain.warmstart`). With a
mel loss alone the posterior encoder ``enc_q`` finds latents that the fixed decoder turns into a
close mel spectrogram but not into words (run train3: Whisper error 0.8-0.9 on reconstructions
after 4,755 steps). Piper itself gives the missing supervision: when it speaks a sentence, the
latent it feeds its decoder is known exactly. :func:`build_anchor_set` records such pairs (32 kHz
audio, decoder latent re-timed to the S2's 50 Hz frames, the way the rate bridge reads them);
:class:`LatentAnchor` turns them into an extra S2 training loss, ``weight x (|m_q - z| + 0.5 |z_q - z|)``
on random crops, so ``enc_q`` maps speech to latents the decoder knows. 1,500 steps of this loss
alone brought the reconstruction error of 8 corpus utterances of other voices from 0.9 to 0.66.

Building the set needs ``onnx``, ``onnxruntime`` and ``piper-tts`` (requirements-corpus.txt).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from gpt_sovits.audio.spectral import linear_spectrogram
from gpt_sovits.models.s2.model import SynthesizerTrn
from gpt_sovits.models.s2.segments import length_mask

HOP, SAMPLE_RATE = 640, 32000
# Piper's noise and length scales are drawn per sentence (prosody and latent-noise variety).
NOISE_RANGE, LENGTH_RANGE, NOISE_W = (0.4, 0.9), (0.8, 1.25), 0.8


def _piper_session(path: Path):
    """(ONNX session returning audio and the decoder's input latent, PiperVoice phonemizer)."""
    import onnx
    import onnxruntime as ort
    from piper import PiperVoice

    model = onnx.load(str(path))
    node = next(n for n in model.graph.node if n.input[1:2] == ["dec.conv_pre.weight"])
    model.graph.output.extend([onnx.helper.make_tensor_value_info(node.input[0], onnx.TensorProto.FLOAT, None)])
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), options), PiperVoice.load(str(path))


def _speak(session, voice, text: str, noise: float, length: float) -> tuple[np.ndarray, np.ndarray]:
    """Piper audio (22.05 kHz) and its decoder latent ``[192, frames]`` (86 Hz) for one text."""
    ids = [i for sentence in voice.phonemize(text) for i in voice.phonemes_to_ids(sentence)]
    feeds = {"input": np.array([ids], dtype=np.int64), "input_lengths": np.array([len(ids)], dtype=np.int64),
             "scales": np.array([noise, length, NOISE_W], dtype=np.float32)}
    audio, latent = session.run(None, feeds)
    return audio.reshape(-1), latent[0]


def build_anchor_set(texts: Sequence[str], folder: Path, seed: int, piper_path: Path | None = None,
                     log: Callable[[str], None] | None = None) -> list[Path]:
    """Speak ``texts`` with Piper joe into ``folder/NNNN-HASH.npz`` (``wav`` 32 kHz float16, ``z``
    ``[192, frames]`` float16 at 50 Hz); existing files are kept, so an interrupted build resumes
    (the text's hash in the name keeps a changed list from reusing stale files).
    Returns the files in text order."""
    import soxr

    from gpt_sovits.models.s2.rate_bridge import retime_frames
    from gpt_sovits.pretrain.warmstart import piper_voice_path

    folder.mkdir(parents=True, exist_ok=True)
    files = [folder / f"{i:04d}-{hashlib.sha1(t.encode()).hexdigest()[:8]}.npz" for i, t in enumerate(texts)]
    todo = [i for i, f in enumerate(files) if not f.is_file()]
    if todo:
        session, voice = _piper_session(piper_path or piper_voice_path())
        rng = random.Random(seed)
        scales = [(rng.uniform(*NOISE_RANGE), rng.uniform(*LENGTH_RANGE)) for _ in texts]
        for n, i in enumerate(todo):
            audio, latent = _speak(session, voice, texts[i], *scales[i])
            wav = soxr.resample(audio.astype(np.float64), 22050, SAMPLE_RATE, quality="VHQ").astype(np.float32)
            frames = len(wav) // HOP
            z = retime_frames(torch.from_numpy(latent)[None], 256 / 22050, HOP / SAMPLE_RATE, frames)[0]
            tmp = files[i].with_suffix(".tmp.npz")
            np.savez(tmp, wav=wav[: frames * HOP].astype(np.float16), z=z.numpy().astype(np.float16))
            tmp.replace(files[i])
            if log is not None and (n + 1) % 100 == 0:
                log(f"latent anchor: {n + 1} of {len(todo)} sentences spoken")
    return files


def corpus_anchor(project, folder: Path, limit: int, seed: int,
                  log: Callable[[str], None] | None = None) -> list[Path]:
    """The anchor set for a corpus project: Piper speaks its first ``limit`` English label texts.

    Raises:
        ProjectError: the corpus has no English sentences.
    """
    from gpt_sovits.errors import ProjectError
    from gpt_sovits.train.prepare import label_items

    texts = [i.text for i in label_items(project) if i.language.lower().removeprefix("all_") == "en"][:limit]
    if not texts:
        raise ProjectError(f"{project.root} has no English sentences to build the latent anchor from; "
                           "build the corpus with English voices or set s2_anchor_weight to 0")
    return build_anchor_set(texts, folder, seed, log=log)


class LatentAnchor:
    """Extra S2 loss on random crops of an anchor set (callable on the generator, see module doc).

    Args:
        files: from :func:`build_anchor_set` (loaded into memory, ~1 MB per sentence).
        weight: multiplies the loss.
        batch / frames: crops per step and their length in 50 Hz frames.
    """

    def __init__(self, files: Sequence[Path], weight: float, batch: int = 4, frames: int = 160,
                 seed: int = 0) -> None:
        if not files:
            raise ValueError("the latent anchor needs at least one sentence")
        self.items = [_load(f) for f in files]
        self.weight, self.batch, self.frames = weight, batch, frames
        self.rng = random.Random(seed)

    def sample(self, items: Sequence[tuple[torch.Tensor, torch.Tensor]] | None = None,
               crop: bool = True) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """A padded batch ``(spec [B, 1025, T], z [B, 192, T], lengths [B])``."""
        items = items if items is not None else self.rng.sample(self.items, min(self.batch, len(self.items)))
        specs, zs = [], []
        for wav, z in items:
            frames = z.shape[-1]
            start = self.rng.randrange(frames - self.frames + 1) if crop and frames > self.frames else 0
            n = min(frames - start, self.frames) if crop else frames
            specs.append(linear_spectrogram(wav[start * HOP:(start + n) * HOP].float())[:, :n])
            zs.append(z[:, start:start + n].float())
        lengths = torch.tensor([s.shape[-1] for s in specs])
        spec = torch.zeros(len(specs), specs[0].shape[0], int(lengths.max()))
        z = torch.zeros(len(zs), zs[0].shape[0], int(lengths.max()))
        for i, (s, t) in enumerate(zip(specs, zs, strict=True)):
            spec[i, :, : s.shape[-1]], z[i, :, : t.shape[-1]] = s, t
        return spec, z, lengths

    def distance(self, gen: SynthesizerTrn, spec: torch.Tensor, z: torch.Tensor,
                 lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean |m_q - z| and |z_q - z| over valid frames and channels."""
        device = next(gen.parameters()).device
        spec, z, lengths = spec.to(device), z.to(device), lengths.to(device)
        mask = length_mask(lengths, spec.shape[-1], spec.dtype)
        with torch.no_grad():
            ge = gen.ref_enc(spec[:, : gen.cfg.ref_bins] * mask, mask)
        z_q, m_q, _, mask = gen.enc_q(spec, lengths, g=ge)
        count = mask.sum() * z.shape[1]
        return ((m_q - z).abs() * mask).sum() / count, ((z_q - z).abs() * mask).sum() / count

    def __call__(self, gen: SynthesizerTrn) -> torch.Tensor:
        """``weight x (|m_q - z| + 0.5 |z_q - z|)`` on a fresh random batch."""
        mean_term, sample_term = self.distance(gen, *self.sample())
        return self.weight * (mean_term + 0.5 * sample_term)


def _load(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    with np.load(path) as data:
        return torch.from_numpy(data["wav"].copy()), torch.from_numpy(data["z"].copy())
