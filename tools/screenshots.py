"""Take the README's dashboard screenshots into docs/screenshots/.

Builds a demo store of a week of runs for two feeds (the test helpers' small articles,
checked by the real rule engine, no models), serves the dashboard on a loopback port and shoots the overview,
the recurring artifacts and a document page with Debian's headless Chromium.

    .venv/bin/python tools/screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest_helpers_dashboard import ARTICLES, EXTRA_ARTICLES  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from mtqc.dashboard import create_app  # noqa: E402
from mtqc.engine import EngineSettings, check_segments  # noqa: E402
from mtqc.model import Report, Segment  # noqa: E402
from mtqc.store import Filters, open_store, queries  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def check_articles(articles: dict[str, list[str]], created: str, dismissed: set[str]) -> Report:
    """Check the articles with the real rules, as `mtqc check --store` would."""
    segments = [
        Segment(id=f"{doc}:{i}", mt=line, doc_id=doc, line=i, source_file=f"{doc}.txt")
        for doc, lines in articles.items()
        for i, line in enumerate(lines, 1)
    ]
    report = check_segments(segments, EngineSettings(suppress=frozenset(dismissed)))
    report.created = created
    return report


def build_demo(url: str) -> int:
    """Record 7 days x 2 feeds; dismiss one false alarm; return a run id to show."""
    store = open_store(url)
    pool = {**ARTICLES, **EXTRA_ARTICLES}
    names = sorted(pool)
    dismissed_on_day = 3
    for day in range(7):
        for k, feed in enumerate(("be-nl-en", "nl-nl-en")):
            picks = [names[(day * 2 + k + i) % len(names)] for i in range(3 + (day + k) % 3)]
            dismissed = store.dismissed_fingerprints(feed) if day >= dismissed_on_day else set()
            report = check_articles(
                {n: pool[n] for n in picks},
                created=f"2026-05-{12 + day:02d}T0{6 + k}:00:00Z",
                dismissed=dismissed,
            )
            run_id = store.record_run(report, feed)
            if day == dismissed_on_day - 1:
                for doc in queries.run_documents(store.db, run_id, Filters()):
                    for seg in queries.document(store.db, run_id, doc["doc"], Filters()):
                        for f in seg["flags"]:
                            if f["code"].startswith("P"):
                                store.decide(f["id"], "dismiss", "anna", "fine in this context")
                            elif f["code"].startswith("T"):
                                store.decide(f["id"], "accept", "anna")
    store.close()
    return run_id


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/demo.sqlite"
        last_run = build_demo(url)
        store = open_store(url)
        docs = queries.run_documents(store.db, last_run, Filters())
        doc = max(docs, key=lambda d: d["flags"])["doc"]
        server = make_server("127.0.0.1", 0, create_app(store), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True
                )
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                for name, path in (
                    ("overview", "/"),
                    ("artifacts", "/artifacts"),
                    ("document", f"/runs/{last_run}/doc?doc={doc}"),
                ):
                    page.goto(base + path)
                    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
                    print(out / f"{name}.png")
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
            store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
