"""The newsroom dashboard: run history, recurring artifacts, documents and reviews.

``serve(store_url, host, port, token)`` runs it (blocking); ``create_app(store, token)``
returns the Flask app (for tests and WSGI servers).
"""

from __future__ import annotations

from mtqc.dashboard.app import create_app
from mtqc.dashboard.server import serve

__all__ = ["create_app", "serve"]
