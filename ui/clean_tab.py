"""Tab 2, Clean & slice: optional denoise, loudness normalisation and silence slicing, with
before/after waveforms and the resulting slices to listen to. Slicer settings sit under
"Advanced" with the defaults of :class:`gpt_sovits.audio.slicer.SlicerConfig`."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import soundfile as sf

from gpt_sovits.audio.io import load_audio, read_wav
from gpt_sovits.audio.slicer import SlicerConfig
from gpt_sovits.data.project import Project
from gpt_sovits.data.stages import CleanOptions, clean_stage, slice_stage
from ui.common import format_seconds, friendly_errors, gradio_progress, speech_guidance
from ui.i18n import I18N, message, request_lang
from ui.players import Clip, players_html
from ui.plots import waveform_figure
from ui.recordings import list_recordings
from ui.services import Services, TabLoad

PLOT_SR = 8000
SLICER_FIELDS = ("threshold_db", "min_length_ms", "min_interval_ms", "max_sil_kept_ms", "max_length_s",
                 "min_chunk_s")


def _slice_clips(project: Project, lang: str) -> tuple[list[Clip], float]:
    """Players for every slice and their total duration in seconds."""
    clips, total = [], 0.0
    for path in sorted(project.slices_dir.glob("*.wav")):
        seconds = sf.info(str(path)).duration
        clips.append(Clip(path.name, format_seconds(seconds, lang), str(path)))
        total += seconds
    return clips, total


def _waveforms(project: Project, name: str | None, lang: str):  # noqa: ANN202 (matplotlib Figure)
    """Before/after figure for raw recording ``name`` (None when there is nothing to show)."""
    if not name or not (project.raw_dir / name).is_file():
        return None
    tracks = [(message("clean.before", lang), load_audio(project.raw_dir / name, sr=PLOT_SR), PLOT_SR)]
    clean_path = project.clean_dir / f"{Path(name).stem}.wav"
    if clean_path.is_file():
        audio, sr = read_wav(clean_path)
        tracks.append((message("clean.after", lang), audio, sr))
    return waveform_figure(tracks)


def build_clean_tab(services: Services, project: gr.State) -> TabLoad:
    """Build the Clean & slice tab inside the current ``gr.Tab`` context."""
    defaults = SlicerConfig()
    guide = gr.Markdown(elem_id="clean-guide")
    denoise = gr.Slider(0.0, 1.0, value=0.0, step=0.1, label=I18N("clean.denoise"), info=I18N("clean.denoise_info"),
                        elem_id="denoise")
    with gr.Accordion(I18N("clean.advanced"), open=False):
        gr.Markdown(I18N("clean.advanced_help"))
        with gr.Row():
            threshold = gr.Slider(-60, -10, value=defaults.threshold_db, step=1, label=I18N("clean.threshold"))
            min_length = gr.Slider(500, 10000, value=defaults.min_length_ms, step=100, label=I18N("clean.min_length"))
            min_interval = gr.Slider(50, 2000, value=defaults.min_interval_ms, step=10,
                                     label=I18N("clean.min_interval"))
        with gr.Row():
            max_sil = gr.Slider(50, 2000, value=defaults.max_sil_kept_ms, step=10, label=I18N("clean.max_sil"))
            max_length = gr.Slider(2, 30, value=defaults.max_length_s, step=0.5, label=I18N("clean.max_length"))
            min_chunk = gr.Slider(0.2, 3, value=defaults.min_chunk_s, step=0.1, label=I18N("clean.min_chunk"))
        reset = gr.Button(I18N("clean.reset"), size="sm")
    slicer_inputs = [threshold, min_length, min_interval, max_sil, max_length, min_chunk]
    with gr.Row():
        run = gr.Button(I18N("clean.run"), variant="primary", elem_id="run-clean", scale=3)
        stop = gr.Button(I18N("common.stop"), variant="stop", elem_id="stop-clean", scale=1)
    status = gr.Markdown(elem_id="clean-status")
    recording = gr.Dropdown(label=I18N("clean.show_recording"), choices=[])
    plot = gr.Plot(label=I18N("clean.waveforms"), format="png", elem_id="waveforms")
    gr.Markdown(I18N("clean.slices_title"))
    slices = gr.HTML(elem_id="slice-list")

    def show(folder: str, request: gr.Request) -> tuple:
        lang = request_lang(request)
        empty = players_html([], message("clean.no_slices", lang))
        if not folder:
            return (message("common.no_project", lang), gr.update(interactive=False), gr.update(choices=[], value=None),
                    None, empty)
        with friendly_errors(lang, "action.open"):
            proj = services.open(folder)
            items = list_recordings(proj)
            clips, seconds = _slice_clips(proj, lang)
        if not items:
            text = message("clean.guide_no_data", lang)
        elif clips:
            text = "\n\n".join([message("clean.guide_done", lang, count=len(clips), time=format_seconds(seconds, lang)),
                                speech_guidance(seconds, lang), message("clean.next", lang)])
        else:
            text = message("clean.guide", lang)
        choice = items[0].name if items else None
        return (text, gr.update(interactive=bool(items)),
                gr.update(choices=[(r.label, r.name) for r in items], value=choice),
                _waveforms(proj, choice, lang), players_html(clips, message("clean.no_slices", lang)))

    outputs = [guide, run, recording, plot, slices]

    def clean_and_slice(folder: str, strength: float, threshold_db: float, min_length_ms: float,
                        min_interval_ms: float, max_sil_kept_ms: float, max_length_s: float, min_chunk_s: float,
                        request: gr.Request, progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
        lang = request_lang(request)
        report = gradio_progress(progress)
        with friendly_errors(lang, "action.clean"):
            proj = services.open(folder)
            config = SlicerConfig(threshold_db=float(threshold_db), min_length_ms=int(min_length_ms),
                                  min_interval_ms=int(min_interval_ms), max_sil_kept_ms=int(max_sil_kept_ms),
                                  max_length_s=float(max_length_s), min_chunk_s=float(min_chunk_s))
            step = services.progress_with_stop(folder, lambda f, m: report(0.5 * f, m))
            cleaned = clean_stage(proj, CleanOptions(denoise=float(strength)), step)
            step = services.progress_with_stop(folder, lambda f, m: report(0.5 + 0.5 * f, m))
            sliced = slice_stage(proj, config, step)
        for reason in [*cleaned.rejected.values(), *cleaned.warnings, *sliced.warnings]:
            gr.Warning(reason)
        done = message("clean.done", lang, count=sliced.slices, time=format_seconds(sliced.seconds, lang))
        return (done, *show(folder, request))

    def stop_work(folder: str) -> None:
        if folder:
            services.stop_flag(folder).set()

    def redraw(folder: str, name: str | None, request: gr.Request):  # noqa: ANN202
        lang = request_lang(request)
        with friendly_errors(lang, "action.open"):
            return _waveforms(services.open(folder), name, lang)

    running = run.click(clean_and_slice, inputs=[project, denoise, *slicer_inputs], outputs=[status, *outputs],
                        api_name="clean_and_slice", concurrency_limit=2)
    stop.click(stop_work, inputs=project, api_name="stop_clean", cancels=[running])
    recording.input(redraw, inputs=[project, recording], outputs=plot, api_name="show_waveforms")
    reset.click(lambda: [getattr(defaults, f) for f in SLICER_FIELDS], outputs=slicer_inputs,
                api_name="reset_slicer")
    return TabLoad(fn=show, inputs=[project], outputs=outputs)

