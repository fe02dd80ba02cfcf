"""``python -m gpt_sovits serve``: the api_v2-compatible REST API, standalone (default port 9880).

Binding beyond loopback (``--host 0.0.0.0``) requires ``--token``; clients then send
``Authorization: Bearer <token>`` (or ``?token=``). Client paths must lie inside ``--workspace``
or ``--pretrained``.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    parser.add_argument("--port", type=int, default=9880)
    parser.add_argument("--workspace", type=Path, default=Path("workspace"), help="user data folder")
    parser.add_argument("--pretrained", type=Path, default=None, help="base models folder (default: the checkout's)")
    parser.add_argument("--token", default=None, help="API token (required when --host is not loopback)")
    parser.add_argument("--gpt-weights", type=Path, default=None, help="initial S1 weights (default: best profile)")
    parser.add_argument("--sovits-weights", type=Path, default=None, help="initial S2 weights")


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    import uvicorn

    from gpt_sovits.api.api_v2 import create_api_app
    from gpt_sovits.registry import default_pretrained_root

    pretrained = args.pretrained or default_pretrained_root()
    try:
        app = create_api_app(args.workspace, pretrained, host=args.host, token=args.token,
                             gpt_weights=args.gpt_weights, sovits_weights=args.sovits_weights)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"serving the api_v2-compatible API on http://{args.host}:{args.port}/tts", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    print(json.dumps({"stopped": True, "host": args.host, "port": args.port}))
    return 0
