"""The wizard in a real browser: create a project, upload an espeak-ng clip, clean and slice it,
auto-label it with Whisper-base and correct a label; screenshots of every step."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.conftest import Studio, espeak_wav, new_page, screenshot, tiny_pretrained

pytestmark = pytest.mark.browser

SENTENCES = ("Hello there. This is a short test of the voice studio. We record a few sentences. "
             "Then we clean them, and slice them into pieces. Finally we check the labels, "
             "train a tiny model for a few steps, and listen to the voice it makes.")


@pytest.fixture(scope="module")
def wizard_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    """A studio whose pretrained folder has Whisper-base (linked) and the built-in tiny base."""
    tmp = tmp_path_factory.mktemp("wizard")
    server = Studio(tmp, [], pretrained=tiny_pretrained(tmp / "pretrained"))
    yield server
    server.stop()


def _labels(project_dir: Path) -> list[list[str]]:
    return [line.split("|") for line in (project_dir / "labels.list").read_text("utf-8").splitlines()]


def test_wizard_upload_clean_slice_label(wizard_studio: Studio, browser, tmp_path: Path) -> None:
    clip = espeak_wav(tmp_path / "my-voice.wav", SENTENCES)
    page = new_page(browser, "en-US")
    page.goto(wizard_studio.url)
    page.get_by_text("First create a project").wait_for()
    screenshot(page, "wizard_0_start_en")

    page.locator("#new-project-name textarea, #new-project-name input").first.fill("Test voice")
    page.locator("#create-project").click()
    page.get_by_text("Record several short takes").wait_for()
    project_dir = wizard_studio.workspace / "test-voice"
    assert (project_dir / "project.json").is_file()

    page.locator("#upload-files input[type=file]").set_input_files(str(clip))
    page.locator("#recording-list li.clip").first.wait_for()
    assert "my-voice.wav" in page.inner_text("#recording-list")
    assert re.search(r"total length 1\d\.\d s", page.inner_text("#data-guide"))
    assert len(list((project_dir / "raw").iterdir())) == 1
    screenshot(page, "wizard_1_voice_data_en")

    page.get_by_role("tab", name="2 · Clean & slice").click()
    page.get_by_text("Press Clean and slice").wait_for()
    page.locator("#run-clean").click()
    page.locator("#clean-status").get_by_text("Done:").wait_for(timeout=90_000)
    slices = sorted((project_dir / "slices").glob("*.wav"))
    assert len(slices) >= 2
    assert page.locator("#slice-list li.clip").count() == len(slices)
    page.locator("#waveforms img").first.wait_for()
    screenshot(page, "wizard_2_clean_slice_en")

    page.get_by_role("tab", name="3 · Labels").click()
    page.get_by_text("have no text yet").wait_for()
    page.locator("#run-labels").click()
    page.locator("#labels-status").get_by_text("Labelled").wait_for(timeout=120_000)
    entries = _labels(project_dir)
    assert len(entries) == len(slices)
    assert any("test" in e[3].lower() or "voice" in e[3].lower() for e in entries), entries

    cell = page.locator('#label-table [data-testid="cell-0-3"]')
    cell.dblclick()
    editor = cell.locator("textarea, input").first
    editor.fill("Corrected by a human.")
    editor.press("Enter")
    page.locator("#save-labels").click()
    page.locator("#labels-status").get_by_text("Saved: 1 label").wait_for()
    assert _labels(project_dir)[0][3] == "Corrected by a human."
    screenshot(page, "wizard_3_labels_en")

    page.get_by_role("tab", name="4 · Train").click()
    page.get_by_text("labelled slices are ready").wait_for()
    assert "Tiny" in page.locator("#train-base input").input_value()
    page.locator("#train-estimate").get_by_text("Estimated time").wait_for()
    boxes = [page.locator(f"{slider} input[type=number]") for slider in ("#train-s2-epochs", "#train-s1-epochs")]
    assert [box.input_value() for box in boxes] == ["1", "1"]  # the tiny base's recipe, with the estimate's reply
    for box in boxes:
        box.fill("3")
        box.press("Enter")
    # the epochs the user typed stay: neither a late load of the base's recipe nor a visit to another tab resets them
    page.get_by_role("tab", name="3 · Labels").click()
    page.wait_for_timeout(1500)
    page.get_by_role("tab", name="4 · Train").click()
    page.wait_for_timeout(1500)
    assert [box.input_value() for box in boxes] == ["3", "3"]
    page.locator("#train-estimate").get_by_text("Estimated time").wait_for()
    page.locator("#train-start").click()
    plots = set()
    status = page.locator("#train-status")
    for _ in range(240):
        image = page.locator("#train-plot img")
        if image.count():
            plots.add(image.first.get_attribute("src"))
        if "Done!" in status.inner_text() or "problem" in status.inner_text():
            break
        page.wait_for_timeout(500)
    assert "Done!" in status.inner_text(), status.inner_text()
    assert len(plots) >= 1
    metrics = next((project_dir / "runs").glob("*/metrics.jsonl")).read_text("utf-8")
    assert metrics.count('"kind": "step"') >= 4  # a few steps of each stage
    assert list((project_dir / "voices").iterdir())
    page.locator("#train-samples li.clip").first.wait_for()
    screenshot(page, "wizard_4_train_en")

    page.get_by_role("tab", name="5 · Synthesize").click()
    page.get_by_text("hear your voice").wait_for()
    page.locator("#synth-text textarea").fill("Hello world. This is my new voice.")
    page.locator("#synth-generate").click()
    page.locator("#synth-status").get_by_text("Done:").wait_for(timeout=90_000)
    takes = list((project_dir / "takes").glob("*.wav"))
    assert len(takes) == 1 and takes[0].stat().st_size > 1000
    page.locator("#synth-history li.clip").first.wait_for()
    src = page.locator("#synth-history audio").first.get_attribute("src")
    assert src and takes[0].name in src
    size = page.evaluate("async (url) => (await (await fetch(url)).arrayBuffer()).byteLength", src)
    assert size == takes[0].stat().st_size  # the browser receives the whole, non-empty take
    assert page.locator("#synth-full").get_by_text("Error").count() == 0
    screenshot(page, "wizard_5_synthesize_en")
    page.context.close()
