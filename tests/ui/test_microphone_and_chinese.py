"""Microphone recording through Chromium's fake capture device (fed from an espeak-ng wav), and
the whole studio in Chinese (zh-CN browser): translated labels, run-time messages, screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import CHROMIUM_ARGS, chromium_path, espeak_wav, new_page, screenshot

pytestmark = pytest.mark.browser


def test_record_a_take_with_the_fake_microphone(studio, tmp_path: Path) -> None:
    exe = chromium_path()
    if exe is None:
        pytest.skip("Debian chromium is not installed (scripts/test.sh installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    wav = espeak_wav(tmp_path / "mic.wav", "Testing the microphone, one two three, this is my voice.")
    args = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}"]
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=args)
        page = new_page(browser, "en-US")
        page.context.grant_permissions(["microphone"], origin=studio.url.rstrip("/"))
        page.goto(studio.url)
        page.locator("#new-project-name textarea, #new-project-name input").first.fill("Mic test")
        page.locator("#create-project").click()
        page.get_by_text("Record several short takes").wait_for()
        page.locator("#recorder").get_by_role("button", name="Record").click()
        page.wait_for_timeout(3500)
        page.locator("#recorder").get_by_role("button", name="Stop").click()
        page.locator("#recording-list li.clip").first.wait_for()
        assert "take-1.wav" in page.inner_text("#recording-list")
        raw = list((studio.workspace / "mic-test" / "raw").iterdir())
        assert [p.name for p in raw] == ["take-1.wav"] and raw[0].stat().st_size > 20_000
        screenshot(page, "microphone_take_en")
        browser.close()


def test_every_tab_in_chinese(studio, browser) -> None:
    page = new_page(browser, "zh-CN")
    page.goto(studio.url)
    page.get_by_text("你的项目").wait_for()
    page.locator("#new-project-name textarea, #new-project-name input").first.fill("中文项目")
    page.locator("#create-project").click()
    page.get_by_text("用麦克风录几段简短的录音").wait_for()
    # the guide reads the same for the module's earlier project: wait until the new one is the current one
    page.wait_for_function("() => document.querySelector('#project-picker input')?.value === '中文项目'")
    page.locator("#recording-list li.clip").first.wait_for(state="detached")
    screenshot(page, "zh_1_voice_data")
    for tab, where, expected, name in (
        ("2 · 降噪与切分", "#clean-guide", "还没有可处理的录音", "zh_2_clean_slice"),
        ("3 · 标注", "#labels-guide", "还没有片段", "zh_3_labels"),
        ("4 · 训练", "#train-guide", "至少需要 2 个已标注的片段", "zh_4_train"),
        ("5 · 合成", "#synth-guide", "第 5 步", "zh_5_synthesize"),
        ("声音与模型", "body", "现在可以做什么", "zh_6_models"),
    ):
        page.get_by_role("tab", name=tab).click()
        page.locator(where).get_by_text(expected).first.wait_for()
        body = page.inner_text("body")
        assert "__i18n__" not in body and "translation_metadata" not in body
        screenshot(page, name)
    page.context.close()
