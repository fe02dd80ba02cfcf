"""Voices & models tab: what base models/encoders are installed, and how to get the missing ones."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from gpt_sovits.errors import StudioError
from gpt_sovits.registry import RegistryStatus, whisper_model_dir
from ui.i18n import I18N, message, request_lang
from ui.services import Services, TabLoad


def status_table(status: RegistryStatus, lang: str) -> pd.DataFrame:
    """One table row per component and per base profile, with translated column names."""
    ready, missing = message("models.ready", lang), message("models.missing", lang)
    rows = []
    for comp in status.components:
        rows.append([comp.name, ready if comp.available else missing, comp.fix or "", comp.detail])
    for prof in status.profiles:
        detail, fix = prof.title_in(lang), prof.fix or ""
        if not prof.available:
            detail = f"{prof.title_in(lang)}: {', '.join(prof.missing)}"
        elif not prof.can_train:  # synthesis works; fine-tuning lacks e.g. the s2d file it names
            detail = f"{prof.title_in(lang)}: {message('models.no_train', lang, missing=', '.join(prof.train_missing))}"
            fix = prof.train_fix or ""
        rows.append([f"base: {prof.name}", ready if prof.available else missing, fix, detail])
    columns = [message(f"models.table.{key}", lang) for key in ("name", "state", "fix", "detail")]
    return pd.DataFrame(rows, columns=columns)


def summary_markdown(status: RegistryStatus, lang: str) -> str:
    yes, no = message("models.yes", lang), message("models.no", lang)
    lines = [f"### {message('models.can', lang)}"]
    for key, ok in (("models.can_label", status.can_label), ("models.can_train", status.can_train),
                    ("models.can_synth", status.can_synthesize)):
        lines.append(f"- {message(key, lang)}: **{yes if ok else no}**")
    lines += [f"- {message(key, lang)}" for key in next_step_keys(status)]
    return "\n".join(lines)


def next_step_keys(status: RegistryStatus) -> list[str]:
    """The registry's next steps as translatable message keys."""
    keys = [] if status.can_label else ["models.step_whisper"]
    if not status.can_synthesize:
        keys.append("models.step_no_base")
    elif not status.can_train:
        keys.append("models.step_no_train")
    if status.can_synthesize and not any(p.name == "gsv-v2" and p.available for p in status.profiles):
        preview = any(p.available and p.preview for p in status.profiles)
        keys.append("models.step_gsv_over_preview" if preview else "models.step_gsv_optional")
    return keys


def build_models_tab(services: Services) -> TabLoad:
    """Build the tab inside the current ``gr.Tab`` context; returns what to run on page load."""
    gr.Markdown(I18N("models.intro"))
    summary = gr.Markdown()
    table = gr.Dataframe(interactive=False, wrap=True)
    with gr.Row():
        refresh = gr.Button(I18N("models.refresh"))
        prepare = gr.Button(I18N("models.prepare_whisper"), variant="secondary")
    notice = gr.Markdown()

    def show(request: gr.Request) -> tuple[str, pd.DataFrame]:
        lang = request_lang(request)
        status = services.registry.status()
        return summary_markdown(status, lang), status_table(status, lang)

    def prepare_whisper(request: gr.Request) -> tuple[str, str, pd.DataFrame]:
        lang = request_lang(request)
        try:
            path = whisper_model_dir(services.registry.root)
            note = message("models.whisper_ok", lang, path=path)
        except StudioError as exc:
            note = message("error.generic", lang, error=exc)
        return (note, *show(request))

    refresh.click(show, outputs=[summary, table], api_name="models_status")
    prepare.click(prepare_whisper, outputs=[notice, summary, table], api_name="prepare_whisper")
    return TabLoad(fn=show, outputs=[summary, table])
