"""Assemble the studio's Blocks: the project bar above the tabs, then one tab per step.

Every tab is built by its own ``build_<tab>_tab(services, project)`` and refreshed when the page
opens, when the session's project changes and when the tab is selected.
"""

from __future__ import annotations

import gradio as gr

from ui.clean_tab import build_clean_tab
from ui.data_tab import build_data_tab
from ui.i18n import HEAD_JS, I18N
from ui.labels_tab import build_labels_tab
from ui.models_tab import build_models_tab
from ui.players import CSS as PLAYERS_CSS
from ui.project_picker import build_project_bar
from ui.services import Services, TabLoad
from ui.synth_tab import build_synth_tab
from ui.train_tab import build_train_tab
from ui.voices_tab import build_voices_tab

CSS = PLAYERS_CSS + """
#studio-header h1 { margin-bottom: 0.2em; }
.bottom-row { align-items: flex-end !important; }
.bottom-row > button { flex-grow: 0; min-width: 200px; }
"""


def build_app(services: Services) -> gr.Blocks:
    """The whole studio UI."""
    with gr.Blocks(title="GPT-SoVITS Studio") as demo:
        gr.Markdown(I18N("app.header"), elem_id="studio-header")
        bar = build_project_bar(services)
        tabs: list[tuple[gr.Tab, TabLoad, str]] = []
        with gr.Tabs():
            with gr.Tab(I18N("tab.data"), id="data") as tab:
                tabs.append((tab, build_data_tab(services, bar.project), "data"))
            with gr.Tab(I18N("tab.clean"), id="clean") as tab:
                tabs.append((tab, build_clean_tab(services, bar.project), "clean"))
            with gr.Tab(I18N("tab.labels"), id="labels") as tab:
                tabs.append((tab, build_labels_tab(services, bar.project), "labels"))
            with gr.Tab(I18N("tab.train"), id="train") as tab:
                tabs.append((tab, build_train_tab(services, bar.project), "train"))
            with gr.Tab(I18N("tab.synth"), id="synth") as tab:
                tabs.append((tab, build_synth_tab(services, bar.project), "synth"))
            with gr.Tab(I18N("models.tab"), id="models") as models_tab:
                tabs.append((models_tab, build_voices_tab(services, bar.project), "voices"))
                gr.Markdown(I18N("models.base_title"))
                models = build_models_tab(services)
        opened = demo.load(bar.load, inputs=bar.project, outputs=bar.load_outputs, api_name="load_projects")
        for tab, load, name in tabs:
            gr.on([tab.select, bar.project.change], load.fn, inputs=load.inputs, outputs=load.outputs,
                  api_name=f"show_{name}", show_progress="hidden")
            # the state's change event is not always delivered for the value set on page load
            opened.then(load.fn, inputs=load.inputs, outputs=load.outputs, api_name=f"open_{name}",
                        show_progress="hidden")
        gr.on([demo.load, models_tab.select], models.fn, outputs=models.outputs, api_name="show_models",
              show_progress="hidden")
    return demo


def launch_kwargs(services: Services) -> dict:
    """Arguments for ``Blocks.launch`` that the studio always needs (i18n, CSS, the language cookie)."""
    return {"i18n": I18N, "css": CSS, "head": HEAD_JS, "allowed_paths": [str(services.workspace_root)]}
