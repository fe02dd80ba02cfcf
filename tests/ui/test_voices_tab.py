"""The Voices part of tab 6 in a real browser: import an exported zip, rename, see it in the
Synthesize picker, export, delete to trash; screenshots in English and Chinese. Official
GPT-SoVITS files imported through gradio_client by api_name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gpt_sovits.data.project import Workspace
from gpt_sovits.voice_format import read_voice_dir
from gpt_sovits.voices import export_voice_zip
from tests.test_voices import make_tiny_voice, write_reference
from tests.ui.conftest import Studio, new_page, screenshot

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def voices_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Studio, Path]]:
    """A studio with one empty project, and a tiny voice exported as a zip."""
    tmp = tmp_path_factory.mktemp("voices")
    voice = make_tiny_voice(tmp / "made" / "tiny-voice", name="Tiny voice")
    zip_path = export_voice_zip(voice, tmp)
    server = Studio(tmp, [])
    Workspace(server.workspace).create_project("Voices demo", languages=["en"])
    yield server, zip_path
    server.stop()


def test_import_rename_export_delete(voices_studio: tuple[Studio, Path], browser) -> None:
    studio, zip_path = voices_studio
    voices_dir = studio.workspace / "voices-demo" / "voices"
    page = new_page(browser, "en-US")
    page.goto(studio.url)
    page.get_by_text("Record several short takes").wait_for()  # the project is open
    page.get_by_role("tab", name="Voices & models").click()
    page.locator("#voices-guide").get_by_text("no voice yet").wait_for()
    assert page.locator("#rename-voice").is_disabled() and page.locator("#delete-voice").is_disabled()

    page.locator("#voice-zip-in input[type=file]").set_input_files(str(zip_path))
    expect(page.locator("#voices-table")).to_contain_text("Tiny voice", timeout=60_000)
    assert [p.name for p in voices_dir.iterdir()] == ["tiny-voice"]
    assert "tiny" in page.inner_text("#voices-table") and "S1 4 · S2 6" in page.inner_text("#voices-table")

    page.locator("#voice-new-name textarea, #voice-new-name input").first.fill("Studio voice")
    page.locator("#rename-voice").click()
    expect(page.locator("#voices-table")).to_contain_text("Studio voice", timeout=60_000)
    assert [p.name for p in voices_dir.iterdir()] == ["Studio-voice"]
    screenshot(page, "voices_en")

    page.locator("#export-voice").click()
    link = page.locator('#voice-zip-out a[href*="Studio-voice.zip"]').first
    link.wait_for()
    exported = studio.workspace / "voices-demo" / "exports" / "Studio-voice.zip"
    size = page.evaluate("async (url) => (await (await fetch(url)).arrayBuffer()).byteLength",
                         link.get_attribute("href"))
    assert size == exported.stat().st_size > 1_000_000  # the browser downloads the whole zip

    page.get_by_role("tab", name="5 · Synthesize").click()
    page.get_by_text("hear your voice").wait_for()
    assert page.locator("#synth-voice input").input_value() == "Studio voice"

    zh = new_page(browser, "zh-CN")
    zh.goto(studio.url)
    zh.locator("#data-guide").get_by_text("还没有语音").wait_for()  # the project is open
    zh.get_by_role("tab", name="声音与模型").click()
    expect(zh.locator("#voices-table")).to_contain_text("Studio voice", timeout=60_000)
    body = zh.inner_text("body")
    assert "你的声音" in body and "导入声音 zip" in body and "训练步数" in body and "__i18n__" not in body
    screenshot(zh, "voices_zh")
    zh.context.close()

    page.get_by_role("tab", name="Voices & models").click()
    page.locator("#delete-voice").click()
    page.get_by_text("Delete the voice “Studio voice”?").wait_for()
    page.locator("#confirm-delete-voice").click()
    page.locator("#voices-guide").get_by_text("no voice yet").wait_for()
    assert list(voices_dir.iterdir()) == []
    trashed = list((studio.workspace / "voices-demo" / "trash").glob("voice-Studio-voice-*"))
    assert len(trashed) == 1 and (trashed[0] / "s1.safetensors").is_file()
    page.context.close()


def test_import_official_files_by_api_name(voices_studio: tuple[Studio, Path], tmp_path: Path) -> None:
    client_module = pytest.importorskip("gradio_client")
    studio, zip_path = voices_studio
    official = zip_path.parent / "made" / "tiny-voice" / "official"
    reference = write_reference(tmp_path / "reference.wav", seconds=4.0)
    client = client_module.Client(studio.url, verbose=False)
    client.predict("Official import", "en", api_name="/create_project")
    files = {"ckpt_path": client_module.handle_file(str(official / "tiny.ckpt")),
             "pth_path": client_module.handle_file(str(official / "tiny.pth"))}
    short = write_reference(tmp_path / "short.wav", seconds=1.0)
    with pytest.raises(client_module.exceptions.AppError) as caught:
        client.predict(**files, ref=client_module.handle_file(str(short)), text="A tone.", name="Mine",
                       api_name="/import_official")
    assert "Importing the GPT-SoVITS files did not work" in str(caught.value)
    assert "3-10 s" in str(caught.value) and "Traceback" not in str(caught.value)
    outputs = client.predict(**files, ref=client_module.handle_file(str(reference)), text="A tone.",
                             name="My official voice", api_name="/import_official")
    assert "1" in outputs[5] and "My official voice" in str(outputs[6])  # guide and table
    voices = studio.workspace / "official-import" / "voices"
    (folder,) = list(voices.iterdir())
    manifest = read_voice_dir(folder)
    assert manifest.name == "My official voice" and manifest.reference_text == "A tone."
    assert (folder / "official" / f"{folder.name}.ckpt").read_bytes() == (official / "tiny.ckpt").read_bytes()
