"""Data-pipeline benchmark: one minute of speech from import to training-ready features.

Speech comes from espeak-ng (real phonetic structure, reproducible). Stages: import, clean with
denoise, slice, ASR labelling (Whisper-base) and feature extraction with a Whisper-base profile
(``tiny`` by default: the same content encoder as ``starter``, so the cost is the same).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

TEXT = (
    "Hello, my name is Alex and I am recording my voice for the studio. The weather today is bright "
    "and sunny, and the birds are singing in the trees. I like to read books in the evening, "
    "especially stories about faraway places. Yesterday I walked to the market and bought fresh "
    "apples, bread, and a little cheese. My favourite season is autumn, when the leaves turn red and "
    "gold. Please remember to close the window before you leave the house. We will meet again next "
    "Tuesday at seven in the evening, and then we can talk about the plans for the summer holiday. "
    "The old bridge over the river was built more than two hundred years ago by local farmers. "
)


def _speech(path: Path, seconds: float) -> float:
    """Write about ``seconds`` of espeak-ng speech to ``path``; returns its duration."""
    import soundfile as sf

    if shutil.which("espeak-ng") is None:
        raise SystemExit("bench prepare needs espeak-ng (apt-get install espeak-ng)")
    text = TEXT * max(1, round(seconds / 38))
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path), text], check=True)
    return sf.info(str(path)).duration


def bench_prepare(seconds: float = 60.0, preset: str = "tiny", denoise: float = 0.5) -> dict[str, Any]:
    """Seconds per stage for ~``seconds`` of speech; features use the ``preset`` base profile."""
    from gpt_sovits.asr import WhisperASR
    from gpt_sovits.audio.slicer import SlicerConfig
    from gpt_sovits.data import stages
    from gpt_sovits.data.project import Workspace
    from gpt_sovits.features.stage import build_extractors, extract_features
    from gpt_sovits.registry import Registry, whisper_model_dir
    from gpt_sovits.tiny_base import ensure_tiny_profile
    from gpt_sovits.train.prepare import label_items

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        duration = _speech(root / "speech.wav", seconds)
        pretrained = root / "pretrained"
        whisper_model_dir(pretrained)
        if preset == "tiny":
            ensure_tiny_profile(pretrained)
        profile = Registry(pretrained).profile(preset)
        project = Workspace(root / "ws").create_project("bench", ["en"], preset)
        times: dict[str, float] = {}

        def timed(name: str, fn: Any) -> Any:
            start = time.perf_counter()
            out = fn()
            times[name] = round(time.perf_counter() - start, 2)
            return out

        timed("import", lambda: stages.import_stage(project, stages.ImportOptions(paths=[str(root / "speech.wav")])))
        timed("clean", lambda: stages.clean_stage(project, stages.CleanOptions(denoise=denoise)))
        sliced = timed("slice", lambda: stages.slice_stage(project, SlicerConfig()))
        asr = timed("asr_load", lambda: WhisperASR(pretrained_root=pretrained))
        timed("label", lambda: stages.label_stage(project, stages.LabelOptions(language="en", asr=True), asr=asr))
        extractors = timed("features_load", lambda: build_extractors(profile, pretrained))
        report = timed("features", lambda: extract_features(project, profile, items=label_items(project),
                                                            extractors=extractors))
    return {
        "audio_seconds": round(duration, 1),
        "slices": getattr(sliced, "slices", None) if not isinstance(getattr(sliced, "slices", None), list)
        else len(sliced.slices),
        "features_ready": report.ready,
        "stage_seconds": times,
        "total_seconds": round(sum(times.values()), 2),
    }
