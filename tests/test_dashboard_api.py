"""The dashboard over HTTP (Flask's test client): pages, filters, CSV, reviews, safety."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from conftest_helpers_dashboard import make_report

from mtqc.checks._apply import fingerprint
from mtqc.dashboard import create_app, serve
from mtqc.dashboard.security import CSRF_COOKIE
from mtqc.errors import UsageError
from mtqc.store import open_store, queries


@pytest.fixture
def store(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'history.sqlite'}")
    s.record_run(make_report(created="2026-05-18T06:00:00Z"), "nl-en")
    s.record_run(make_report(created="2026-05-19T06:00:00Z"), "nl-en")
    s.record_run(make_report(created="2026-05-19T07:00:00Z"), "fr-en")
    yield s
    s.close()


@pytest.fixture
def client(store):
    return create_app(store).test_client()


def _csrf(client) -> str:
    client.get("/")
    return client.get_cookie(CSRF_COOKIE).value


def _flag(store, run_id, code, text):
    for doc in queries.run_documents(store.db, run_id, queries.Filters()):
        for seg in queries.document(store.db, run_id, doc["doc"], queries.Filters()):
            for f in seg["flags"]:
                if (f["code"], f["text"]) == (code, text):
                    return f
    raise AssertionError(f"no {code} flag on {text!r}")


def _rows(csv_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_text)))


# -- pages -------------------------------------------------------------------------------


def test_document_page_marks_spans_and_escapes_mt_text(client):
    page = client.get("/runs/1/doc?doc=ghent-festival")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # the untrusted MT text is shown escaped, never as markup
    assert "<script>alert" not in html and "<b>on the hand" not in html
    assert "&lt;script&gt;alert(&#39;mt&#39;)&lt;/script&gt;" in html
    assert re.search(r'<mark class="sev-major"[^>]*>on the hand of</mark>&lt;/b&gt;', html)
    assert re.search(r'<mark class="sev-minor"[^>]*>actual</mark>', html)
    assert "Suggestion: <kbd>based on</kbd>" in html  # reason, evidence and fix shown
    assert "Dutch &#39;eventueel&#39;/&#39;actueel&#39;" in html


def test_overview_shows_runs_chart_counts_and_filters(client):
    html = client.get("/").get_data(as_text=True)
    assert html.count("<circle") == 3 * 2  # 3 runs, in two charts
    assert "<polyline" in html  # nl-en has two runs: a line
    assert 'id="table-severity"' in html and 'id="table-rules"' in html
    crit = client.get("/?severity=critical").get_data(as_text=True)
    rules = crit[crit.index('id="table-rules"') : crit.index('id="table-precision"')]
    assert "U001" in rules and "T101" not in rules
    feed = client.get("/?feed=fr-en").get_data(as_text=True)
    runs = feed[feed.index('id="table-runs"') :]
    assert "fr-en" in runs and "nl-en</td>" not in runs


def test_bad_filters_are_a_400_with_a_message(client):
    resp = client.get("/?from=yesterday")
    assert resp.status_code == 400
    assert "must be a date like 2026-05-20" in resp.get_data(as_text=True)
    assert client.get("/runs/999").status_code == 404


def test_recurring_artifacts_page(client):
    html = client.get("/artifacts").get_data(as_text=True)
    row = re.search(
        r'<td class="phrase">in the framework of</td>\s*<td class="k-int">(\d+)</td>', html
    )
    assert row and row.group(1) == "4"  # 2 documents in each of 2 feeds
    # documents are per feed: in one feed, "burgemeester" is in one document only
    one_feed = client.get("/artifacts?feed=nl-en").get_data(as_text=True)
    assert '<td class="phrase">burgemeester</td>' not in one_feed
    assert '<td class="phrase">in the framework of</td>' in one_feed
    assert "/runs/3/doc?doc=antwerp-port#line-1" in html  # examples link to the line
    one = client.get("/artifacts?feed=nl-en&min_docs=1").get_data(as_text=True)
    assert '<td class="phrase">burgemeester</td>' in one
    assert re.search(r'<mark class="sev-critical"[^>]*>burgemeester</mark>', one)


# -- CSV ---------------------------------------------------------------------------------


def test_csv_exports_what_the_page_shows(client):
    html = client.get("/?feed=nl-en&severity=major").get_data(as_text=True)
    shown = html[html.index('id="table-runs"') :].count("<tr>") - 1  # minus the header
    resp = client.get("/export/runs.csv?feed=nl-en&severity=major")
    assert resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = _rows(resp.get_data(as_text=True))
    assert len(rows) == shown == 2
    assert {r["Feed"] for r in rows} == {"nl-en"}
    report = make_report()
    major_up = sum(1 for f in report.flags if f.severity >= 2)
    assert {r["Flags"] for r in rows} == {str(major_up)}
    arts = _rows(client.get("/export/artifacts.csv?feed=nl-en").get_data(as_text=True))
    assert {a["Phrase"] for a in arts} >= {"in the framework of", "since years"}
    assert all(int(a["Documents"]) >= 2 for a in arts)


def test_csv_cells_cannot_run_as_spreadsheet_formulas(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'h.sqlite'}")
    s.record_run(make_report({"d": ['=HYPERLINK("x") since years']}), "f")
    rows = _rows(
        create_app(s).test_client().get("/export/document.csv?run=1&doc=d").get_data(as_text=True)
    )
    assert rows[0]["MT"].startswith("'=HYPERLINK")
    assert rows[0]["Flagged text"] == "since years"
    s.close()


# -- review loop -------------------------------------------------------------------------


def test_dismiss_records_who_and_hides_the_flag_in_the_next_run(client, store):
    flag = _flag(store, 1, "T102", "eventually")
    token = _csrf(client)
    resp = client.post(
        f"/flags/{flag['id']}/decision",
        data={
            "decision": "dismiss",
            "reason": "fine here",
            "reviewer": "anna",
            "csrf_token": token,
            "next": "/runs/1/doc?doc=brussels-budget",
        },
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/runs/1/doc?doc=brussels-budget#flag-{flag['id']}"
    (d,) = store.latest_decisions("nl-en")
    assert (d["decision"], d["who"], d["reason"]) == ("dismiss", "anna", "fine here")
    page = client.get("/runs/1/doc?doc=brussels-budget").get_data(as_text=True)
    assert "Dismissed by anna" in page and "hidden in later runs of nl-en" in page
    # the next run of the feed drops it (as the CLI does with dismissed_fingerprints)
    run = store.record_run(
        make_report(
            created="2026-05-20T06:00:00Z", dismissed=store.dismissed_fingerprints("nl-en")
        ),
        "nl-en",
    )
    page = client.get(f"/runs/{run}/doc?doc=brussels-budget").get_data(as_text=True)
    assert "<q>eventually</q>" not in page and "<q>burgemeester</q>" in page
    assert "1 flag hidden by review decisions" in page
    # the other feed still sees it
    assert fingerprint("T102", "eventually") not in store.dismissed_fingerprints("fr-en")


def test_precision_per_rule_is_shown(client, store):
    token = _csrf(client)
    for text, decision in (
        ("since years", "accept"),
        ("make a photo", "accept"),
        ("on the hand of", "dismiss"),
    ):
        f = _flag(store, 1, "T101", text)
        client.post(
            f"/flags/{f['id']}/decision",
            data={"decision": decision, "csrf_token": token, "reviewer": "bert"},
        )
    rows = _rows(client.get("/export/precision.csv").get_data(as_text=True))
    assert rows == [{"Rule": "T101", "Accepted": "2", "Dismissed": "1", "Precision": "0.6667"}]
    html = client.get("/").get_data(as_text=True)
    assert "66.7%" in html[html.index('id="table-precision"') :]


def test_decision_as_json_with_the_csrf_header(client, store):
    f = _flag(store, 1, "U001", "burgemeester")
    resp = client.post(
        f"/flags/{f['id']}/decision",
        data={"decision": "accept"},
        headers={"X-CSRF-Token": _csrf(client), "Accept": "application/json"},
    )
    assert resp.status_code == 200 and resp.get_json() == {
        "ok": True,
        "flag_id": f["id"],
        "decision": "accept",
    }
    bad = client.post(
        f"/flags/{f['id']}/decision",
        data={"decision": "maybe"},
        headers={"X-CSRF-Token": _csrf(client)},
    )
    assert bad.status_code == 400 and "accept&#39; or &#39;dismiss" in bad.get_data(as_text=True)


def test_baseline_download_and_upload(client, store):
    token = _csrf(client)
    f = _flag(store, 1, "T102", "eventually")
    client.post(f"/flags/{f['id']}/decision", data={"decision": "dismiss", "csrf_token": token})
    data = client.get("/decisions/baseline.json?feed=nl-en").get_json()
    assert data == store.export_decisions("nl-en") and len(data["entries"]) == 1
    resp = client.post(
        "/decisions/import",
        data={
            "csrf_token": token,
            "feed": "fr-en",
            "baseline": (io.BytesIO(json.dumps(data).encode()), "baseline.json"),
        },
    )
    assert resp.status_code == 302 and "imported=1" in resp.headers["Location"]
    assert store.dismissed_fingerprints("fr-en") == {f["fingerprint"]}
    bad = client.post(
        "/decisions/import",
        data={"csrf_token": token, "baseline": (io.BytesIO(b"{not json"), "b.json")},
    )
    assert bad.status_code == 400 and "not a JSON baseline" in bad.get_data(as_text=True)


# -- safety ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, headers",
    [
        ({}, {}),  # no CSRF token
        ({"csrf_token": "x" * 43}, {}),  # a token that is not this browser's
        ("valid", {"Origin": "http://evil.example"}),  # right token, other site
        ("valid", {"Sec-Fetch-Site": "cross-site"}),
    ],
)
def test_posts_without_a_valid_csrf_token_are_refused(client, store, data, headers):
    token = _csrf(client)
    if data == "valid":
        data = {"csrf_token": token}
    f = _flag(store, 1, "U001", "burgemeester")
    resp = client.post(
        f"/flags/{f['id']}/decision", data={"decision": "dismiss", **data}, headers=headers
    )
    assert resp.status_code == 403
    assert store.latest_decisions() == []


def test_same_origin_post_with_token_passes(client, store):
    token = _csrf(client)
    f = _flag(store, 1, "U001", "burgemeester")
    resp = client.post(
        f"/flags/{f['id']}/decision",
        data={"decision": "dismiss", "csrf_token": token},
        headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
    )
    assert resp.status_code == 302 and len(store.latest_decisions()) == 1


def test_no_stack_traces_in_responses(store, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("secret internals at /srv/mtqc/db.py")

    monkeypatch.setattr(queries, "runs", boom)
    resp = create_app(store).test_client().get("/")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 500
    assert "Traceback" not in body and "secret internals" not in body
    assert "internal error" in body


def test_security_headers_and_no_open_redirect(client):
    resp = client.get("/")
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    token = _csrf(client)
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        r = client.post("/reviewer", data={"reviewer": "anna", "next": evil, "csrf_token": token})
        assert r.headers["Location"] == "/"


def test_token_is_required_when_set(store):
    c = create_app(store, token="s3cret-token").test_client()
    r = c.get("/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert c.get("/export/runs.csv").status_code == 302
    assert c.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 302
    assert c.get("/", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    assert c.post("/flags/1/decision", data={"decision": "dismiss"}).status_code == 401
    token = c.get("/login").status_code == 200 and c.get_cookie(CSRF_COOKIE).value
    wrong = c.post("/login", data={"token": "nope", "csrf_token": token, "next": "/artifacts"})
    assert wrong.status_code == 403 and "not right" in wrong.get_data(as_text=True)
    assert c.get("/").status_code == 302
    ok = c.post("/login", data={"token": "s3cret-token", "csrf_token": token, "next": "/artifacts"})
    assert ok.status_code == 302 and ok.headers["Location"] == "/artifacts"
    session = c.get_cookie("mtqc_session").value
    assert "s3cret-token" not in session  # the cookie is derived, not the token
    assert c.get("/").status_code == 200


def test_serving_beyond_loopback_needs_a_token():
    with pytest.raises(UsageError, match="--token"):
        serve(None, host="0.0.0.0", port=0)
    with pytest.raises(UsageError, match="--token"):
        serve(None, host="192.0.2.10", port=0)


def test_loopback_dashboard_refuses_foreign_host_names(store):
    c = create_app(store, trusted_hosts=["127.0.0.1", "localhost"]).test_client()
    assert c.get("/", headers={"Host": "localhost:8765"}).status_code == 200
    assert c.get("/", headers={"Host": "rebind.evil.example"}).status_code == 400
