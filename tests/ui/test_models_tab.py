"""The Voices & models tab in a real browser, in English and Chinese."""

from __future__ import annotations

import pytest

from tests.ui.conftest import new_page, screenshot

pytestmark = pytest.mark.browser


def test_models_tab_shows_real_status_in_english(studio, browser) -> None:
    page = new_page(browser, "en-US")
    page.goto(studio.url)
    page.get_by_role("tab", name="Voices & models").click()
    page.get_by_text("whisper-base", exact=True).first.wait_for(timeout=60_000)
    body = page.inner_text("body")
    assert "__i18n__" not in body and "translation_metadata" not in body
    assert "Voices & models" in body and "GPT-SoVITS Studio" in body
    assert "download gsv-v2" in body  # the missing official base tells how to get it
    assert "Auto-label recordings" in body
    screenshot(page, "models_en")
    page.context.close()


def test_models_tab_in_chinese(studio, browser) -> None:
    page = new_page(browser, "zh-CN")
    page.goto(studio.url)
    page.get_by_role("tab", name="声音与模型").click()
    page.get_by_text("whisper-base", exact=True).first.wait_for(timeout=60_000)
    body = page.inner_text("body")
    assert "__i18n__" not in body and "translation_metadata" not in body
    assert "声音与模型" in body and "自动标注录音" in body and "声音工作室" in body
    assert "没有可用的底模" in body and "No base model is usable" not in body
    screenshot(page, "models_zh")
    page.context.close()
