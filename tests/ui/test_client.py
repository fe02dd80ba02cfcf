"""gradio_client drives the studio by api_name: create a project, then synthesize zero-shot with the
built-in tiny base from an espeak-ng reference clip (no browser needed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.conftest import Studio, espeak_wav, tiny_pretrained


@pytest.fixture(scope="module")
def client_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    tmp = tmp_path_factory.mktemp("client")
    server = Studio(tmp, [], pretrained=tiny_pretrained(tmp / "pretrained"))
    yield server
    server.stop()


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


def test_friendly_error_instead_of_a_stack_trace(client_studio: Studio) -> None:
    client_module = pytest.importorskip("gradio_client")
    client = client_module.Client(client_studio.url, verbose=False)
    with pytest.raises(client_module.exceptions.AppError) as caught:
        client.predict("", "en", api_name="/create_project")
    text = str(caught.value)
    assert "project name is empty" in text and "Traceback" not in text
