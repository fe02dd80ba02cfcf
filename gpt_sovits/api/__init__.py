"""REST API compatible with GPT-SoVITS ``api_v2`` (``/tts``, ``/set_gpt_weights``, ...).

``create_api_app(...)`` builds a standalone FastAPI app (``python -m gpt_sovits serve``);
``mount_api(app, ...)`` adds the same routes to an existing FastAPI app (the studio's).
"""

from __future__ import annotations

from typing import Any


def create_api_app(*args: Any, **kwargs: Any) -> Any:
    """See :func:`gpt_sovits.api.api_v2.create_api_app`."""
    from gpt_sovits.api.api_v2 import create_api_app as create

    return create(*args, **kwargs)


def mount_api(*args: Any, **kwargs: Any) -> Any:
    """See :func:`gpt_sovits.api.api_v2.mount_api`."""
    from gpt_sovits.api.api_v2 import mount_api as mount

    return mount(*args, **kwargs)


__all__ = ["create_api_app", "mount_api"]
