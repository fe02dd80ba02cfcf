from __future__ import annotations

import io
import shutil

import pytest
import soundfile as sf
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gpt_sovits.api.api_v2 import create_api_app, mount_api, tts_stream
from gpt_sovits.api.params import parse_tts
from gpt_sovits.api.security import PathNotAllowed, PathPolicy, is_loopback
from gpt_sovits.infer import pipeline
from tests.infer.conftest import FakeEncoder
from tests.infer.test_pipeline import plausible_generate


@pytest.fixture
def roots(tmp_path, tiny_models):
    workspace, pretrained = tmp_path / "workspace", tmp_path / "pretrained"
    shutil.copytree(tiny_models.voice_dir, workspace / "alice" / "voices" / "v1")
    pretrained.mkdir()
    shutil.copy(tiny_models.reference, workspace / "ref.wav")
    return workspace, pretrained


@pytest.fixture
def client(roots, caches, monkeypatch):
    monkeypatch.setattr(pipeline, "generate", plausible_generate())
    workspace, pretrained = roots
    voice = workspace / "alice" / "voices" / "v1"
    app = create_api_app(workspace, pretrained, gpt_weights=voice / "s1.safetensors",
                         sovits_weights=voice / "s2g.safetensors", encoder=FakeEncoder(), caches=caches)
    return TestClient(app)


BASE = {"text": "今天天气很好，Hello world!", "text_lang": "zh", "ref_audio_path": "ref.wav",
        "prompt_text": "今天天气很好", "prompt_lang": "zh", "seed": 7}


def wav_of(content: bytes):
    audio, sr = sf.read(io.BytesIO(content), dtype="float32")
    return audio, sr


def test_tts_get_and_post_return_the_same_valid_wav(client) -> None:
    got = client.get("/tts", params=BASE)
    assert got.status_code == 200 and got.headers["content-type"] == "audio/wav"
    audio, sr = wav_of(got.content)
    assert sr == 32000 and audio.size > 32000 * 0.3
    posted = client.post("/tts", json={**BASE, "batch_size": 4, "parallel_infer": True, "sample_steps": 32,
                                       "split_bucket": True, "super_sampling": False})
    assert posted.status_code == 200 and posted.content == got.content


@pytest.mark.parametrize("change,field", [
    ({"top_k": 0}, "top_k"), ({"text_split_method": "cut9"}, "text_split_method"),
    ({"text_lang": "ja"}, "text_lang"), ({"media_type": "flac"}, "media_type"), ({"text": ""}, "text"),
    ({"temperature": "hot"}, "temperature"), ({"speed_factor": 9}, "speed_factor"),
    ({"streaming_mode": "sometimes"}, "streaming_mode"),
])
def test_bad_parameters_give_json_400(client, change, field) -> None:
    for response in (client.get("/tts", params={**BASE, **change}), client.post("/tts", json={**BASE, **change})):
        assert response.status_code == 400
        body = response.json()
        assert set(body) == {"message", "Exception"} and field in body["Exception"]


def test_streaming_wav_is_a_header_then_pcm(client) -> None:
    response = client.get("/tts", params={**BASE, "streaming_mode": "true"})
    assert response.status_code == 200 and response.content[:4] == b"RIFF"
    pcm = response.content[44:]
    assert len(pcm) > 0 and len(pcm) % 2 == 0


def test_streaming_sends_the_first_piece_before_later_segments_run(client, monkeypatch) -> None:
    calls: list[dict] = []
    monkeypatch.setattr(pipeline, "generate", plausible_generate(calls))
    service = client.app.state.tts
    pieces = tts_stream(service, parse_tts({**BASE, "text": "第一句话。第二句话。第三句话。", "streaming_mode": 1}))
    header, first = next(pieces), next(pieces)
    assert header[:4] == b"RIFF" and len(first) > 0 and len(calls) == 1
    assert len(list(pieces)) == 2 and len(calls) == 3


