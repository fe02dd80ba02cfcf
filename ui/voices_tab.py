"""Tab 6 (upper part), Voices: the open project's trained voices. Rename, export as a zip,
import a zip or official GPT-SoVITS ``.ckpt`` + ``.pth`` files, delete (to the project's trash,
after a confirmation). The Synthesize tab re-reads the voices whenever it is opened."""

from __future__ import annotations

from datetime import datetime

import gradio as gr
import pandas as pd

from gpt_sovits.data.project import Project
from gpt_sovits.voice_format import VoiceManifest
from gpt_sovits.voices import (
    delete_voice,
    export_voice_zip,
    import_official,
    import_voice_zip,
    list_voices,
    rename_voice,
)
from ui.common import format_seconds, friendly_errors
from ui.i18n import I18N, message, request_lang
from ui.services import Services, TabLoad

COLUMNS = ("name", "profile", "languages", "data", "steps", "created")


def voices_table(voices: list[tuple[str, VoiceManifest]], lang: str) -> pd.DataFrame:
    """One row per voice with translated column names."""
    rows = []
    for _, m in voices:
        steps = " · ".join(f"{stage.upper()} {count}" for stage, count in sorted(m.steps.items())) or "—"
        rows.append([m.name, m.profile, ", ".join(m.languages), format_seconds(m.data_seconds, lang) if m.data_seconds
                     else "—", steps, _local_time(m.created)])
    return pd.DataFrame(rows, columns=[message(f"voices.table.{key}", lang) for key in COLUMNS])


