"""``mtqc serve``: run the dashboard and the check service on waitress.

waitress is a production WSGI server in pure Python: HTTP/1.1 keep-alive (a CMS or
``mtqc check --server`` client reuses its connection) and a fixed pool of worker threads
(werkzeug's development server closed every connection and started a thread a request).
Off loopback the dashboard needs a token.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Callable
from typing import Any

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


#: worker threads answering requests (the socket loop runs on the calling thread)
THREADS = 8
#: seconds an idle keep-alive connection stays open
CHANNEL_TIMEOUT = 60


class DashboardServer:
    """A waitress server bound to one socket: ``run()`` blocks until ``shutdown()``
    (from another thread or a signal handler) or Ctrl-C; ``close()`` then stops the
    workers and closes the sockets."""

    def __init__(self, server: Any, socket_map: dict) -> None:
        self._server = server
        self._map = socket_map
        self._stopping = False
        self.host: str = server.effective_host
        self.port: int = server.effective_port

    def run(self) -> None:
        """waitress's socket loop, with a stop flag: its handlers catch every exception
        (a signal's included), so a stop must not rely on one reaching this frame."""
        from waitress import wasyncore

        adj = self._server.adj
        poll = wasyncore.poll2 if adj.asyncore_use_poll else wasyncore.poll
        try:
            while self._map and not self._stopping:
                poll(adj.asyncore_loop_timeout, self._map)
        except wasyncore.ExitNow:
            pass

    def shutdown(self) -> None:
        """Make ``run()`` return (soon: it wakes at once or within a second)."""
        self._stopping = True
        self._server.pull_trigger()

    def close(self) -> None:
        from waitress import wasyncore

        self._server.task_dispatcher.shutdown(timeout=5)
        wasyncore.close_all(self._map)


def make_server(app: Any, host: str, port: int, *, threads: int = THREADS) -> DashboardServer:
    """``app`` on waitress, listening on ``host``:``port`` (0: a free port) once this
    returns. Raises OSError when the address cannot be bound."""
    from waitress import create_server

    from mtqc.dashboard.app import MAX_UPLOAD

    # bind here, as werkzeug did: one socket, IPv6 only for an IPv6 literal, and an
    # OSError before waitress starts its worker threads
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name != "nt":  # on Windows SO_REUSEADDR would let another process share it
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    socket_map: dict = {}
    server = create_server(
        app,
        map=socket_map,
        sockets=[sock],
        threads=threads,
        ident="mtqc",  # the Server header: no version
        clear_untrusted_proxy_headers=True,
        channel_timeout=CHANNEL_TIMEOUT,
        # Flask answers 413 above MAX_CONTENT_LENGTH; waitress need not buffer more
        max_request_body_size=MAX_UPLOAD,
    )
    return DashboardServer(server, socket_map)


def serve(
    store_url: str | None,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
    *,
    on_ready: Callable[[str], None] | None = None,
    service: Any = None,
    threads: int = THREADS,
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
    terminated: list[int] = []
    try:
        # On loopback without a token, refuse other Host names (DNS rebinding).
        trusted = LOOPBACK_HOST_HEADERS if host in LOOPBACK and not token else None
        app = create_app(store, token, trusted_hosts=trusted, service=service)
        try:
            server = make_server(app, host, port, threads=threads)
        except OSError as e:
            raise UsageError(
                f"cannot listen on {host}:{port} ({e.strerror or e}): pick another --port"
            ) from None
        shown = f"[{host}]" if ":" in host else host
        if on_ready is not None:
            on_ready(f"http://{shown}:{server.port}/")
        previous = _stop_on_sigterm(server, terminated)
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
    finally:
        store.close()
    if terminated:  # stopped cleanly: now let the SIGTERM have its usual effect
        signal.raise_signal(signal.SIGTERM)


def _stop_on_sigterm(server: DashboardServer, terminated: list[int]) -> Any:
    """On SIGTERM stop ``server`` (and note it); the previous handler, None if none was
    replaced (not the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def on_sigterm(signum: int, frame: Any) -> None:
        from waitress import wasyncore

        terminated.append(signum)
        server.shutdown()
        raise wasyncore.ExitNow()  # at once, unless a waitress handler swallows it

    try:
        return signal.signal(signal.SIGTERM, on_sigterm)
    except (ValueError, OSError):  # pragma: no cover - no signals here
        return None
