"""GPT-SoVITS Studio: ``python app.py`` starts the studio on http://127.0.0.1:7860.

Also the entry point of a Hugging Face Space (app.py + requirements.txt).
"""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="GPT-SoVITS Studio: clone a voice on this computer.")
    parser.add_argument("--host", default=None,
                        help="address to bind (default 127.0.0.1; 0.0.0.0 for the LAN). When omitted, Gradio's "
                        "hosting defaults apply, e.g. on a Hugging Face Space")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--workspace", type=Path, default=HERE / "workspace", help="projects folder")
    parser.add_argument("--pretrained", type=Path, default=HERE / "pretrained", help="base models folder")
    parser.add_argument("--auth", default=None, metavar="USER:PASS", help="require a login")
    parser.add_argument("--share", action="store_true", help="create a temporary public Gradio link")
    parser.add_argument("--insecure", action="store_true",
                        help="allow binding beyond this computer without --auth (not recommended)")
    parser.add_argument("--api-token", default=None,
                        help="token for the api_v2-compatible REST routes (/tts ...); defaults to the --auth "
                        "password when the studio is reachable from other computers")
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


def check_port_free(host: str, port: int) -> None:
    """Fail early, with the fix, when another program (often a studio started before) holds the port;
    Gradio's own message would point the user at an environment variable."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port in TIME_WAIT is free
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SystemExit(
                f"error: port {port} is already in use ({exc.strerror}). The studio may already be running:\n"
                f"open http://127.0.0.1:{port}, or close the other program, or start this one on another port:\n"
                f"  python app.py --port {port + 1}"
            ) from None


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    auth = parse_auth(args.auth)
    exposed = args.share or not is_loopback(args.host or "127.0.0.1")
    if exposed and auth is None and not args.insecure:
        raise SystemExit(
            "error: the studio would be reachable from other computers without a password.\n"
            "Add --auth USER:PASSWORD (or --insecure if you really mean it)."
        )
    check_port_free(args.host or "127.0.0.1", args.port)
    from ui.app import build_app, launch_kwargs
    from ui.services import Services

    services = Services.create(args.workspace, args.pretrained)
    demo = build_app(services)
    shown = "127.0.0.1" if args.host in (None, "0.0.0.0", "::") else args.host
    print(f"GPT-SoVITS Studio: open http://{shown}:{args.port}",
          file=sys.stderr, flush=True)
    demo.queue(default_concurrency_limit=4).launch(
        server_name=args.host, server_port=args.port, auth=auth, share=args.share, show_error=False,
        prevent_thread_lock=True, **launch_kwargs(services),
    )
    mount_rest_api(demo.server_app, args, auth, exposed)
    demo.block_thread()


def mount_rest_api(server_app: object, args: argparse.Namespace, auth: tuple[str, str] | None,
                   exposed: bool) -> None:
    """Serve the api_v2-compatible routes (/tts, /set_*) from the studio's own server."""
    from gpt_sovits.api import mount_api

    token = args.api_token or (auth[1] if auth and exposed else None)
    if exposed and token is None:
        print("REST API disabled: it needs --api-token (or --auth) when reachable from other computers",
              file=sys.stderr)
        return
    host = "0.0.0.0" if args.share else (args.host or "127.0.0.1")
    routes = server_app.router.routes
    before = list(routes)
    mount_api(server_app, args.workspace, args.pretrained, host=host, token=token)
    routes[:] = routes[len(before):] + before  # ahead of Gradio's catch-all page routes
    print(f"REST API (api_v2-compatible): http://127.0.0.1:{args.port}/tts", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
