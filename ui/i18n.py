"""User-facing strings in English and Chinese.

Static labels use Gradio's :class:`gr.I18n` (the browser language picks the table; Gradio's settings
panel switches it). Messages built at run time with values use :func:`message` with the same keys.
"""

from __future__ import annotations

import gradio as gr

EN: dict[str, str] = {
    "app.header": "# GPT-SoVITS Studio\nClone your voice from about one minute of speech, entirely on "
    "this computer.",
    "models.tab": "Voices & models",
    "models.intro": "Base models are the starting point for your voice. This page shows what is "
    "installed on this computer and how to get anything that is missing.",
    "models.refresh": "Refresh",
    "models.prepare_whisper": "Prepare speech recognition (Whisper-base)",
    "models.table.name": "Model",
    "models.table.state": "Status",
    "models.table.detail": "Details",
    "models.table.fix": "How to get it",
    "models.ready": "ready",
    "models.missing": "missing",
    "models.can": "What you can do now",
    "models.can_label": "Auto-label recordings",
    "models.can_train": "Train a voice",
    "models.can_synth": "Synthesize speech",
    "models.yes": "yes",
    "models.no": "not yet",
    "models.whisper_ok": "Speech recognition is ready: {path}",
    "error.generic": "Something went wrong: {error}",
}

ZH: dict[str, str] = {
    "app.header": "# GPT-SoVITS 声音工作室\n只需约一分钟的录音即可克隆你的声音，全部在本机完成。",
    "models.tab": "声音与模型",
    "models.intro": "底模是训练你的声音的起点。本页显示本机已安装的模型，以及如何获取缺少的模型。",
    "models.refresh": "刷新",
    "models.prepare_whisper": "准备语音识别（Whisper-base）",
    "models.table.name": "模型",
    "models.table.state": "状态",
    "models.table.detail": "说明",
    "models.table.fix": "获取方法",
    "models.ready": "已就绪",
    "models.missing": "缺少",
    "models.can": "现在可以做什么",
    "models.can_label": "自动标注录音",
    "models.can_train": "训练声音",
    "models.can_synth": "合成语音",
    "models.yes": "可以",
    "models.no": "暂不可以",
    "models.whisper_ok": "语音识别已就绪：{path}",
    "error.generic": "出错了：{error}",
}

TABLES = {"en": EN, "zh": ZH}
I18N = gr.I18n(en=EN, zh=ZH, **{"zh-CN": ZH, "zh-TW": ZH})


def lang_of(locale: str | None) -> str:
    """Map a browser locale such as ``zh-CN`` or ``en-US`` to one of our tables."""
    return "zh" if (locale or "").lower().startswith("zh") else "en"


def message(key: str, lang: str = "en", **values: object) -> str:
    """A translated run-time message with ``{placeholders}`` filled in."""
    table = TABLES.get(lang, EN)
    return table.get(key, EN.get(key, key)).format(**values)
