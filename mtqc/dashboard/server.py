"""``mtqc serve``: run the dashboard with werkzeug's threaded WSGI server.

werkzeug (already a Flask dependency) is enough for a dashboard used by a newsroom
team: a handful of people, server-rendered pages. Off loopback it needs a token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.serving import make_server

from mtqc.errors import UsageError

LOOPBACK = ("127.0.0.1", "localhost", "::1")
LOOPBACK_HOST_HEADERS = ["127.0.0.1", "localhost", "::1", "[::1]"]


MIN_TOKEN_CHARS = 16
MIN_TOKEN_DISTINCT = 8
_TOKEN_HINT = "generate one with `python3 -c 'import secrets; print(secrets.token_urlsafe(24))'`"


def check_bind(host: str, token: str | None) -> None:
    """Refuse to expose the dashboard beyond this machine without a strong token."""
    if host in LOOPBACK:
        return
    if not token:
        raise UsageError(
            f"the dashboard would be reachable from other machines on {host}: pass --token "
            "SECRET (every request must then carry it), or bind 127.0.0.1"
        )
    problem = token_weakness(token)
    if problem:
        raise UsageError(
            f"--token is too weak for a dashboard reachable from other machines on {host}: "
            f"{problem}; {_TOKEN_HINT}, or bind 127.0.0.1"
        )


def token_weakness(token: str) -> str:
    """Why ``token`` is too weak to guard a public dashboard ("" when it is fine)."""
    if token != token.strip() or any(ch.isspace() for ch in token):
        return "it contains spaces (easy to lose or mangle when passed around)"
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in token):
        return "it contains control characters"
    if len(token) < MIN_TOKEN_CHARS:
        return f"it has {len(token)} characters, and at least {MIN_TOKEN_CHARS} are needed"
    if len(set(token)) < MIN_TOKEN_DISTINCT:
        return f"it uses fewer than {MIN_TOKEN_DISTINCT} different characters"
    return ""


def serve(
    store_url: str | None,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
    *,
    on_ready: Callable[[str], None] | None = None,
    service: Any = None,
) -> None:
    """Serve the dashboard for the store at ``store_url`` until interrupted (blocking).

    ``on_ready(url)`` is called once the socket listens (the CLI prints the address).
    """
    check_bind(host, token)
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, not {port}")
    from mtqc.dashboard.app import create_app
    from mtqc.store import open_store

    store = open_store(store_url)
    try:
        # On loopback without a token, refuse other Host names (DNS rebinding).
        trusted = LOOPBACK_HOST_HEADERS if host in LOOPBACK and not token else None
        app = create_app(store, token, trusted_hosts=trusted, service=service)
        try:
            server = make_server(host, port, app, threaded=True)
        except OSError as e:
            raise UsageError(
                f"cannot listen on {host}:{port} ({e.strerror or e}): pick another --port"
            ) from None
        shown = f"[{host}]" if ":" in host else host
        if on_ready is not None:
            on_ready(f"http://{shown}:{server.server_port}/")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    finally:
        store.close()
