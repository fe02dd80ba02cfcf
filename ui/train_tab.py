"""Tab 4, Train: choose a base model, set epochs (with an estimated duration), start / stop /
resume, and watch every loss (train and validation), the per-epoch preview audio and the ETA
update live. Training runs in the background (:mod:`ui.training`); a ``gr.Timer`` polls it."""

from __future__ import annotations

import math
import threading
from typing import Any

import gradio as gr

from gpt_sovits.data import labels as lab
from gpt_sovits.registry import BaseProfile
from gpt_sovits.tiny_base import TINY_PROFILES
from gpt_sovits.train.config import CPU_EPOCHS, TrainConfig
from gpt_sovits.voice_format import REFERENCE_DOUBTS
from ui.common import format_seconds, friendly_errors
from ui.i18n import I18N, coded_message, message, request_lang
from ui.players import Clip, players_html
from ui.plots import loss_grid_figure
from ui.services import Services, TabLoad
from ui.training import TrainingSnapshot

# Rough CPU seconds per optimiser step (2 cores), used only before the first measured steps.
# (S2, S1) seconds per step on a 2-core CPU, from `python -m gpt_sovits bench train --preset ...`
# on an idle machine (starter 4.3 / 0.55, v2 6.3 / 1.9), rounded up for a busy machine.
STEP_SECONDS = {"tiny": (0.5, 0.3), "tiny-nodisc": (0.3, 0.3), "starter": (5.0, 0.7), "gsv-v2": (7.5, 2.3)}
# A fine-tune that trains only S2's decoder (the starter's recipe since session 35) reads S2's frozen
# latents, computed once per slice: ~15 s up front, then ~0.9 s per step (new-user check, 6 slices,
# 40 steps in 51 s beside the test suite), rounded up.
DECODER_ONLY_S2 = (15.0, 1.0)
POLL_SECONDS = 1.5


def _config_for(services: Services, base: str) -> TrainConfig:
    """The fine-tune defaults for a base on this machine (CPU epoch counts without a GPU, then the
    base's own recipe from its profile.json)."""
    return TrainConfig.for_this_machine(base, services.registry.fine_tune(base))


