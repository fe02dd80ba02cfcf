"""Routes compatible with GPT-SoVITS ``api_v2.py``.

``GET/POST /tts`` (same parameter names and defaults), ``GET /set_gpt_weights?weights_path=``,
``GET /set_sovits_weights?weights_path=`` (official .ckpt/.pth or our safetensors) and
``GET /set_refer_audio?refer_audio_path=``. Success returns audio bytes (``audio/<type>``) or
``{"message": "success"}``; failures return 400 with ``{"message", "Exception"}`` like the
original. Client paths are confined to the workspace and pretrained folders; a token is checked
on every route when configured (required beyond loopback).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from gpt_sovits.api.params import ParamError, TTSParams, parse_tts
from gpt_sovits.api.security import PathNotAllowed, require_token_for, token_matches
from gpt_sovits.api.service import TTSService
from gpt_sovits.errors import StudioError

log = logging.getLogger(__name__)
CLIENT_ERRORS = (ParamError, PathNotAllowed, StudioError, ValueError)


def error_response(message: str, exc: Exception | None = None) -> JSONResponse:
    """The original's 400 body: ``{"message": ..., "Exception": ...}``."""
    return JSONResponse(status_code=400, content={"message": message, "Exception": str(exc) if exc else message})


def tts_stream(service: TTSService, params: TTSParams) -> Iterator[bytes]:
    """Audio bytes piece by piece: synthesis of segment i+1 starts only when piece i is consumed.

    Validation and voice building happen before the first piece (errors surface as 400).
    """
    from gpt_sovits.audio.export import encode_audio, to_int16, wav_header
    from gpt_sovits.infer.pipeline import synthesize

    voice = service.voice(params.ref_audio_path, params.prompt_text, params.prompt_lang,
                          params.aux_ref_audio_paths)
    chunks = synthesize(voice, params.text, params.options(voice.recommended))

    def pieces() -> Iterator[bytes]:
        if params.media_type == "wav":
            yield wav_header(voice.sample_rate)
        for chunk in chunks:
            if params.media_type in ("wav", "raw"):
                yield to_int16(chunk.audio).tobytes()
            else:
                yield encode_audio(chunk.audio, voice.sample_rate, params.media_type)

    return pieces()


def tts_file(service: TTSService, params: TTSParams) -> bytes:
    """The whole text as one encoded file."""
    from gpt_sovits.audio.export import encode_audio
    from gpt_sovits.infer.pipeline import synthesize
    from gpt_sovits.infer.results import collect

    voice = service.voice(params.ref_audio_path, params.prompt_text, params.prompt_lang,
                          params.aux_ref_audio_paths)
    result = collect(synthesize(voice, params.text, params.options(voice.recommended)))
    if result.issues:
        log.info("tts: %d retries; %s", result.retries, "; ".join(result.issues))
    return encode_audio(result.audio, result.sample_rate, params.media_type)


def _tts_response(service: TTSService, data: dict[str, Any], aux: list[str] | None = None) -> Response:
    from gpt_sovits.audio.export import MIME

    try:
        params = parse_tts(data, aux)
        if params.streaming_mode:
            return StreamingResponse(tts_stream(service, params), media_type=MIME[params.media_type])
        return Response(tts_file(service, params), media_type=MIME[params.media_type])
    except CLIENT_ERRORS as exc:
        return error_response("tts failed", exc)


def build_router(service: TTSService, token: str | None = None) -> APIRouter:
    """The api_v2 routes bound to ``service`` (token-checked when ``token`` is set)."""

    def check_token(request: Request) -> None:
        if token and not token_matches(token, request.headers.get("authorization"),
                                       request.headers.get("x-api-token"), request.query_params.get("token")):
            from fastapi import HTTPException

            raise HTTPException(status_code=401, detail="a valid API token is required")

    router = APIRouter(dependencies=[Depends(check_token)])

    @router.get("/tts")
    def tts_get(request: Request) -> Response:
        query = {k: v for k, v in request.query_params.items() if k != "token"}
        return _tts_response(service, query, request.query_params.getlist("aux_ref_audio_paths"))

    @router.post("/tts")
    async def tts_post(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError as exc:
            return error_response("the request body must be a JSON object", exc)
        if not isinstance(body, dict):
            return error_response("the request body must be a JSON object")
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(_tts_response, service, body)

    def setter(action: Any, raw: str | None, name: str) -> Response:
        if not raw:
            return error_response(f"{name} is required")
        try:
            action(raw)
        except CLIENT_ERRORS as exc:
            return error_response(f"change of {name} failed", exc)
        return JSONResponse({"message": "success"})

    @router.get("/set_gpt_weights")
    def set_gpt_weights(weights_path: str | None = None) -> Response:
        return setter(service.set_gpt_weights, weights_path, "weights_path")

    @router.get("/set_sovits_weights")
    def set_sovits_weights(weights_path: str | None = None) -> Response:
        return setter(service.set_sovits_weights, weights_path, "weights_path")

    @router.get("/set_refer_audio")
    def set_refer_audio(refer_audio_path: str | None = None) -> Response:
        return setter(service.set_refer_audio, refer_audio_path, "refer_audio_path")

    return router


def _service(workspace: str | Path, pretrained: str | Path, **kwargs: Any) -> TTSService:
    return TTSService(workspace, pretrained, **kwargs)


def mount_api(app: FastAPI, workspace: str | Path, pretrained: str | Path, *, host: str = "127.0.0.1",
              token: str | None = None, prefix: str = "", **service_kwargs: Any) -> TTSService:
    """Add the api_v2 routes to an existing FastAPI app (e.g. the studio's); returns the service.

    Raises:
        ValueError: ``host`` is beyond loopback and no ``token`` is given.
    """
    require_token_for(host, token)
    service = _service(workspace, pretrained, **service_kwargs)
    app.include_router(build_router(service, token), prefix=prefix)
    return service


def create_api_app(workspace: str | Path, pretrained: str | Path, *, host: str = "127.0.0.1",
                   token: str | None = None, **service_kwargs: Any) -> FastAPI:
    """A standalone FastAPI app serving the api_v2 routes (see :func:`mount_api`)."""
    app = FastAPI(title="GPT-SoVITS Studio API (api_v2 compatible)")
    app.state.tts = mount_api(app, workspace, pretrained, host=host, token=token, **service_kwargs)
    return app
