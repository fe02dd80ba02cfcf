"""The built-in "tiny" base profiles: seeded random tiny S1 + S2 (+ discriminator), for tests.

``ensure_tiny_profile(root)`` writes ``<root>/tiny/`` (once) with ``s1.safetensors``,
``s2g.safetensors`` (with the posterior encoder), ``s2d.safetensors`` and a ``profile.json``
the registry discovers. ``ensure_tiny_profile(root, discriminator=False)`` writes
``<root>/tiny-nodisc/`` instead: the same S1 and S2 weights, no s2d file and ``"s2d": null``,
like the offline starter base (S2 then fine-tunes with mel + KL only).

The S2 uses the tiny preset with ``ssl_dim`` 512, so it consumes the Whisper-base content
features (plus the cost cuts in ``TINY_S2_CHANGES``). It sounds like noise: it exists so that the
whole prepare -> fine-tune -> export -> synthesize path runs in seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

PROFILE_NAME = "tiny"
NO_DISC_PROFILE_NAME = "tiny-nodisc"
TINY_PROFILES = (PROFILE_NAME, NO_DISC_PROFILE_NAME)
# Smaller than the S2 "tiny" preset where training cost hides (posterior encoder, flow, and a
# 0.16 s decoder slice instead of 0.64 s), so a training step takes well under a second on CPU.
# a narrow discriminator (1/16 of the official widths): fine-tunes of the tiny base in tests are not
# dominated by it, and their checkpoints stay small
TINY_S2_CHANGES = {"segment_size": 5120, "posterior_layers": 4, "flow_layers": 2, "discriminator_width_divisor": 16}
TINY_SEED = 1234
PROFILE_JSON = {
    "title": "Tiny (tests only)",
    "s1": "s1.safetensors",
    "s2g": "s2g.safetensors",
    "s2d": "s2d.safetensors",
    "content_encoder": "whisper-base",
    "bert": None,
}
NO_DISC_PROFILE_JSON = {**PROFILE_JSON, "title": "Tiny without discriminator (tests only)", "s2d": None}


def tiny_profile_name(discriminator: bool = True) -> str:
    """Folder / profile name of the tiny base with or without a discriminator."""
    return PROFILE_NAME if discriminator else NO_DISC_PROFILE_NAME


def ensure_tiny_profile(pretrained_root: str | os.PathLike[str], *, discriminator: bool = True) -> Path:
    """Create ``<pretrained_root>/tiny`` (or ``tiny-nodisc`` without a discriminator) if it is not
    complete yet; returns the folder."""
    manifest = PROFILE_JSON if discriminator else NO_DISC_PROFILE_JSON
    folder = Path(pretrained_root) / tiny_profile_name(discriminator)
    files = [manifest[k] for k in ("s1", "s2g", "s2d") if manifest[k] is not None]
    if (folder / "profile.json").is_file() and all((folder / name).is_file() for name in files):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        _write_weights(tmp, discriminator)
        (tmp / "profile.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


def _write_weights(folder: Path, discriminator: bool) -> None:
    import torch

    from gpt_sovits.checkpoint.s1 import save_s1
    from gpt_sovits.checkpoint.s2_official import save_s2
    from gpt_sovits.models.s1.config import S1_PRESETS
    from gpt_sovits.models.s1.model import Text2Semantic
    from gpt_sovits.models.s2.config import S2_PRESETS
    from gpt_sovits.models.s2.discriminators import MultiPeriodDiscriminator
    from gpt_sovits.models.s2.model import SynthesizerTrn

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(TINY_SEED)
        s1 = Text2Semantic(S1_PRESETS["tiny"])
        s2_config = S2_PRESETS["tiny"].replace(ssl_dim=512, **TINY_S2_CHANGES)
        s2 = SynthesizerTrn(s2_config, with_posterior=True)
        # drawn last, so both variants share the same S1 and S2 weights
        disc = MultiPeriodDiscriminator.for_config(s2_config) if discriminator else None
    save_s1(folder / PROFILE_JSON["s1"], s1)
    save_s2(folder / PROFILE_JSON["s2g"], "s2g", s2_config, s2.state_dict())
    if disc is not None:
        save_s2(folder / PROFILE_JSON["s2d"], "s2d", s2_config, disc.state_dict())
