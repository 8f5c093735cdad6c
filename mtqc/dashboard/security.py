"""Access token, cross-site request forgery protection and response headers.

* Token: when the dashboard has one, every request must carry it, as
  ``Authorization: Bearer TOKEN`` or as the session cookie the login form sets (an HMAC
  of the token, never the token itself). Comparisons use :func:`hmac.compare_digest`.
* Wrong tokens are throttled: after :data:`MAX_FAILURES` wrong tokens from one address
  within :data:`FAILURE_WINDOW_S` seconds, that address gets 429 for every token it
  sends (right or wrong) until the oldest failure leaves the window.
* Host: on loopback without a token only loopback ``Host`` names are answered (DNS
  rebinding), IPv6 ``[::1]`` included.
* CSRF: double submit. A random token lives in a cookie; every form carries it in a
  hidden ``csrf_token`` field (scripts send ``X-CSRF-Token``). A state-changing request
  must repeat it, and must not come from another site (``Origin`` / ``Sec-Fetch-Site``).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, Response, abort, g, redirect, request, url_for

CSRF_COOKIE = "mtqc_csrf"
AUTH_COOKIE = "mtqc_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_ENDPOINTS = frozenset({"login", "static"})
#: the check service's JSON API: a bearer token instead of the login page, and instead of
#: the double-submit cookie a JSON body (a cross-site form or no-cors fetch cannot send
#: ``application/json``) from no other site (``Origin`` / ``Sec-Fetch-Site``)
API_PREFIX = "/api/"


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def api_error(status: int, message: str) -> Response:
    """A JSON error answer of the API: ``{"error": message, "status": status}``."""
    import json

    return Response(
        json.dumps({"error": message, "status": status}, ensure_ascii=False) + "\n",
        status=status,
        mimetype="application/json",
    )


CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


MAX_FAILURES = 10
FAILURE_WINDOW_S = 60.0
_MAX_TRACKED = 10_000


class Throttle:
    """Wrong-token attempts per client address, in a sliding window."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window_s: float = FAILURE_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may try again (0: it may now)."""
        now = self.clock()
        with self._lock:
            times = self._recent(key, now)
            if len(times) < self.max_failures:
                return 0
            return max(1, math.ceil(times[0] + self.window_s - now))

    def fail(self, key: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) >= _MAX_TRACKED:  # bounded memory: drop stale keys,
                for k in list(self._failures):  # then the oldest half (amortised)
                    self._recent(k, now)
                if len(self._failures) >= _MAX_TRACKED // 2:
                    for k in list(self._failures)[: len(self._failures) // 2]:
                        del self._failures[k]
            self._failures.setdefault(key, deque()).append(now)


def client_key() -> str:
    return request.remote_addr or "?"


def too_many_attempts(throttle: Throttle) -> Response | None:
    """A 429 response when this client is throttled, else None."""
    wait = throttle.retry_after(client_key())
    if not wait:
        return None
    resp = Response(
        f"Too many wrong tokens from this address: try again in {wait} seconds.\n",
        status=429,
        mimetype="text/plain",
    )
    resp.headers["Retry-After"] = str(wait)
    return resp


def session_value(token: str) -> str:
    """What the login cookie holds: derived from the token, useless elsewhere."""
    return hmac.new(token.encode(), b"mtqc-dashboard-session", hashlib.sha256).hexdigest()


def token_matches(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def is_authenticated(token: str) -> bool:
    return credentials(token) == "ok"


def credentials(token: str) -> str:
    """``"ok"``, ``"none"`` (nothing sent) or ``"wrong"`` for this request."""
    sent = False
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        sent = True
        if token_matches(auth[7:].strip(), token):
            return "ok"
    cookie = request.cookies.get(AUTH_COOKIE)
    if cookie is not None:
        sent = True
        if hmac.compare_digest(cookie.encode(), session_value(token).encode()):
            return "ok"
    return "wrong" if sent else "none"


def host_allowed(host_header: str, allowed: list[str]) -> bool:
    """Whether ``Host: host_header`` names one of ``allowed`` (any port; IPv6 in [])."""
    m = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[^:\[\]]+)(?::(\d{1,5}))?", host_header or "")
    if m is None:
        return False
    name = m.group(1).lower()
    names = {a.lower() for a in allowed} | {f"[{a.lower()}]" for a in allowed if ":" in a}
    return name in names


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths are followed after a form (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):  # CR/LF: header injection
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


def _same_origin() -> bool:
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is not None:
        expected = f"{request.scheme}://{request.host}"
        return hmac.compare_digest(origin.encode(), expected.encode())
    return True


def check_csrf() -> None:
    """Abort with 403 unless the request repeats this browser's CSRF token."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD) or ""
    if not (
        _TOKEN_RE.match(cookie)
        and hmac.compare_digest(cookie.encode(), sent.encode())
        and _same_origin()
    ):
        abort(
            403,
            description="This form has expired or came from another site. Reload the page and try again.",
        )


def install(
    app: Flask,
    token: str | None,
    *,
    allowed_hosts: list[str] | None = None,
    throttle: Throttle | None = None,
) -> None:
    """Register the guards on ``app``; ``allowed_hosts`` limits the ``Host`` header."""
    throttle = throttle or Throttle()
    app.extensions["mtqc_throttle"] = throttle

    @app.before_request
    def _guard() -> Response | None:
        if allowed_hosts and not host_allowed(request.headers.get("Host", ""), allowed_hosts):
            abort(400, description="This dashboard answers only at its loopback address.")
        cookie = request.cookies.get(CSRF_COOKIE, "")
        g.new_csrf = not _TOKEN_RE.match(cookie)
        g.csrf_token = secrets.token_urlsafe(32) if g.new_csrf else cookie
        if token and request.endpoint not in OPEN_ENDPOINTS:
            state = credentials(token)
            if state != "none":
                limited = too_many_attempts(throttle)
                if limited is not None:
                    return limited
            if state == "wrong":
                throttle.fail(client_key())
            if state != "ok":
                if is_api_request():
                    resp = api_error(
                        401,
                        "this service needs its token: send the header "
                        "'Authorization: Bearer TOKEN'"
                        + (" (that token is not right)" if state == "wrong" else ""),
                    )
                    resp.headers["WWW-Authenticate"] = 'Bearer realm="mtqc"'
                    return resp
                if request.method == "GET":
                    return redirect(url_for("login", next=request.full_path))
                abort(401)
        if request.method not in SAFE_METHODS:
            if is_api_request():
                if not _same_origin():
                    return api_error(403, "cross-site requests are refused")
                if request.mimetype != "application/json":
                    return api_error(
                        415, "send the body as JSON with 'Content-Type: application/json'"
                    )
            else:
                check_csrf()
        return None

    @app.after_request
    def _headers(resp: Response) -> Response:
        if getattr(g, "new_csrf", False):
            resp.set_cookie(
                CSRF_COOKIE,
                g.csrf_token,
                httponly=True,
                samesite="Strict",
                secure=request.is_secure,
            )
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Referrer-Policy"] = "same-origin"
        resp.headers.setdefault("Cache-Control", "no-store")
        return resp
