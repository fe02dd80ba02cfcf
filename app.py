"""GPT-SoVITS Studio: ``python app.py`` starts the studio on http://127.0.0.1:7860.

Also the entry point of a Hugging Face Space (app.py + requirements.txt).
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="GPT-SoVITS Studio: clone a voice on this computer.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (0.0.0.0 for the LAN)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--workspace", type=Path, default=HERE / "workspace", help="projects folder")
    parser.add_argument("--pretrained", type=Path, default=HERE / "pretrained", help="base models folder")
    parser.add_argument("--auth", default=None, metavar="USER:PASS", help="require a login")
    parser.add_argument("--share", action="store_true", help="create a temporary public Gradio link")
    parser.add_argument("--insecure", action="store_true",
                        help="allow binding beyond this computer without --auth (not recommended)")
    return parser.parse_args(argv)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_auth(value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise SystemExit("error: --auth must look like USER:PASSWORD (both non-empty)")
    return user, password


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    auth = parse_auth(args.auth)
    exposed = args.share or not is_loopback(args.host)
    if exposed and auth is None and not args.insecure:
        raise SystemExit(
            "error: the studio would be reachable from other computers without a password.\n"
            "Add --auth USER:PASSWORD (or --insecure if you really mean it)."
        )
    from ui.app import build_app, launch_kwargs
    from ui.services import Services

    services = Services.create(args.workspace, args.pretrained)
    demo = build_app(services)
    print(f"GPT-SoVITS Studio: open http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}",
          file=sys.stderr, flush=True)
    demo.queue(default_concurrency_limit=4).launch(
        server_name=args.host, server_port=args.port, auth=auth, share=args.share, show_error=False,
        **launch_kwargs(services),
    )


if __name__ == "__main__":
    main()
