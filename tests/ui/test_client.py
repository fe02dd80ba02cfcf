"""gradio_client drives the studio by api_name: create a project, then synthesize zero-shot with the
built-in tiny base from an espeak-ng reference clip (no browser needed)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.conftest import ROOT, Studio, espeak_wav, tiny_pretrained


@pytest.fixture(scope="module")
def client_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    tmp = tmp_path_factory.mktemp("client")
    pretrained = tiny_pretrained(tmp / "pretrained")
    _recommending_base(pretrained, {"top_k": 3, "temperature": 0.5, "repetition_penalty": 1.0})
    (pretrained / "starter").symlink_to(ROOT / "pretrained" / "starter")
    server = Studio(tmp, [], pretrained=pretrained)
    yield server
    server.stop()


def _recommending_base(pretrained: Path, synthesis: dict) -> None:
    """A copy of the tiny base whose profile.json recommends decoding settings and a fine-tune recipe."""
    folder = pretrained / "tuned"
    shutil.copytree(pretrained / "tiny", folder)
    manifest = json.loads((folder / "profile.json").read_text())
    (folder / "profile.json").write_text(json.dumps({**manifest, "title": "Tuned", "synthesis": synthesis,
                                                     "fine_tune": {"s2_epochs": 2, "s1_epochs": 5}}))


def test_epoch_sliders_follow_the_recipe_a_base_recommends(client_studio: Studio) -> None:
    client_module = pytest.importorskip("gradio_client")
    client = client_module.Client(client_studio.url, verbose=False)
    assert list(client.predict(name="tuned", api_name="/train_defaults")) == [2, 5]
    assert list(client.predict(name="tiny", api_name="/train_defaults")) == [1, 1]  # the tiny preset


def _values(settings) -> list:
    """Slider values from a settings reply (pitch, intonation, keep-pitch and text melody come as updates with
    ``interactive``)."""
    return [item["value"] if isinstance(item, dict) else item for item in settings]


def test_sliders_follow_the_settings_a_base_recommends(client_studio: Studio) -> None:
    client_module = pytest.importorskip("gradio_client")
    client = client_module.Client(client_studio.url, verbose=False)
    tuned = client.predict(base_name="tuned", api_name="/synth_base_settings")
    # noise, top-k, top-p, temperature, repetition penalty, pitch, intonation, keep the reference's pitch, text melody
    assert _values(tuned) == [0.5, 3, 1.0, 0.5, 1.0, 0.0, 1.0, True, True]
    plain = client.predict(base_name="tiny", api_name="/synth_base_settings")
    assert _values(plain) == [0.5, 15, 1.0, 1.0, 1.35, 0.0, 1.0, True, True]
    # after the user moved sliders, one click brings back what the chosen zero-shot base recommends
    back = client.predict(name="__zero_shot__", base_name="tuned", api_name="/synth_recommended_settings")
    assert _values(back) == [0.5, 3, 1.0, 0.5, 1.0, 0.0, 1.0, True, True]


def test_pitch_sliders_are_usable_only_with_a_base_that_can_move_the_melody(client_studio: Studio) -> None:
    client_module = pytest.importorskip("gradio_client")
    client = client_module.Client(client_studio.url, verbose=False)
    hifi = client.predict(base_name="tiny", api_name="/synth_base_settings")  # a HiFi-GAN decoder, as official
    assert [item["interactive"] for item in hifi[5:]] == [False, False, False, False]
    envelope = client.predict(base_name="starter", api_name="/synth_base_settings")  # the committed starter
    assert [item["interactive"] for item in envelope[5:]] == [True, True, True, True]


def test_gradio_client_synthesizes_by_api_name(client_studio: Studio, tmp_path: Path) -> None:
    client_module = pytest.importorskip("gradio_client")
    reference = espeak_wav(tmp_path / "reference.wav", "This is my reference voice for the test, spoken slowly and clearly.")
    client = client_module.Client(client_studio.url, verbose=False)
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert {"/create_project", "/synthesize", "/clean_and_slice", "/auto_label", "/train_start"} <= set(endpoints)

    client.predict("Client voice", "en", api_name="/create_project")
    status, _, take, _ = client.predict(
        name="__zero_shot__", base_name="tiny", ref=client_module.handle_file(str(reference)),
        ref_text="This is my reference voice for the test, spoken slowly and clearly.", words="Hello world.", seed_value=5,
        api_name="/synthesize")
    assert "Done" in status and "seed 5" in status
    take = Path(take)
    assert take.is_file() and take.stat().st_size > 1000
    saved = list((client_studio.workspace / "client-voice" / "takes").glob("*.wav"))
    assert len(saved) == 1


def test_proofreading_listens_to_every_sentence_and_says_which_may_miss_words(client_studio: Studio,
                                                                             tmp_path: Path) -> None:
    client_module = pytest.importorskip("gradio_client")
    reference = espeak_wav(tmp_path / "reference.wav", "This is my reference voice for the test, spoken slowly and clearly.")
    client = client_module.Client(client_studio.url, verbose=False)
    client.predict("Proofread voice", "en", api_name="/create_project")
    status, _, take, _ = client.predict(
        name="__zero_shot__", base_name="tiny", ref=client_module.handle_file(str(reference)),
        ref_text="This is my reference voice for the test, spoken slowly and clearly.",
        words="Hello world. Good morning.", seed_value=5, check=True, api_name="/synthesize")
    # the tiny base babbles: Whisper hears neither sentence, each gets two more takes, both are named
    assert "Done" in status and "2 of 2 sentence(s) needed another take" in status
    assert "may still miss words: “Hello world.” “Good morning.”" in status
    assert Path(take).is_file()
    sidecar = next((client_studio.workspace / "proofread-voice" / "takes").glob("*.json"))
    assert json.loads(sidecar.read_text())["asr_check"] is True


def test_friendly_error_instead_of_a_stack_trace(client_studio: Studio) -> None:
    client_module = pytest.importorskip("gradio_client")
    client = client_module.Client(client_studio.url, verbose=False)
    with pytest.raises(client_module.exceptions.AppError) as caught:
        client.predict("", "en", api_name="/create_project")
    text = str(caught.value)
    assert "project name is empty" in text and "Traceback" not in text
