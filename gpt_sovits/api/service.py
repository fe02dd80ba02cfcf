"""State behind the REST API: current S1/S2 weights, the preloaded reference, voices on demand.

Weights default to the best installed base profile (gsv-v2, else starter, else any). Voices are
built per request from (weights, reference, transcript) through the shared inference caches, so
repeated requests with the same reference cost nothing extra. Thread-safe.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from gpt_sovits.api.security import PathPolicy
from gpt_sovits.errors import ModelMissingError
from gpt_sovits.infer.cache import InferenceCaches, default_caches, load_s1_cached, load_s2_cached
from gpt_sovits.infer.options import recommended_settings
from gpt_sovits.infer.voice import ENCODER_BY_DIM, Voice, build_voice


class TTSService:
    """Holds what ``/set_*`` routes change and builds voices for ``/tts``.

    Args:
        workspace: user data folder (client paths may point inside it).
        pretrained: base models folder (also allowed for client paths; the registry root).
        gpt_weights, sovits_weights: initial weights (default: the best installed profile).
        encoder: content encoder object to use instead of the registry's (tests).
        caches: inference caches (default: the process-wide ones).
    """

    def __init__(self, workspace: str | Path, pretrained: str | Path, *, gpt_weights: str | Path | None = None,
                 sovits_weights: str | Path | None = None, encoder: Any = None,
                 caches: InferenceCaches | None = None) -> None:
        from gpt_sovits.registry import Registry

        self.workspace = Path(workspace).resolve()
        self.pretrained = Path(pretrained).resolve()
        self.registry = Registry(self.pretrained)
        self.paths = PathPolicy([self.workspace, self.pretrained])
        self.encoder = encoder
        self.caches = caches or default_caches()
        self._lock = threading.Lock()
        self.refer_audio: Path | None = None
        profile = self._default_profile() if gpt_weights is None or sovits_weights is None else None
        self.gpt_weights = Path(gpt_weights) if gpt_weights else (profile.s1 if profile else None)
        self.sovits_weights = Path(sovits_weights) if sovits_weights else (profile.s2g if profile else None)

    def _default_profile(self) -> Any:
        # the registry lists the best base first (gsv-v2, then starter); tiny is for tests only
        return next((p for p in self.registry.profiles() if p.available and p.name != "tiny"), None)

    def set_gpt_weights(self, raw_path: str) -> Path:
        path = self.paths.resolve(raw_path, "weights_path")
        load_s1_cached(path, self.caches)  # validates (CheckpointError on bad files)
        with self._lock:
            self.gpt_weights = path
        return path

    def set_sovits_weights(self, raw_path: str) -> Path:
        path = self.paths.resolve(raw_path, "weights_path")
        load_s2_cached(path, self.caches)
        with self._lock:
            self.sovits_weights = path
        return path

    def set_refer_audio(self, raw_path: str) -> Path:
        from gpt_sovits.infer.reference import check_reference

        path = self.paths.resolve(raw_path, "refer_audio_path")
        check_reference(path, has_text=False)
        with self._lock:
            self.refer_audio = path
        return path

    def _traits(self, s2_path: Path) -> tuple[str | None, str | None, str, dict[str, Any]]:
        """(content encoder, bert, profile, recommended settings) for weights: from a voice.json
        next to them, else guessed (with a base's profile.json recommendation when they are a base's)."""
        manifest = s2_path.parent / "voice.json"
        data = None
        if manifest.is_file():
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
            except (ValueError, OSError):
                data = None  # unreadable: the weights' traits are guessed, as for weights without one
        if isinstance(data, dict):
            # A readable voice.json with bad "synthesis" settings is an error the caller must see
            # (ValueError naming the file -> HTTP 400), as in the studio and the CLI.
            return (data.get("content_encoder"), data.get("bert"), str(data.get("profile", "custom")),
                    recommended_settings(data.get("synthesis"), str(manifest)))
        s2 = load_s2_cached(s2_path, self.caches)
        kind = ENCODER_BY_DIM.get(s2.cfg.ssl_dim, "whisper-base")
        bert = "roberta" if kind == "hubert" and self.registry.roberta().available else None
        base = next((p for p in self.registry.profiles() if p.available and p.s2g.resolve() == s2_path.resolve()), None)
        if base is None:
            return kind, bert, "custom", {}
        return kind, bert, base.name, dict(base.synthesis)

    def voice(self, ref_audio_path: str | None, prompt_text: str, prompt_lang: str,
              aux_paths: list[str]) -> Voice:
        """A voice for one request (reference paths are confined; see ``PathPolicy``)."""
        with self._lock:
            gpt, sovits, default_ref = self.gpt_weights, self.sovits_weights, self.refer_audio
        if ref_audio_path:
            ref = self.paths.resolve(ref_audio_path, "ref_audio_path")
        elif default_ref is not None:
            ref = default_ref
        else:
            raise ValueError("ref_audio_path is required (or preload one with /set_refer_audio)")
        aux = [self.paths.resolve(p, "aux_ref_audio_paths") for p in aux_paths]
        if gpt is None or sovits is None:
            raise ModelMissingError("no base model is installed; call /set_gpt_weights and /set_sovits_weights "
                                    "or install one (python -m gpt_sovits download gsv-v2)")
        kind, bert, profile, recommended = self._traits(sovits)
        return build_voice(gpt, sovits, ref, prompt_text or None, ref_language=prompt_lang, extra_refs=aux,
                           content_encoder=kind, bert=bert, profile=profile, name="api",
                           pretrained_root=self.pretrained, encoder=self.encoder, caches=self.caches,
                           recommended=recommended)
