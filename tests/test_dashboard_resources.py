"""The dashboard over a real threaded server: open files stay flat however many requests
it answers (werkzeug's server ran each request on a new thread, and each used to keep a
database connection open for good; waitress has a fixed pool of workers)."""

from __future__ import annotations

import http.client
import os
import threading

import pytest
from conftest_helpers_dashboard import make_report

from mtqc.dashboard import create_app
from mtqc.dashboard.server import make_server
from mtqc.store import open_store

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")

PAGES = [
    "/",
    "/artifacts",
    "/runs/1",
    "/runs/1/doc?doc=ghent-festival",
    "/decisions",
    "/export/runs.csv",
    "/runs/999",
]


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def server(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'history.sqlite'}")
    store.record_run(make_report(created="2026-05-18T06:00:00Z"), "nl-en")
    srv = make_server(create_app(store), "127.0.0.1", 0)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield srv, store
    srv.shutdown()
    thread.join(timeout=30)
    srv.close()
    store.close()


def get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def test_open_files_stay_flat_over_hundreds_of_requests(server):
    srv, store = server
    port = srv.port
    for path in PAGES:  # warm up: templates, the pool
        get(port, path)
    before = open_files()
    statuses = [get(port, PAGES[i % len(PAGES)]) for i in range(400)]
    after = open_files()
    assert set(statuses) == {200, 404}
    assert statuses.count(404) == sum(PAGES[i % len(PAGES)] == "/runs/999" for i in range(400))
    # a leak of one connection per request would add ~400 (SQLite: db + WAL + shm)
    assert after - before <= 10, (before, after)
    assert store.db.open_connections <= 1 + 4  # the main thread's + the pool


def test_concurrent_requests_share_a_bounded_pool(server):
    srv, store = server
    port = srv.port
    results: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(20):
            status = get(port, "/")
            with lock:
                results.append(status)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results == [200] * 160
    assert store.db.open_connections <= 1 + 4
