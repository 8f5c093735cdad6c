"""Access token, cross-site request forgery protection and response headers.

* Token: when the dashboard has one, every request must carry it, as
  ``Authorization: Bearer TOKEN`` or as the session cookie the login form sets (an HMAC
  of the token, never the token itself). Comparisons use :func:`hmac.compare_digest`.
* CSRF: double submit. A random token lives in a cookie; every form carries it in a
  hidden ``csrf_token`` field (scripts send ``X-CSRF-Token``). A state-changing request
  must repeat it, and must not come from another site (``Origin`` / ``Sec-Fetch-Site``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, abort, g, redirect, request, url_for

CSRF_COOKIE = "mtqc_csrf"
AUTH_COOKIE = "mtqc_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_ENDPOINTS = frozenset({"login", "static"})

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def session_value(token: str) -> str:
    """What the login cookie holds: derived from the token, useless elsewhere."""
    return hmac.new(token.encode(), b"mtqc-dashboard-session", hashlib.sha256).hexdigest()


def token_matches(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def is_authenticated(token: str) -> bool:
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer " and token_matches(auth[7:].strip(), token):
        return True
    cookie = request.cookies.get(AUTH_COOKIE)
    return cookie is not None and hmac.compare_digest(
        cookie.encode(), session_value(token).encode()
    )


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths are followed after a form (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
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


def install(app: Flask, token: str | None) -> None:
    """Register the guards on ``app``."""

    @app.before_request
    def _guard() -> Response | None:
        cookie = request.cookies.get(CSRF_COOKIE, "")
        g.new_csrf = not _TOKEN_RE.match(cookie)
        g.csrf_token = secrets.token_urlsafe(32) if g.new_csrf else cookie
        if token and request.endpoint not in OPEN_ENDPOINTS and not is_authenticated(token):
            if request.method == "GET":
                return redirect(url_for("login", next=request.full_path))
            abort(401)
        if request.method not in SAFE_METHODS:
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
