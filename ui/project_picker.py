"""The project bar above the tabs: choose, create, rename or delete a voice project.

The open project's folder name lives in a per-session ``gr.State``; every tab listens to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ui.common import friendly_errors
from ui.i18n import I18N, message, request_lang
from ui.services import Services

LANGUAGE_SETS = {"zh": ["zh"], "en": ["en"], "zh+en": ["zh", "en"]}


@dataclass
class ProjectBar:
    """Components other parts of the app wire to: the session's open project and the page-load fn."""

    project: gr.State
    load: object
    load_outputs: list


def _choices(services: Services) -> list[tuple[str, str]]:
    return [(meta.name, meta.folder) for meta in services.workspace.list_projects()]


def _dropdown(services: Services, selected: str | None) -> dict:
    choices = _choices(services)
    folders = [folder for _, folder in choices]
    value = selected if selected in folders else (folders[0] if folders else None)
    return gr.update(choices=choices, value=value)


def build_project_bar(services: Services) -> ProjectBar:
    """Build the bar inside the current Blocks context."""
    project = gr.State(None)
    with gr.Row(elem_classes="bottom-row"):
        picker = gr.Dropdown(label=I18N("project.pick"), choices=[], scale=3, elem_id="project-picker",
                             allow_custom_value=True,
                             info=I18N("project.pick_info"))
        new_name = gr.Textbox(label=I18N("project.new_name"), placeholder=I18N("project.new_placeholder"),
                              scale=3, elem_id="new-project-name")
        languages = gr.Dropdown(label=I18N("project.languages"), scale=2,
                                choices=[("中文", "zh"), ("English", "en"), ("中文 + English", "zh+en")], value="zh")
        create = gr.Button(I18N("project.create"), variant="primary", scale=1, elem_id="create-project")
    with gr.Accordion(I18N("project.manage"), open=False):
        with gr.Row(elem_classes="bottom-row"):
            rename_to = gr.Textbox(label=I18N("project.rename_to"), scale=3)
            rename = gr.Button(I18N("project.rename"), scale=1)
            delete = gr.Button(I18N("project.delete"), variant="stop", scale=1)
        with gr.Row(visible=False) as confirm_row:
            gr.Markdown(I18N("project.delete_confirm"))
            confirm = gr.Button(I18N("project.delete_yes"), variant="stop", elem_id="confirm-delete-project")
            cancel = gr.Button(I18N("common.cancel"))

    def show(current: str) -> tuple[dict, str]:
        update = _dropdown(services, current)
        return update, update["value"] or ""

    def on_create(name: str, langs: str, request: gr.Request) -> tuple[dict, str, str]:
        lang = request_lang(request)
        with friendly_errors(lang, "action.create_project"):
            created = services.workspace.create_project(name, LANGUAGE_SETS.get(langs, ["zh"]))
        gr.Info(message("project.created", lang, name=created.name))
        return _dropdown(services, created.root.name), created.root.name, ""

    def on_rename(current: str, name: str, request: gr.Request) -> tuple[dict, str, str]:
        lang = request_lang(request)
        with friendly_errors(lang, "action.rename_project"):
            services.open(current)
            renamed = services.workspace.rename_project(current, name)
        return _dropdown(services, renamed.root.name), renamed.root.name, ""

    def on_delete(current: str, request: gr.Request) -> tuple[dict, str]:
        lang = request_lang(request)
        with friendly_errors(lang, "action.delete_project"):
            name = services.open(current).name
            services.workspace.delete_project(current, confirm=True)
        gr.Info(message("project.deleted", lang, name=name))
        update = _dropdown(services, None)
        return update, update["value"] or "", gr.update(visible=False)

    picker.input(lambda folder: folder or "", inputs=picker, outputs=project, api_name="open_project")
    create.click(on_create, inputs=[new_name, languages], outputs=[picker, project, new_name],
                 api_name="create_project")
    new_name.submit(on_create, inputs=[new_name, languages], outputs=[picker, project, new_name],
                    api_name="create_project_on_enter")
    rename.click(on_rename, inputs=[project, rename_to], outputs=[picker, project, rename_to],
                 api_name="rename_project")
    delete.click(lambda: gr.update(visible=True), outputs=confirm_row, api_name="ask_delete_project")
    cancel.click(lambda: gr.update(visible=False), outputs=confirm_row, api_name="cancel_delete_project")
    confirm.click(on_delete, inputs=project, outputs=[picker, project, confirm_row], api_name="delete_project")
    return ProjectBar(project=project, load=show, load_outputs=[picker, project])
