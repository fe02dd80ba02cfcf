"""Tab 1, Voice data: record takes with the microphone or upload audio/video files, listen to
them, delete them (with confirmation) and see how much speech there is (aim for 1-3 minutes)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from gpt_sovits.data.recordings import remove_raw
from gpt_sovits.data.stages import ImportOptions, ImportStageResult, import_stage
from ui.common import format_seconds, friendly_errors, gradio_progress, speech_guidance
from ui.i18n import I18N, message, request_lang
from ui.players import Clip, players_html
from ui.recordings import list_recordings, sliced_seconds
from ui.services import Services, TabLoad

SCRIPT_ZH = """1. 今天的天气很好，我们一起去公园散步吧。
2. 请把桌子上的那本书递给我，谢谢你。
3. 春天来了，花园里开满了红色和黄色的花。
4. 我每天早上七点起床，先喝一杯水，然后去跑步。
5. 这家小饭馆的面条又香又辣，价格也不贵。
6. 如果明天下雨，我们就把会议改到下午三点。
7. 他从北京坐火车到上海，一路上看了很多风景。
8. 学习一门新的语言需要耐心，也需要每天练习。
9. 你好！很高兴认识你，欢迎来到我们的工作室。
10. 晚上的月亮又大又圆，孩子们在院子里唱歌。"""

SCRIPT_EN = """1. The quick brown fox jumps over the lazy dog near the river bank.
2. Please call Stella and ask her to bring these things with her from the store.
3. On Monday morning we drove north for three hours through the quiet hills.
4. Could you tell me how much the yellow jacket costs, and whether it comes in blue?
5. I usually read a few pages of a good book before I fall asleep.
6. The weather was cold and windy, but the children still played outside.
7. Thank you for waiting; your order will be ready in about ten minutes.
8. She measured the garden, bought seven plants, and watered them every evening.
9. Is this the right way to the station, or should we turn left at the bridge?
10. Learning to cook takes patience, curiosity, and a sense of humour."""


def _take_name(existing: list[str]) -> str:
    numbers = [int(n[5:].split(".")[0].split("_")[0]) for n in existing
               if n.startswith("take-") and n[5:].split(".")[0].split("_")[0].isdigit()]
    return f"take-{max(numbers, default=0) + 1}.wav"


def build_data_tab(services: Services, project: gr.State) -> TabLoad:
    """Build the Voice data tab inside the current ``gr.Tab`` context."""
    guide = gr.Markdown(elem_id="data-guide")
    with gr.Row():
        with gr.Column():
            recorder = gr.Audio(sources=["microphone"], type="filepath", label=I18N("data.record"),
                                elem_id="recorder", format="wav")
            gr.Markdown(I18N("data.record_help"))
        with gr.Column():
            upload = gr.File(label=I18N("data.upload"), file_count="multiple", file_types=["audio", "video"],
                             elem_id="upload-files", height=160)
            gr.Markdown(I18N("data.upload_help"))
    with gr.Accordion(I18N("data.script"), open=False):
        gr.Markdown(I18N("data.script_help"))
        with gr.Tabs():
            with gr.Tab("中文"):
                gr.Markdown(SCRIPT_ZH)
            with gr.Tab("English"):
                gr.Markdown(SCRIPT_EN)
    gr.Markdown(I18N("data.list_title"))
    players = gr.HTML(elem_id="recording-list")
    with gr.Row(elem_classes="bottom-row"):
        to_delete = gr.Dropdown(label=I18N("data.delete_pick"), choices=[], scale=3, elem_id="recording-to-delete")
        delete = gr.Button(I18N("data.delete"), variant="stop", scale=1, elem_id="delete-recording")
    with gr.Row(visible=False) as confirm_row:
        confirm_text = gr.Markdown()
        confirm = gr.Button(I18N("data.delete_yes"), variant="stop", elem_id="confirm-delete-recording")
        cancel = gr.Button(I18N("common.cancel"))

    def show(folder: str, request: gr.Request) -> tuple:
        lang = request_lang(request)
        if not folder:
            off = gr.update(interactive=False)
            return (message("data.guide_no_project", lang), players_html([], message("data.empty", lang)),
                    gr.update(choices=[], value=None), off, off, off)
        proj = services.open(folder)
        items = list_recordings(proj)
        total = sum(r.seconds for r in items)
        sliced = sliced_seconds(proj)
        lines = [message("data.guide", lang),
                 message("data.total", lang, count=len(items), time=format_seconds(total, lang)),
                 speech_guidance(total, lang)]
        if sliced:
            lines.append(message("data.sliced_total", lang, time=format_seconds(sliced, lang)))
        lines.append(message("data.next" if items else "data.next_none", lang))
        clips = [Clip(r.label, format_seconds(r.seconds, lang), r.path) for r in items]
        on = gr.update(interactive=True)
        return ("\n\n".join(lines), players_html(clips, message("data.empty", lang)),
                gr.update(choices=[(r.label, r.name) for r in items], value=items[-1].name if items else None),
                on, on, gr.update(interactive=bool(items)))

    outputs = [guide, players, to_delete, recorder, upload, delete]

    def add_files(folder: str, files: list[str] | None, request: gr.Request,
                  progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
        lang = request_lang(request)
        if not files:
            return (gr.skip(), *show(folder, request))
        with friendly_errors(lang, "action.import"):
            proj = services.open(folder)
            options = ImportOptions(paths=list(files), names=[Path(f).name for f in files])
            result = import_stage(proj, options, gradio_progress(progress))
        _announce(result, lang)
        return (None, *show(folder, request))

    def add_take(folder: str, take: str | None, request: gr.Request) -> tuple:
        lang = request_lang(request)
        if not take:
            return (gr.skip(), *show(folder, request))
        with friendly_errors(lang, "action.record"):
            proj = services.open(folder)
            name = _take_name(list(proj.meta.raw))
            result = import_stage(proj, ImportOptions(paths=[take], names=[name]))
        _announce(result, lang)
        return (None, *show(folder, request))

    def ask_delete(folder: str, name: str | None, request: gr.Request) -> tuple:
        lang = request_lang(request)
        if not name:
            raise gr.Error(message("data.delete_none", lang), print_exception=False)
        label = next((r.label for r in list_recordings(services.open(folder)) if r.name == name), name)
        return gr.update(visible=True), message("data.delete_confirm", lang, name=label)

    def do_delete(folder: str, name: str | None, request: gr.Request) -> tuple:
        lang = request_lang(request)
        with friendly_errors(lang, "action.delete_recording"):
            remove_raw(services.open(folder), name or "")
        return (gr.update(visible=False), *show(folder, request))

    upload.upload(add_files, inputs=[project, upload], outputs=[upload, *outputs], api_name="upload_recordings")
    recorder.stop_recording(add_take, inputs=[project, recorder], outputs=[recorder, *outputs],
                            api_name="save_take")
    delete.click(ask_delete, inputs=[project, to_delete], outputs=[confirm_row, confirm_text],
                 api_name="ask_delete_recording")
    cancel.click(lambda: gr.update(visible=False), outputs=confirm_row, api_name="cancel_delete_recording")
    confirm.click(do_delete, inputs=[project, to_delete], outputs=[confirm_row, *outputs],
                  api_name="delete_recording")
    return TabLoad(fn=show, inputs=[project], outputs=outputs)


def _announce(result: ImportStageResult, lang: str) -> None:
    """Toasts for an import result: what was added, skipped as duplicate, rejected and why."""
    if result.imported:
        gr.Info(message("data.imported", lang, count=len(result.imported)))
    if result.duplicates:
        gr.Info(message("data.duplicates", lang, names=", ".join(result.duplicates)))
    for reason in [*result.rejected.values(), *result.warnings]:
        gr.Warning(reason)