def _local_time(iso: str) -> str:
    """``2025-01-02T03:04:05+00:00`` -> ``2025-01-02 04:04`` in this computer's time zone."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def build_voices_tab(services: Services, project: gr.State) -> TabLoad:
    """Build the voices part of the Voices & models tab inside the current ``gr.Tab`` context."""
    gr.Markdown(I18N("voices.title"))
    guide = gr.Markdown(elem_id="voices-guide")
    table = gr.Dataframe(interactive=False, wrap=True, elem_id="voices-table")
    with gr.Row(elem_classes="bottom-row"):
        chosen = gr.Dropdown(label=I18N("voices.pick"), choices=[], scale=2, elem_id="voice-pick")
        new_name = gr.Textbox(label=I18N("voices.new_name"), placeholder=I18N("voices.new_name_hint"), scale=2,
                              elem_id="voice-new-name")
        rename = gr.Button(I18N("voices.rename"), scale=1, elem_id="rename-voice")
    with gr.Row(elem_classes="bottom-row"):
        export = gr.Button(I18N("voices.export"), elem_id="export-voice")
        delete = gr.Button(I18N("voices.delete"), variant="stop", elem_id="delete-voice")
    with gr.Row(visible=False) as confirm_row:
        confirm_text = gr.Markdown()
        confirm = gr.Button(I18N("voices.delete_yes"), variant="stop", elem_id="confirm-delete-voice")
        cancel = gr.Button(I18N("common.cancel"), elem_id="cancel-delete-voice")
    exported = gr.File(label=I18N("voices.exported"), interactive=False, visible=False, elem_id="voice-zip-out")
    gr.Markdown(I18N("voices.import_zip_title"))
    zip_in = gr.File(label=I18N("voices.import_zip"), file_types=[".zip"], height=110, elem_id="voice-zip-in")
    with gr.Accordion(I18N("voices.import_official_title"), open=False, elem_id="official-import"):
        gr.Markdown(I18N("voices.import_official_help"))
        with gr.Row():
            ckpt = gr.File(label=I18N("voices.ckpt"), file_types=[".ckpt"], height=110)
            pth = gr.File(label=I18N("voices.pth"), file_types=[".pth"], height=110)
        with gr.Row():
            reference = gr.Audio(label=I18N("voices.reference"), type="filepath", sources=["upload"])
            with gr.Column():
                reference_text = gr.Textbox(label=I18N("voices.reference_text"), lines=2)
                official_name = gr.Textbox(label=I18N("voices.official_name"), placeholder=I18N("voices.new_name_hint"))
        import_button = gr.Button(I18N("voices.import_official"), variant="primary", elem_id="import-official")

    def show(folder: str, current: str | None, request: gr.Request) -> tuple:
        lang = request_lang(request)
        voices = []
        if folder:
            with friendly_errors(lang, "action.open"):
                voices = list_voices(services.open(folder))
        folders = [name for name, _ in voices]
        key = "voices.guide_no_project" if not folder else ("voices.guide" if voices else "voices.guide_none")
        pick = gr.update(choices=[(m.name, name) for name, m in voices],
                         value=current if current in folders else (folders[-1] if folders else None))
        can = gr.update(interactive=bool(voices))
        importing = gr.update(interactive=bool(folder))
        return (message(key, lang, count=len(voices)), voices_table(voices, lang), pick, can, can, can,
                importing, importing)

    outputs = [guide, table, chosen, rename, export, delete, zip_in, import_button]

    def need_voice(name: str | None, lang: str) -> str:
        if not name:
            raise gr.Error(message("voices.none_chosen", lang), print_exception=False)
        return name

    def do_rename(folder: str, name: str | None, new: str, request: gr.Request) -> tuple:
        lang = request_lang(request)
        with friendly_errors(lang, "action.rename_voice"):
            renamed = rename_voice(services.open(folder), need_voice(name, lang), new or "")
        gr.Info(message("voices.renamed", lang, name=new.strip()))
        return ("", *show(folder, renamed, request))

    def do_export(folder: str, name: str | None, request: gr.Request) -> dict:
        lang = request_lang(request)
        with friendly_errors(lang, "action.export_voice"):
            proj = services.open(folder)
            exports = proj.root / "exports"
            exports.mkdir(exist_ok=True)
            path = export_voice_zip(proj.voices_dir / need_voice(name, lang), exports)
        return gr.update(value=str(path), visible=True)

    def ask_delete(folder: str, name: str | None, request: gr.Request) -> tuple:
        lang = request_lang(request)
        with friendly_errors(lang, "action.delete_voice"):
            proj = services.open(folder)
            label = _display_name(proj, need_voice(name, lang))
        return gr.update(visible=True), message("voices.delete_confirm", lang, name=label,
                                                trash=f"{proj.root.name}/trash")

    def do_delete(folder: str, name: str | None, request: gr.Request) -> tuple:
        lang = request_lang(request)
        with friendly_errors(lang, "action.delete_voice"):
            proj = services.open(folder)
            label = _display_name(proj, need_voice(name, lang))
            delete_voice(proj, name, confirm=True)
        gr.Info(message("voices.deleted", lang, name=label))
        return (gr.update(visible=False), gr.update(value=None, visible=False), *show(folder, None, request))

    def on_zip(folder: str, path: str | None, request: gr.Request) -> tuple:
        lang = request_lang(request)
        if not path:
            return (gr.skip(), *show(folder, None, request))
        with friendly_errors(lang, "action.import_voice"):
            proj = services.open(folder)
            added = import_voice_zip(proj, path)
            gr.Info(message("voices.imported", lang, name=_display_name(proj, added)))
        return (None, *show(folder, added, request))

    def on_official(folder: str, ckpt_path: str | None, pth_path: str | None, ref: str | None, text: str,
                    name: str, request: gr.Request) -> tuple:
        lang = request_lang(request)
        if not (ckpt_path and pth_path and ref):
            raise gr.Error(message("voices.need_files", lang), print_exception=False)
        with friendly_errors(lang, "action.import_official"):
            proj = services.open(folder)
            added = import_official(proj, ckpt_path, pth_path, ref, text or "", name or "")
            gr.Info(message("voices.imported", lang, name=_display_name(proj, added)))
        return (None, None, None, "", "", *show(folder, added, request))

    rename.click(do_rename, inputs=[project, chosen, new_name], outputs=[new_name, *outputs],
                 api_name="rename_voice")
    new_name.submit(do_rename, inputs=[project, chosen, new_name], outputs=[new_name, *outputs],
                    api_name="rename_voice_on_enter")
    export.click(do_export, inputs=[project, chosen], outputs=exported, api_name="export_voice")
    delete.click(ask_delete, inputs=[project, chosen], outputs=[confirm_row, confirm_text], api_name="ask_delete_voice")
    cancel.click(lambda: gr.update(visible=False), outputs=confirm_row, api_name="cancel_delete_voice")
    confirm.click(do_delete, inputs=[project, chosen], outputs=[confirm_row, exported, *outputs],
                  api_name="delete_voice")
    zip_in.upload(on_zip, inputs=[project, zip_in], outputs=[zip_in, *outputs], api_name="import_voice_zip",
                  concurrency_limit=1)
    import_button.click(on_official, inputs=[project, ckpt, pth, reference, reference_text, official_name],
                        outputs=[ckpt, pth, reference, reference_text, official_name, *outputs],
                        api_name="import_official", concurrency_limit=1)
    return TabLoad(fn=show, inputs=[project, chosen], outputs=outputs)


def _display_name(project: Project, folder: str) -> str:
    """The display name of voice ``folder`` (the folder name if it is not a complete voice)."""
    return next((m.name for name, m in list_voices(project) if name == folder), folder)
