"""The Synthesize tab's settings in a real browser: the sliders start at what the chosen base recommends
as soon as the tab opens, and pitch / intonation are usable only with a base whose decoder can move the
melody (the committed starter's), greyed out with one that cannot (the built-in tiny base, a HiFi-GAN)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ui.conftest import ROOT, Studio, new_page, screenshot, tiny_pretrained

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def synth_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    """A studio with the committed starter (the default zero-shot base) and the tiny base."""
    tmp = tmp_path_factory.mktemp("synth-settings")
    pretrained = tiny_pretrained(tmp / "pretrained")
    (pretrained / "starter").symlink_to(ROOT / "pretrained" / "starter")
    server = Studio(tmp, [], pretrained=pretrained)
    yield server
    server.stop()


def _value(page, elem_id: str) -> str:  # noqa: ANN001 (playwright Page)
    return page.locator(f"#{elem_id} input[type=number]").first.input_value()


def test_settings_follow_the_base_and_pitch_needs_a_decoder_with_a_melody(synth_studio: Studio, browser) -> None:
    page = new_page(browser, "en-US")
    page.goto(synth_studio.url)
    page.locator("#new-project-name textarea, #new-project-name input").first.fill("Settings")
    page.locator("#create-project").click()
    page.get_by_text("Record several short takes").wait_for()  # the project is open, as a user sees it
    page.get_by_role("tab", name="5 · Synthesize").click()
    page.get_by_role("button", name="Settings ▼").click()
    pitch = page.locator("#synth-pitch input[type=number]").first
    pitch.wait_for()
    # first load: the zero-shot voice with the starter, whose profile.json recommends top-k 3 and intonation 1.5
    top_k = page.locator("#synth-top-k input[type=number]").first
    page.wait_for_function("() => document.querySelector('#synth-top-k input[type=number]').value === '3'")
    assert pitch.is_enabled() and pitch.input_value() == "0" and _value(page, "synth-intonation") == "1.5"
    screenshot(page, "synth_settings_starter_en")

    page.get_by_label("Base model for zero-shot").click()
    page.get_by_role("option", name="tiny", exact=False).first.click()
    page.wait_for_function("() => document.querySelector('#synth-pitch input[type=number]').disabled")
    assert page.locator("#synth-intonation input[type=number]").first.is_disabled()
    assert top_k.input_value() == "15"  # the tiny base recommends nothing: the defaults
    assert _value(page, "synth-intonation") == "1"
    screenshot(page, "synth_settings_tiny_en")
