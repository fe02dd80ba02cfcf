"""Managing a project's trained voices: ``workspace/<project>/voices/<folder>/``.

List, rename, delete (to ``trash/``), import official GPT-SoVITS ``.ckpt`` + ``.pth`` files as a
voice, and export/import voices as zip files (:mod:`gpt_sovits.voice_zip`). The folder layout is
:mod:`gpt_sovits.voice_format`. Nothing here destroys user data: deleting moves the folder to the
project's trash, and an import never replaces an existing voice (it picks a new name).

Every change happens under the project's lock, so it waits for nothing and refuses while a
training of the same project runs (the error says the project is busy).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from gpt_sovits.data.project import Project
from gpt_sovits.errors import AudioFormatError, CheckpointError, ProjectError
from gpt_sovits.voice_format import (
    MANIFEST,
    MELODY_FILE,
    READOUT_FILE,
    REFERENCE_WAV,
    S1_FILE,
    S2G_FILE,
    VoiceManifest,
    read_voice_dir,
    voice_folder_name,
    write_manifest,
)
from gpt_sovits.voice_zip import export_voice_zip, import_voice_zip

__all__ = [
    "check_voice_files", "delete_voice", "export_voice_zip", "import_official", "import_voice_zip",
    "list_voices", "place_voice", "rename_voice", "staging_dir", "voice_folder_name",
]

log = logging.getLogger(__name__)

REFERENCE_SR = 32000
REFERENCE_MIN_S, REFERENCE_MAX_S = 3.0, 10.0
_FOLDER_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,79}")  # no leading "." (hidden, staging)
STAGING = ".staging"  # inside the project folder: half-built voices, never listed


def _check_folder(name: str) -> str:
    if not _FOLDER_RE.fullmatch(name or ""):
        raise ProjectError(f"{name!r} is not a voice of this project; refresh the list and pick one")
    return name


def list_voices(project: Project) -> list[tuple[str, VoiceManifest]]:
    """Complete voices of ``project`` as ``(folder name, manifest)``, sorted by folder name.

    Incomplete or unreadable folders are skipped (and logged), so a broken copy never hides the
    others.
    """
    found = []
    if not project.voices_dir.is_dir():
        return found
    for folder in sorted(project.voices_dir.iterdir()):
        if not folder.is_dir() or folder.is_symlink() or not _FOLDER_RE.fullmatch(folder.name):
            continue
        try:
            found.append((folder.name, read_voice_dir(folder)))
        except CheckpointError as exc:
            log.warning("skipping voice folder %s: %s", folder, exc)
    return found


def rename_voice(project: Project, name: str, new_name: str) -> str:
    """Give voice ``name`` the display name ``new_name``; its folder follows (atomic rename).

    Returns:
        The new folder name.

    Raises:
        ProjectError: no such voice, another voice already has that name or folder, or busy.
        ValueError: ``new_name`` is empty.
    """
    display = new_name.strip()
    target = voice_folder_name(display)
    with project.lock("renaming a voice"):
        source = project.voices_dir / _check_folder(name)
        manifest = read_voice_dir(source)
        for other, other_manifest in list_voices(project):
            if other != name and (other == target or other_manifest.name.casefold() == display.casefold()):
                raise ProjectError(f"a voice named {other_manifest.name!r} ({other}) already exists; "
                                   "choose another name")
        destination = project.voices_dir / target
        if destination != source:
            if destination.exists():
                raise ProjectError(f"voices/{target} already exists; choose another name")
            os.rename(source, destination)
        manifest.name = display
        write_manifest(destination, manifest)
    return target


def delete_voice(project: Project, name: str, *, confirm: bool = False) -> Path:
    """Move voice folder ``name`` into the project's ``trash/`` (never destroyed).

    Returns:
        Where the folder now is (``trash/voice-<name>-<id>``).

    Raises:
        ProjectError: ``confirm`` is not True, no such voice folder, or the project is busy.
    """
    if confirm is not True:
        raise ProjectError(f"deleting voice {name!r} needs confirmation; pass confirm=True")
    with project.lock("deleting a voice"):
        source = project.voices_dir / _check_folder(name)
        if not source.is_dir():
            raise ProjectError(f"there is no voice {name!r} in this project; refresh the list")
        project.trash_dir.mkdir(exist_ok=True)
        destination = project.trash_dir / f"voice-{name}-{uuid.uuid4().hex[:8]}"
        os.rename(source, destination)
    return destination


# ------------------------------------------------------------------------- building a new voice
@contextmanager
def staging_dir(project: Project) -> Iterator[Path]:
    """A fresh folder on the project's file system for assembling a voice; removed afterwards
    unless :func:`place_voice` moved it into ``voices/``."""
    folder = project.root / STAGING / uuid.uuid4().hex
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        if folder.exists():
            shutil.rmtree(folder)


def place_voice(project: Project, staged: Path, manifest: VoiceManifest, folder: str | None = None) -> str:
    """Move a validated staged voice into ``voices/`` under a free folder and display name.

    An existing voice is never replaced: ``name`` becomes ``name (2)`` and the folder
    ``folder-2`` (and so on) when taken. ``voice.json`` is rewritten with the final name.

    Returns:
        The folder name chosen.
    """
    base_folder = folder if folder and _FOLDER_RE.fullmatch(folder) else voice_folder_name(manifest.name)
    with project.lock("adding a voice"):
        project.voices_dir.mkdir(exist_ok=True)
        taken_names = {m.name.casefold() for _, m in list_voices(project)}
        taken_folders = {p.name.casefold() for p in project.voices_dir.iterdir()}
        base_name, n = manifest.name, 1
        while True:
            chosen = base_folder if n == 1 else f"{base_folder[:60]}-{n}"
            display = base_name if n == 1 else f"{base_name} ({n})"
            if chosen.casefold() not in taken_folders and display.casefold() not in taken_names:
                break
            n += 1
        manifest.name = display
        write_manifest(staged, manifest)
        os.rename(staged, project.voices_dir / chosen)
    return chosen


def check_voice_files(folder: Path) -> VoiceManifest:
    """Validate a voice folder deeply: manifest, both weight files (loaded with our safe
    loaders), matching content features, the token readout and melody model if there are, the official copies
    it names, and a decodable reference.

    Raises:
        CheckpointError / AudioFormatError: what is wrong, naming the file.
    """
    from gpt_sovits.audio.io import load_audio
    from gpt_sovits.checkpoint.s1 import load_any_s1, load_s1
    from gpt_sovits.checkpoint.s2_official import load_any_s2
    from gpt_sovits.infer.voice import ENCODER_BY_DIM

    manifest = read_voice_dir(folder)
    load_s1(folder / S1_FILE)
    s2 = load_any_s2(folder / S2G_FILE)
    if s2.kind != "s2g" or s2.source != "ours" or s2.config is None:
        raise CheckpointError(f"{S2G_FILE}: expected our S2 generator weights")
    if ENCODER_BY_DIM.get(s2.config.ssl_dim) != manifest.content_encoder:
        raise CheckpointError(f"{MANIFEST}: content encoder {manifest.content_encoder!r} does not match the "
                              f"S2 weights ({s2.config.ssl_dim}-d features); the voice is inconsistent")
    if (folder / READOUT_FILE).is_file():
        from gpt_sovits.infer.reading_check import load_voice_readout

        load_voice_readout(folder / READOUT_FILE, s2.config.codebook_size)
    if (folder / MELODY_FILE).is_file():
        from gpt_sovits.models.s2.melody import load_melody

        load_melody(folder / MELODY_FILE)
    for kind, relative in manifest.official.items():
        if PurePosixPath(relative).parent != PurePosixPath("official") or ".." in relative or "\\" in relative:
            raise CheckpointError(f"{MANIFEST}: official copy {relative!r} must be a file in official/")
        path = folder / relative
        if path.is_file():
            (load_any_s1 if kind == "s1" else load_any_s2)(path)
    load_audio(folder / REFERENCE_WAV, REFERENCE_SR)
    return manifest


# ------------------------------------------------------------------------- official GPT-SoVITS files
def import_official(project: Project, ckpt_path: str | os.PathLike[str], pth_path: str | os.PathLike[str],
                    reference_wav: str | os.PathLike[str], reference_text: str, name: str,
                    *, reference_language: str = "auto") -> str:
    """Make a voice from an official GPT-SoVITS S1 ``.ckpt`` and S2 generator ``.pth``.

    The files are loaded with our safe loaders (no code runs), converted to ``s1.safetensors`` /
    ``s2g.safetensors`` and kept unchanged under ``official/``. Official v2 weights (768-d
    HuBERT features) become profile ``gsv-v2`` with content encoder ``hubert`` and BERT
    ``roberta``; 512-d (Whisper-feature) weights become a ``custom`` voice without BERT.

    Args:
        project: the project to add the voice to.
        ckpt_path: S1 (GPT) weights, e.g. ``my-voice-e15.ckpt``.
        pth_path: S2 (SoVITS) generator weights, e.g. ``my-voice_e8_s96.pth``.
        reference_wav: a 3-10 s clip of the voice (any audio format).
        reference_text: the exact words of the clip ("" for reference-free synthesis).
        name: display name of the new voice (made unique if taken).
        reference_language: "auto", "zh" or "en".

    Returns:
        The folder name of the new voice.

    Raises:
        CheckpointError: a weights file is unreadable, of another kind or version.
        AudioFormatError: the reference clip is not audio or not 3-10 s long.
    """
    from gpt_sovits.audio.io import load_audio, write_wav
    from gpt_sovits.checkpoint.s1 import load_any_s1, save_s1
    from gpt_sovits.checkpoint.s2_official import load_any_s2, save_s2
    from gpt_sovits.infer.voice import ENCODER_BY_DIM

    display = name.strip()
    slug = voice_folder_name(display)
    s1_config, s1_state = load_any_s1(ckpt_path)
    s2 = load_any_s2(pth_path)
    if s2.kind != "s2g" or s2.config is None:
        raise CheckpointError(f"{Path(pth_path).name} is an S2 discriminator; choose the generator "
                              "file (SoVITS weights, usually named like my-voice_e8_s96.pth)")
    encoder = ENCODER_BY_DIM.get(s2.config.ssl_dim)
    if encoder is None:
        raise CheckpointError(f"{Path(pth_path).name}: {s2.config.ssl_dim}-d content features are not supported")
    audio = load_audio(reference_wav, REFERENCE_SR)  # [t]
    seconds = audio.shape[0] / REFERENCE_SR
    if not REFERENCE_MIN_S <= seconds <= REFERENCE_MAX_S:
        raise AudioFormatError(f"the reference clip is {seconds:.1f} s long; choose a clip of "
                               f"{REFERENCE_MIN_S:.0f}-{REFERENCE_MAX_S:.0f} s")
    official = encoder == "hubert"
    manifest = VoiceManifest(
        name=display, profile="gsv-v2" if official else "custom", content_encoder=encoder,
        bert="roberta" if official else None, reference_text=reference_text.strip(),
        reference_language=reference_language, official={"s1": f"official/{slug}.ckpt", "s2g": f"official/{slug}.pth"},
    )
    with staging_dir(project) as staged:
        save_s1(staged / S1_FILE, (s1_config, s1_state))
        generator = {k: v for k, v in s2.state_dict.items() if not k.startswith("enc_q.")}
        save_s2(staged / S2G_FILE, "s2g", s2.config, generator)
        write_wav(staged / REFERENCE_WAV, audio, REFERENCE_SR)
        (staged / "official").mkdir()
        shutil.copyfile(ckpt_path, staged / manifest.official["s1"])
        shutil.copyfile(pth_path, staged / manifest.official["s2g"])
        return place_voice(project, staged, manifest, slug)