def test_left_out_settings_follow_the_voice_and_given_ones_win(client, roots, monkeypatch) -> None:
    import json

    manifest = roots[0] / "alice" / "voices" / "v1" / "voice.json"
    original = manifest.read_text()
    manifest.write_text(json.dumps({**json.loads(original),
                                    "synthesis": {"top_k": 3, "temperature": 0.5}}))
    calls: list[dict] = []
    monkeypatch.setattr(pipeline, "generate", plausible_generate(calls))
    assert client.get("/tts", params={**BASE, "text": "你好。"}).status_code == 200
    assert client.get("/tts", params={**BASE, "text": "你好。", "top_k": 20, "temperature": ""}).status_code == 200
    used = [(c["options"].top_k, c["options"].temperature, c["options"].repetition_penalty) for c in calls]
    assert used[0] == (3, 0.5, 1.35) and used[-1] == (20, 0.5, 1.35)
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "synthesis": {"top_k": 0}}))
    bad = client.get("/tts", params={**BASE, "text": "你好。"})
    assert bad.status_code == 400 and "voice.json" in bad.json()["Exception"] and "top_k" in bad.json()["Exception"]
    assert len(calls) == 2  # nothing synthesised with settings the voice's author did not write
    manifest.write_text(original)


def test_paths_are_confined(client, roots, tmp_path) -> None:
    outside = tmp_path / "outside.wav"
    shutil.copy(roots[0] / "ref.wav", outside)
    for path in (str(outside), "../outside.wav", "/etc/passwd"):
        response = client.get("/tts", params={**BASE, "ref_audio_path": path})
        assert response.status_code == 400 and "outside" in response.json()["Exception"]
    assert client.get("/set_gpt_weights", params={"weights_path": str(outside)}).status_code == 400
    policy = PathPolicy([roots[0]])
    with pytest.raises(PathNotAllowed, match="does not exist"):
        policy.resolve("missing.wav")


def test_weights_and_reference_setters(client) -> None:
    ok = client.get("/set_gpt_weights", params={"weights_path": "alice/voices/v1/s1.safetensors"})
    assert ok.status_code == 200 and ok.json() == {"message": "success"}
    assert client.get("/set_sovits_weights", params={"weights_path": "alice/voices/v1/s2g.safetensors"}).json() \
        == {"message": "success"}
    bad = client.get("/set_sovits_weights", params={"weights_path": "alice/voices/v1/s1.safetensors"})
    assert bad.status_code == 400 and bad.json()["message"].startswith("change of")
    assert client.get("/set_refer_audio", params={"refer_audio_path": "ref.wav"}).status_code == 200
    params = {k: v for k, v in BASE.items() if k not in ("ref_audio_path", "prompt_text")}
    assert client.get("/tts", params=params).status_code == 200


def test_token_required_beyond_loopback(roots, caches) -> None:
    workspace, pretrained = roots
    with pytest.raises(ValueError, match="token"):
        create_api_app(workspace, pretrained, host="0.0.0.0")
    voice = workspace / "alice" / "voices" / "v1"
    app = FastAPI()
    mount_api(app, workspace, pretrained, host="0.0.0.0", token="s3cret", gpt_weights=voice / "s1.safetensors",
              sovits_weights=voice / "s2g.safetensors", caches=caches)
    client = TestClient(app)
    query = {"weights_path": "alice/voices/v1/s1.safetensors"}
    assert client.get("/set_gpt_weights", params=query).status_code == 401
    assert client.get("/set_gpt_weights", params={**query, "token": "wrong"}).status_code == 401
    assert client.get("/set_gpt_weights", params={**query, "token": "s3cret"}).status_code == 200
    headers = {"Authorization": "Bearer s3cret"}
    assert client.get("/set_gpt_weights", params=query, headers=headers).status_code == 200
    assert is_loopback("127.0.0.1") and is_loopback("::1") and not is_loopback("192.168.1.2")


def test_missing_base_model_is_a_clear_400(roots, caches) -> None:
    workspace, pretrained = roots
    client = TestClient(create_api_app(workspace, pretrained, caches=caches))
    response = client.get("/tts", params=BASE)
    assert response.status_code == 400 and "no base model" in response.json()["Exception"]
