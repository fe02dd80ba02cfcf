"""Who may call the API and which files it may touch.

- Paths sent by clients (reference clips, weights) must resolve, after following symlinks, inside
  the workspace or pretrained folders. Relative paths are looked up in those folders (workspace
  first). Anything else is refused, so a client cannot make the server read arbitrary files.
- A token is required whenever the server listens beyond loopback; when one is configured it is
  checked on every request (``Authorization: Bearer <token>``, ``X-API-Token: <token>`` or
  ``?token=<token>``).
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Sequence
from pathlib import Path


class PathNotAllowed(ValueError):
    """A client path is outside the allowed folders (or does not exist there)."""


class PathPolicy:
    """Confines client paths to ``roots``.

    Args:
        roots: allowed folders (resolved once).
    """

    def __init__(self, roots: Sequence[str | Path]) -> None:
        self.roots = [Path(r).expanduser().resolve() for r in roots]

    def _inside(self, path: Path) -> bool:
        return any(path == root or path.is_relative_to(root) for root in self.roots)

    def resolve(self, raw: str, what: str = "file") -> Path:
        """The allowed, existing file ``raw`` points to.

        Raises:
            PathNotAllowed: empty, outside the allowed folders, or missing.
        """
        if not raw or not raw.strip() or "\x00" in raw:
            raise PathNotAllowed(f"{what}: give a path inside the workspace or pretrained folders")
        given = Path(raw.strip()).expanduser()
        candidates = [given] if given.is_absolute() else [root / given for root in self.roots]
        for candidate in candidates:
            resolved = candidate.resolve()
            if not self._inside(resolved):
                continue
            if resolved.is_file():
                return resolved
        if any(self._inside(c.resolve()) for c in candidates):
            raise PathNotAllowed(f"{what} {raw!r} does not exist in the workspace or pretrained folders")
        allowed = ", ".join(str(r) for r in self.roots)
        raise PathNotAllowed(f"{what} {raw!r} is outside the allowed folders ({allowed})")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and "localhost"."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_token_for(host: str, token: str | None) -> None:
    """Refuse to serve beyond loopback without a token.

    Raises:
        ValueError: ``host`` is not loopback and ``token`` is empty.
    """
    if not is_loopback(host) and not token:
        raise ValueError(
            f"binding to {host} exposes the API to the network: set a token (--token) "
            "that clients send as 'Authorization: Bearer <token>'"
        )


def token_matches(expected: str, header: str | None, api_header: str | None, query: str | None) -> bool:
    """Does any of the presented credentials equal ``expected`` (constant-time)?"""
    presented = []
    if header and header.lower().startswith("bearer "):
        presented.append(header[7:].strip())
    presented += [v for v in (api_header, query) if v]
    return any(secrets.compare_digest(v.encode(), expected.encode()) for v in presented)
