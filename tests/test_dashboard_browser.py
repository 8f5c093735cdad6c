"""End to end in a real headless Chromium: check a feed with the CLI into the store, open
the dashboard, follow a document, dismiss a flag, check again, see the flag gone."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from mtqc.dashboard import create_app
from mtqc.dashboard.server import make_server
from mtqc.store import open_store

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"
    ),
]

FEED_TEXT = (
    "The mayor  said the plan had been discussed for years .\n"
    "Residents can apply for a grant from next month.\n"
    "The council <img src=x onerror=\"document.title='pwned'\"> met on Monday,at noon.\n"
)


@pytest.fixture
def store_url(tmp_path):
    return f"sqlite:///{tmp_path / 'history.sqlite'}"


@pytest.fixture
def live_server(store_url):
    """The dashboard on a free loopback port, served from a background thread."""
    store = open_store(store_url)
    server = make_server(create_app(store), "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.close()
        store.close()


@pytest.fixture
def page():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            pg = browser.new_page(viewport={"width": 1280, "height": 900})
            pg.set_default_timeout(20_000)
            yield pg
        finally:
            browser.close()


def _check(path: Path, store_url: str) -> None:
    """``mtqc check FILE --store URL --feed newsroom`` (the real CLI, in process)."""
    from mtqc.cli import main

    status = main(["check", str(path), "--store", store_url, "--feed", "newsroom"])
    assert status in (0, 1)  # 1: flags at or above --fail-on


def _open_latest_document(page, base: str) -> None:
    page.goto(base + "/")
    page.locator("#table-runs tbody tr").first.locator("a").first.click()
    page.wait_for_url("**/runs/*")
    page.locator("#table-documents tbody tr").first.locator("a").first.click()
    page.wait_for_url("**/runs/*/doc?*")


def test_dismissed_flag_is_gone_after_the_next_run(page, live_server, store_url, tmp_path):
    feed = tmp_path / "article.txt"
    feed.write_text(FEED_TEXT, encoding="utf-8")
    _check(feed, store_url)

    _open_latest_document(page, live_server)
    flags = page.locator("div.flag")
    before = flags.count()
    assert before >= 2, "the checker should flag the double space and the stray spaces"
    # untrusted MT text stays text: no element injected, no script run
    assert page.locator("p.mt img").count() == 0
    assert page.title() != "pwned"
    assert page.get_by_text('<img src=x onerror="document.title=', exact=False).count() == 1

    target = flags.first
    code = target.get_attribute("data-code")
    text = target.locator("q").inner_text()
    target.locator("input[name=reason]").fill("house style")
    target.locator("button.dismiss").click()
    page.wait_for_load_state()
    dismissed = page.locator("div.flag.is-dismissed")
    assert dismissed.count() == 1
    assert "Dismissed by" in dismissed.inner_text() and "house style" in dismissed.inner_text()

    _check(feed, store_url)  # the next run of the same feed
    _open_latest_document(page, live_server)
    assert "run 2" in page.locator(".crumbs").inner_text()
    after = page.locator("div.flag")
    assert after.count() == before - 1
    remaining = {
        (after.nth(i).get_attribute("data-code"), after.nth(i).locator("q").inner_text())
        for i in range(after.count())
    }
    assert (code, text) not in remaining
    assert page.get_by_text("hidden by review decisions").count() == 1

    # the overview charts both runs and the precision table counts the decision
    page.goto(live_server + "/")
    assert page.locator("svg.chart circle").count() == 4
    precision = page.locator("#table-precision").inner_text()
    assert code in precision and "0.0%" in precision


def test_filters_and_csv_link_in_the_browser(page, live_server, store_url, tmp_path):
    feed = tmp_path / "article.txt"
    feed.write_text(FEED_TEXT, encoding="utf-8")
    _check(feed, store_url)
    page.goto(live_server + "/")
    page.select_option("select[name=severity]", "critical")  # submits on change (app.js)
    page.wait_for_url("**severity=critical**")
    assert "Nothing here for these filters." in page.locator("#table-rules").inner_text()
    href = page.locator("#table-runs a.csv").get_attribute("href")
    assert "severity=critical" in href and href.startswith("/export/runs.csv")
    with page.expect_download() as dl:
        page.locator("#table-runs a.csv").click()
    csv_text = Path(dl.value.path()).read_text(encoding="utf-8")
    assert csv_text.splitlines()[0].startswith("Time,Feed,Documents")
    assert csv_text.splitlines()[1].split(",")[6] == "0"  # no critical flags
