"""Tab 3, Labels: auto-label the slices with speech recognition, then proofread them in a table
(edit text, listen, delete, merge with the next slice, split, undo) and import/export the
original tool's ``.list`` format. Every action first saves the texts typed in the table."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import gradio as gr
import pandas as pd

from gpt_sovits.data import labels as lab
from gpt_sovits.data.project import Project
from gpt_sovits.data.stages import LabelOptions, label_stage
from ui.common import friendly_errors, gradio_progress
from ui.i18n import I18N, message, request_lang
from ui.labels_table import apply_edits, label_frame, next_slice, slice_seconds
from ui.services import Services, TabLoad


def build_labels_tab(services: Services, project: gr.State) -> TabLoad:
    """Build the Labels tab inside the current ``gr.Tab`` context."""
    selected = gr.State("")
    guide = gr.Markdown(elem_id="labels-guide")
    with gr.Row(elem_classes="bottom-row"):
        language = gr.Dropdown(label=I18N("labels.language"), scale=1, value="auto",
                               choices=[(I18N("labels.auto"), "auto"), ("中文", "zh"), ("English", "en")])
        use_asr = gr.Checkbox(label=I18N("labels.use_asr"), value=True, scale=1, elem_id="use-asr")
        run = gr.Button(I18N("labels.run"), variant="primary", scale=2, elem_id="run-labels")
        stop = gr.Button(I18N("common.stop"), variant="stop", scale=1, elem_id="stop-labels")
    status = gr.Markdown(elem_id="labels-status")
    table = gr.Dataframe(interactive=True, wrap=True, static_columns=[0, 1, 2, 4], elem_id="label-table",
                         column_widths=["28%", "8%", "8%", "40%", "16%"], max_height=420)
    with gr.Row(elem_classes="bottom-row"):
        save = gr.Button(I18N("labels.save"), variant="primary", elem_id="save-labels")
        undo = gr.Button(I18N("labels.undo"), elem_id="undo-labels")
    with gr.Group():
        picked = gr.Markdown(I18N("labels.pick_row"), elem_id="picked-slice")
        with gr.Row():
            player = gr.Audio(label=I18N("labels.player"), interactive=False, scale=2, elem_id="slice-player")
            with gr.Column(scale=2):
                split_at = gr.Slider(0.1, 12.0, value=1.0, step=0.05, label=I18N("labels.split_at"))
                with gr.Row():
                    split = gr.Button(I18N("labels.split"), interactive=False)
                    merge = gr.Button(I18N("labels.merge"), interactive=False)
                    delete = gr.Button(I18N("labels.delete"), variant="stop", interactive=False)
        with gr.Row(visible=False) as confirm_row:
            confirm_text = gr.Markdown()
            confirm = gr.Button(I18N("labels.delete_yes"), variant="stop", elem_id="confirm-delete-slice")
            cancel = gr.Button(I18N("common.cancel"))
    with gr.Accordion(I18N("labels.list_io"), open=False):
        gr.Markdown(I18N("labels.list_help"))
        with gr.Row():
            import_files = gr.File(label=I18N("labels.import_files"), file_count="multiple", height=120)
            exported = gr.File(label=I18N("labels.exported"), interactive=False, height=120)
        with gr.Row():
            import_button = gr.Button(I18N("labels.import"))
            export_button = gr.Button(I18N("labels.export"), elem_id="export-labels")

    def show(folder: str, request: gr.Request) -> tuple:
        lang = request_lang(request)
        can_asr = services.registry.whisper().available
        asr_update = gr.update(interactive=True) if can_asr else gr.update(interactive=False, value=False)
        if not folder:
            return (message("common.no_project", lang), pd.DataFrame(), gr.update(interactive=False), asr_update,
                    gr.update(interactive=False), gr.update(interactive=False))
        with friendly_errors(lang, "action.open"):
            proj = services.open(folder)
            frame = label_frame(proj, lang)
            slices = sorted(proj.slices_dir.glob("*.wav"))
        lines = []
        if not slices:
            lines.append(message("labels.guide_no_slices", lang))
        elif len(frame) < len(slices):
            lines.append(message("labels.guide_run", lang, count=len(slices) - len(frame)))
        else:
            checks = int(frame.iloc[:, 4].astype(str).str.startswith("⚠").sum())
            lines.append(message("labels.guide_review", lang, count=len(frame), checks=checks))
            lines.append(message("labels.next" if checks == 0 else "labels.next_after_check", lang))
        if not can_asr:
            lines.append(message("labels.no_asr", lang))
        has_rows = gr.update(interactive=len(frame) > 0)
        return ("\n\n".join(lines), frame, gr.update(interactive=bool(slices)), asr_update, has_rows,
                gr.update(interactive=bool(lab.history(proj))))

    outputs = [guide, table, run, use_asr, save, undo]
    selection_outputs = [selected, picked, player, split, merge, delete]

    def unselect(lang: str) -> tuple:
        off = gr.update(interactive=False)
        return ("", message("labels.pick_row_text", lang), None, off, off, off)

    def refreshed(folder: str, request: gr.Request, note: str = "") -> tuple:
        return (note, *show(folder, request), *unselect(request_lang(request)))

    def auto_label(folder: str, frame: pd.DataFrame, lang_choice: str, asr: bool, request: gr.Request,
                   progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
        lang = request_lang(request)
        with friendly_errors(lang, "action.label"):
            proj = services.open(folder)
            apply_edits(proj, frame)
            step = services.progress_with_stop(folder, gradio_progress(progress))
            result = label_stage(proj, LabelOptions(language=lang_choice, asr=bool(asr)), step,
                                 asr=services.asr if asr else None)
        note = message("labels.done", lang, count=result.labelled, checks=len(result.flagged))
        return refreshed(folder, request, note)

    def save_edits(folder: str, frame: pd.DataFrame, request: gr.Request) -> tuple:
        lang = request_lang(request)
        with friendly_errors(lang, "action.save_labels"):
            changed = apply_edits(services.open(folder), frame)
        return refreshed(folder, request, message("labels.saved", lang, count=changed))

    def undo_last(folder: str, request: gr.Request) -> tuple:
        lang = request_lang(request)
        with friendly_errors(lang, "action.undo"):
            what = lab.undo(services.open(folder))
        note = message("labels.undone", lang, what=what) if what else message("labels.nothing_to_undo", lang)
        return refreshed(folder, request, note)

    def select_row(folder: str, frame: pd.DataFrame, evt: gr.SelectData, request: gr.Request) -> tuple:
        lang = request_lang(request)
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if frame is None or not 0 <= row < len(frame):
            return unselect(lang)
        name = str(frame.iloc[row, 0])
        with friendly_errors(lang, "action.open"):
            proj = services.open(folder)
            seconds = slice_seconds(proj, name)
            has_next = next_slice(proj, name) is not None
        text = message("labels.picked", lang, name=name, seconds=f"{seconds:.2f}")
        return (name, text, str(proj.slices_dir / name),
                gr.update(interactive=seconds > 0.3), gr.update(interactive=has_next), gr.update(interactive=True))

    def split_slice(folder: str, frame: pd.DataFrame, name: str, at: float, request: gr.Request) -> tuple:
        lang = request_lang(request)
        with friendly_errors(lang, "action.split"):
            proj = services.open(folder)
            apply_edits(proj, frame)
            left, right = lab.split_slice(proj, name, float(at))
        return refreshed(folder, request, message("labels.split_done", lang, left=left, right=right))

    def merge_next(folder: str, frame: pd.DataFrame, name: str, request: gr.Request) -> tuple:
        lang = request_lang(request)
        with friendly_errors(lang, "action.merge"):
            proj = services.open(folder)
            apply_edits(proj, frame)
            following = next_slice(proj, name)
            if following is None:
                raise gr.Error(message("labels.merge_last", lang), print_exception=False)
            merged = lab.merge_slices(proj, [name, following])
        return refreshed(folder, request, message("labels.merged", lang, name=merged))

    def delete_slice(folder: str, frame: pd.DataFrame, name: str, request: gr.Request) -> tuple:
        lang = request_lang(request)
        with friendly_errors(lang, "action.delete_slice"):
            proj = services.open(folder)
            apply_edits(proj, frame)
            lab.delete_slice(proj, name)
        return (gr.update(visible=False), *refreshed(folder, request, message("labels.deleted", lang, name=name)))

    def import_labels(folder: str, files: list[str] | None, request: gr.Request) -> tuple:
        lang = request_lang(request)
        with friendly_errors(lang, "action.import_list"):
            proj = services.open(folder)
            count, warnings = _import_list(proj, files or [], lang)
        for warning in warnings[:10]:
            gr.Warning(warning)
        return (None, *refreshed(folder, request, message("labels.imported", lang, count=count)))

    def export_labels(folder: str, frame: pd.DataFrame, request: gr.Request) -> str:
        lang = request_lang(request)
        with friendly_errors(lang, "action.export_list"):
            proj = services.open(folder)
            apply_edits(proj, frame)
            out = proj.root / "exports" / f"{proj.root.name}.list"
            out.parent.mkdir(exist_ok=True)
            return str(lab.export_list(proj.root, out, absolute=True))

    def stop_work(folder: str, request: gr.Request) -> str:
        if folder:
            services.stop_flag(folder).set()
        return message("common.stopping", request_lang(request))

    full = [status, *outputs, *selection_outputs]
    running = run.click(auto_label, inputs=[project, table, language, use_asr], outputs=full,
                        api_name="auto_label", concurrency_limit=1)
    stop.click(stop_work, inputs=project, outputs=status, api_name="stop_labels", cancels=[running])
    save.click(save_edits, inputs=[project, table], outputs=full, api_name="save_labels")
    undo.click(undo_last, inputs=project, outputs=full, api_name="undo_labels")
    table.select(select_row, inputs=[project, table], outputs=selection_outputs, api_name="select_slice")
    split.click(split_slice, inputs=[project, table, selected, split_at], outputs=full, api_name="split_slice")
    merge.click(merge_next, inputs=[project, table, selected], outputs=full, api_name="merge_with_next")
    def ask_delete(name: str, request: gr.Request) -> tuple:
        return gr.update(visible=True), message("labels.delete_confirm", request_lang(request), name=name)

    delete.click(ask_delete, inputs=selected, outputs=[confirm_row, confirm_text], api_name="ask_delete_slice")
    cancel.click(lambda: gr.update(visible=False), outputs=confirm_row, api_name="cancel_delete_slice")
    confirm.click(delete_slice, inputs=[project, table, selected], outputs=[confirm_row, *full],
                  api_name="delete_slice")
    import_button.click(import_labels, inputs=[project, import_files], outputs=[import_files, *full],
                        api_name="import_list")
    export_button.click(export_labels, inputs=[project, table], outputs=exported, api_name="export_list")
    return TabLoad(fn=show, inputs=[project], outputs=outputs)


def _import_list(project: Project, files: list[str], lang: str) -> tuple[int, list[str]]:
    """Import one uploaded .list with the uploaded wavs it names (looked up by file name)."""
    lists = [f for f in files if f.lower().endswith(".list")]
    if len(lists) != 1:
        raise gr.Error(message("labels.import_need_list", lang), print_exception=False)
    with tempfile.TemporaryDirectory() as tmp, project.lock("importing labels"):
        for path in files:
            if path not in lists:
                shutil.copy(path, Path(tmp) / Path(path).name)
        return lab.import_list(project.root, lists[0], audio_dir=tmp)