def estimate_seconds(base: str, slices: int, s2_epochs: int, s1_epochs: int, decoder_only: bool = False) -> float:
    """Rough training time on CPU from the data size and epochs (before any step is measured);
    ``decoder_only``: the recipe trains only S2's decoder."""
    train = max(slices - max(1, min(4, slices // 5)), 1)
    s2_batch, s1_batch = (max(1, min(cap, train // 4 if train >= 4 else 1)) for cap in (4, 8))
    s2_step, s1_step = STEP_SECONDS.get(base, STEP_SECONDS["starter"])
    setup = 0.0
    if decoder_only and s2_epochs:
        setup, s2_step = DECODER_ONLY_S2[0], min(s2_step, DECODER_ONLY_S2[1])
    return (setup + s2_epochs * math.ceil(train / s2_batch) * s2_step
            + s1_epochs * math.ceil(train / s1_batch) * s1_step)


def _profile_line(profile: BaseProfile, lang: str) -> str:
    """One base per line: ready to train (with or without a discriminator), installed but not
    trainable (e.g. a named s2d file is missing), or not installed; with the fix."""
    head = f"- **{profile.title_in(lang)}** (`{profile.name}`): "
    if profile.can_train:
        note = f" — {message('train.base_preview', lang)}" if profile.preview else ""
        return head + message("train.base_ready", lang) + note
    if profile.available:
        fix = f" — {message('train.base_fix', lang)} `{profile.train_fix}`" if profile.train_fix else ""
        return head + message("train.base_no_train", lang, missing=", ".join(profile.train_missing)) + fix
    fix = f" — {message('train.base_fix', lang)} `{profile.fix}`" if profile.fix else ""
    return head + message("train.base_missing", lang) + fix


def loss_panels(events: list[dict[str, Any]]) -> dict[str, dict[str, tuple[list[float], list[float]]]]:
    """Panel title -> series for every loss of every stage, from step and validation events."""
    panels: dict[str, dict[str, tuple[list[float], list[float]]]] = {}
    for event in events:
        if event.get("kind") not in ("step", "val"):
            continue
        series = "train" if event["kind"] == "step" else "val"
        for key, value in event.get("losses", {}).items():
            panel = panels.setdefault(f"{event['stage'].upper()} {key}", {})
            xs, ys = panel.setdefault(series, ([], []))
            xs.append(event["step"])
            ys.append(value)
    return panels


def note_text(event: dict[str, Any], lang: str) -> str:
    """A training note in the UI language (its English message when the studio has no words for it)."""
    return coded_message("train.note", str(event.get("code") or ""), event.get("values") or {}, lang,
                         str(event.get("message", "")))


# Training notes that ask the user to do something (a slice left out, a doubtful reference clip).
ATTENTION_NOTES = ("left_out", *(f"reference_{doubt}" for doubt in REFERENCE_DOUBTS))


def status_text(snap: TrainingSnapshot, lang: str) -> str:
    """Where the training is, its ETA, the last notes, the result or the error."""
    steps = [e for e in snap.events if e.get("kind") == "step"]
    lines = []
    if snap.running:
        lines.append(message("train.running", lang))
    if steps:
        last = steps[-1]
        lines.append(message("train.progress", lang, stage=last["stage"].upper(), epoch=last["epoch"] + 1,
                             step=last["step"], eta=format_seconds(last.get("eta", 0.0), lang)))
    infos = [e for e in snap.events if e.get("kind") == "info"]
    # what asks the user to act stays on screen; other notes scroll (the last three)
    others = [e for e in infos if e.get("code") not in ATTENTION_NOTES]
    lines += [f"- ⚠ {note_text(e, lang)}" for e in infos if e.get("code") in ATTENTION_NOTES]
    lines += [f"- {note_text(e, lang)}" for e in others[-3:]]
    if snap.error:
        lines.append(message("train.failed", lang, error=snap.error))
    elif snap.result and not snap.running:
        key = "train.cancelled" if snap.result.get("cancelled") else "train.finished"
        lines.append(message(key, lang, voice=snap.result.get("voice_path", "")))
    return "\n\n".join(lines)


def build_train_tab(services: Services, project: gr.State) -> TabLoad:
    """Build the Train tab inside the current ``gr.Tab`` context."""
    guide = gr.Markdown(elem_id="train-guide")
    with gr.Row():
        base = gr.Dropdown(label=I18N("train.base"), choices=[(p.title, p.name) for p in services.registry.profiles()],
                           value=None, scale=2, elem_id="train-base")
        voice_name = gr.Textbox(label=I18N("train.voice_name"), placeholder=I18N("train.voice_name_hint"), scale=2)
    bases = gr.Markdown()
    with gr.Row():
        s2_epochs = gr.Slider(1, 30, value=CPU_EPOCHS[0], step=1, label=I18N("train.s2_epochs"), info=I18N("train.s2_info"),
                              elem_id="train-s2-epochs")
        s1_epochs = gr.Slider(1, 50, value=CPU_EPOCHS[1], step=1, label=I18N("train.s1_epochs"), info=I18N("train.s1_info"),
                              elem_id="train-s1-epochs")
    estimate = gr.Markdown(elem_id="train-estimate")
    with gr.Row():
        start = gr.Button(I18N("train.start"), variant="primary", elem_id="train-start")
        resume = gr.Button(I18N("train.resume"), elem_id="train-resume")
        stop = gr.Button(I18N("common.stop"), variant="stop", elem_id="train-stop")
    status = gr.Markdown(elem_id="train-status")
    gr.Markdown(I18N("train.losses"))
    plot = gr.Plot(show_label=False, format="png", elem_id="train-plot")
    with gr.Row():
        sample = gr.Audio(label=I18N("train.sample"), interactive=False, elem_id="train-sample")
        samples = gr.HTML(elem_id="train-samples")
    timer = gr.Timer(POLL_SECONDS, active=False)

    def labelled(folder: str) -> int:
        return sum(1 for e in lab.load_labels(services.open(folder).root) if e.text)

    def live(folder: str, lang: str) -> tuple:
        snap = services.training.snapshot(services.open(folder))
        panels = loss_panels(snap.events)
        previews = [e for e in snap.events if e.get("kind") == "sample"]
        clips = [Clip(f"{e['stage'].upper()} · epoch {e['epoch'] + 1}", f"step {e['step']}", e["path"]) for e in previews]
        busy = services.training.busy_with()
        idle = busy is None
        return (status_text(snap, lang), loss_grid_figure(panels) if panels else None,
                previews[-1]["path"] if previews else None, players_html(clips, message("train.no_samples", lang)),
                gr.update(interactive=idle), gr.update(interactive=idle and _resumable(folder)),
                gr.update(interactive=snap.running),
                gr.Timer(active=busy is not None))

    def _resumable(folder: str) -> bool:
        from gpt_sovits.train.run import latest_unfinished_run

        return latest_unfinished_run(services.open(folder)) is not None

    live_outputs = [status, plot, sample, samples, start, resume, stop, timer]

    def show(folder: str, current: str | None, e2: float, e1: float, request: gr.Request) -> tuple:
        lang = request_lang(request)
        profiles = services.registry.profiles()
        trainable = [p.name for p in profiles if p.can_train]
        choices = [(p.title_in(lang), p.name) for p in profiles]
        listing = "\n".join(_profile_line(p, lang) for p in profiles)
        if not folder:
            off = gr.update(interactive=False)
            return (message("common.no_project", lang), gr.update(choices=choices), listing, "", gr.skip(), gr.skip(),
                    None, None, None, "", off, off, off, gr.Timer(active=False))
        with friendly_errors(lang, "action.open"):
            count = labelled(folder)
            outs = live(folder, request_lang(request))
        busy = services.training.busy_with()
        if busy and busy != folder:
            text = message("train.busy", lang, project=busy)
        elif count < 2:
            text = message("train.guide_no_labels", lang)
        elif not trainable:
            text = message("train.guide_no_base", lang)
        else:
            text = message("train.guide", lang, count=count)
        ready = count >= 2 and bool(trainable)
        outs = (*outs[:4], gr.update(interactive=ready and outs[4]["interactive"]), *outs[5:])
        chosen = current if current in [p.name for p in profiles] else (trainable[0] if trainable else None)
        epochs, estimate_text = (gr.skip(), gr.skip()), ""
        picked = bool(chosen) and chosen != current  # the tab picks the base itself: its recipe comes in this reply
        if picked and not claim_recipe(request, chosen):
            estimate_text = gr.skip()  # another load of this page already gave the recipe (and its estimate)
        elif chosen:
            if picked:
                e2, e1 = epochs = recipe(chosen)
            estimate_text = on_estimate(folder, chosen, e2, e1, request)
        return (text, gr.update(choices=choices, value=chosen), listing, estimate_text, *epochs, *outs)

    shown: dict[str, str] = {}  # page session -> the base whose recipe its epoch sliders were given
    lock = threading.Lock()

    def claim_recipe(request: gr.Request, name: str) -> bool:
        """Record that this page's epoch sliders get ``name``'s recipe; False if they already had it
        (the page-open and tab-select loads may both pick the base: only one may set the epochs)."""
        with lock:
            fresh = shown.get(request.session_hash or "") != name
            shown[request.session_hash or ""] = name
            return fresh

    def recipe(name: str) -> tuple[int, int]:
        config = _config_for(services, name)
        return config.s2_epochs, config.s1_epochs

    def on_base(folder: str, name: str | None, request: gr.Request) -> tuple[int, int]:
        name = name or "starter"
        claim_recipe(request, name)  # the user chose it: the recipe is set whether or not the page had it
        return recipe(name)

    def on_estimate(folder: str, name: str | None, e2: float, e1: float, request: gr.Request) -> str:
        lang = request_lang(request)
        if not folder or not name:
            return ""
        with friendly_errors(lang, "action.open"):
            count = labelled(folder)
        decoder_only = _config_for(services, name).s2_decoder_only
        seconds = estimate_seconds(name, count, int(e2), int(e1), decoder_only)
        return message("train.estimate", lang, time=format_seconds(seconds, lang), count=count)

    def on_start(folder: str, name: str | None, voice: str, e2: float, e1: float, request: gr.Request) -> tuple:
        lang = request_lang(request)
        with friendly_errors(lang, "action.train"):
            proj = services.open(folder)
            if not name:
                raise gr.Error(message("train.guide_no_base", lang), print_exception=False)
            if name not in TINY_PROFILES:
                services.registry.profile(name, train=True)
            config = _config_for(services, name).replace(s2_epochs=int(e2), s1_epochs=int(e1), voice_name=voice.strip())
            services.training.start(proj, config)
        return live(folder, lang)

    def on_resume(folder: str, request: gr.Request) -> tuple:
        lang = request_lang(request)
        with friendly_errors(lang, "action.train"):
            services.training.start(services.open(folder), TrainConfig(), resume=True)
        return live(folder, lang)

    def on_stop(folder: str, request: gr.Request) -> str:
        lang = request_lang(request)
        return message("common.stopping" if services.training.stop(folder or "") else "train.not_running", lang)

    def poll(folder: str, request: gr.Request) -> tuple:
        lang = request_lang(request)
        if not folder:
            return (gr.skip(),) * 7 + (gr.Timer(active=False),)
        with friendly_errors(lang, "action.open"):
            return live(folder, lang)

    # Only the user's own choice of base resets the epochs (the tab's choice sets them in its reply): a recipe
    # applied by a later event would overwrite epochs the user has typed in the meantime.
    base.input(on_base, inputs=[project, base], outputs=[s2_epochs, s1_epochs], api_name="train_defaults")
    gr.on([base.change, s2_epochs.change, s1_epochs.change], on_estimate,
          inputs=[project, base, s2_epochs, s1_epochs], outputs=estimate, api_name="train_estimate",
          show_progress="hidden")
    start.click(on_start, inputs=[project, base, voice_name, s2_epochs, s1_epochs], outputs=live_outputs,
                api_name="train_start")
    resume.click(on_resume, inputs=project, outputs=live_outputs, api_name="train_resume")
    stop.click(on_stop, inputs=project, outputs=status, api_name="train_stop")
    timer.tick(poll, inputs=project, outputs=live_outputs, api_name="train_poll", show_progress="hidden")
    return TabLoad(fn=show, inputs=[project, base, s2_epochs, s1_epochs],
                   outputs=[guide, base, bases, estimate, s2_epochs, s1_epochs, *live_outputs])
