"""Assemble the studio's Blocks from the tab factories."""

from __future__ import annotations

import gradio as gr

from ui.i18n import I18N
from ui.models_tab import build_models_tab
from ui.services import Services


def build_app(services: Services) -> gr.Blocks:
    """The whole studio UI. Each tab is built by its own ``build_<tab>_tab(services)``."""
    with gr.Blocks(title="GPT-SoVITS Studio") as demo:
        gr.Markdown(I18N("app.header"))
        loads = []
        with gr.Tabs():
            with gr.Tab(I18N("models.tab"), id="models"):
                loads.append(build_models_tab(services))
        for index, load in enumerate(loads):
            demo.load(load.fn, outputs=load.outputs, api_name=f"load_{index}")
    return demo
