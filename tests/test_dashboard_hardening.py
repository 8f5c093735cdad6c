"""The dashboard against hostile or odd requests: 4xx with a reason, never a 500; weak
tokens refused for a public bind; wrong tokens throttled; IPv6 loopback served."""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest_helpers_dashboard import make_report

from mtqc.cli import main
from mtqc.dashboard import create_app
from mtqc.dashboard.security import CSRF_COOKIE, MAX_FAILURES, Throttle, safe_next
from mtqc.dashboard.server import LOOPBACK_HOST_HEADERS, check_bind
from mtqc.errors import UsageError
from mtqc.store import open_store

BIG = 2**63  # one past the largest database id
STRONG = "Zq3-vX9_kP2mN7wR4tY8uB1c"


@pytest.fixture
def store(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'history.sqlite'}")
    s.record_run(make_report(created="2026-05-18T06:00:00Z"), "nl-en")
    yield s
    s.close()


@pytest.fixture
def client(store):
    return create_app(store).test_client()


def _csrf(client) -> str:
    client.get("/")
    return client.get_cookie(CSRF_COOKIE).value


@pytest.mark.parametrize(
    "url",
    [
        f"/runs/{BIG}",
        f"/runs/{BIG}/doc?doc=x",
        f"/runs/{10**30}",
        f"/export/documents.csv?run={BIG}",
        f"/export/document.csv?run={-BIG}&doc=x",
        "/runs/0",
    ],
)
def test_out_of_range_ids_are_not_found(client, url):
    assert client.get(url).status_code == 404


def test_decision_on_an_out_of_range_flag_is_not_found(client):
    token = _csrf(client)
    r = client.post(f"/flags/{BIG}/decision", data={"csrf_token": token, "decision": "accept"})
    assert r.status_code == 404


@pytest.mark.parametrize(
    "url", ["/?to=9999-12-31", "/artifacts?to=9999-12-31", "/export/runs.csv?to=9999-12-31",
            "/?from=9999-12-31", "/?from=0001-01-01&to=0001-01-01"]
)  # fmt: skip
def test_extreme_dates_answer(client, url):
    r = client.get(url)
    assert r.status_code == 200
    if url.startswith("/?to="):
        assert "nl-en" in r.get_data(as_text=True)  # 9999-12-31 includes every run


def test_extreme_date_is_inclusive_of_all_runs(client):
    rows = client.get("/export/runs.csv?to=9999-12-31").get_data(as_text=True).splitlines()
    assert len(rows) == 2  # header + the one run


@pytest.mark.parametrize("nxt", ["/\r\nSet-Cookie: x=1", "/a\nb", "/a\rb", "/a\x00b", "/a\x7fb"])
def test_control_characters_in_next_fall_back_to_the_overview(client, nxt):
    assert safe_next(nxt) == "/"
    token = _csrf(client)
    r = client.post("/reviewer", data={"csrf_token": token, "reviewer": "ann", "next": nxt})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    r = client.post(
        "/flags/1/decision", data={"csrf_token": token, "decision": "accept", "next": nxt}
    )
    assert r.status_code == 302 and r.headers["Location"] == "/#flag-1"
    assert client.get("/login", query_string={"next": nxt}).status_code == 302


BAD_BASELINES = {
    "feed is a number": (
        json.dumps({"mtqc_baseline": 1, "entries": [{"code": "T1", "text": "x", "feed": 5}]}),
        "'feed' must be a string",
    ),
    "text is a number": (
        json.dumps(
            {"mtqc_baseline": 1, "entries": [{"code": "T1", "fingerprint": "f", "text": 5}]}
        ),
        "'text' must be a string",
    ),
    "lone surrogate": (
        '{"mtqc_baseline":1,"entries":[{"code":"T\\ud800","text":"x","feed":"a"}]}',
        "unpaired surrogate",
    ),
    "NUL": ('{"mtqc_baseline":1,"entries":[{"code":"T1","text":"x\\u0000"}]}', "NUL"),
    "nested too deep": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "huge number": ('{"mtqc_baseline": ' + "1" * 5000 + "}", "4300 digits"),
    "NaN": ('{"mtqc_baseline": NaN}', "NaN"),
    "not UTF-8": (b"\xff\xfe{}", "not UTF-8"),
    "a list": ("[1]", "not an mtqc baseline"),
}


@pytest.mark.parametrize("case", list(BAD_BASELINES))
def test_bad_baseline_uploads_are_400_with_the_reason(client, case):
    body, reason = BAD_BASELINES[case]
    raw = body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")
    token = _csrf(client)
    r = client.post(
        "/decisions/import",
        data={"csrf_token": token, "feed": "nl-en", "baseline": (io.BytesIO(raw), "b.json")},
    )
    assert r.status_code == 400
    assert reason in r.get_data(as_text=True).replace("&#39;", "'")


@pytest.mark.parametrize("case", ["feed is a number", "nested too deep", "huge number"])
def test_bad_baseline_import_on_the_command_line_is_exit_2(case, tmp_path, capsys):
    body, reason = BAD_BASELINES[case]
    f = tmp_path / "b.json"
    f.write_text(body)
    code = main(["decisions", "import", str(f), "--store", str(tmp_path / "h.sqlite")])
    err = capsys.readouterr().err
    assert code == 2 and reason in err and "internal error" not in err


# -- tokens --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "why"),
    [
        ("a", "at least 16"),
        (" ", "spaces"),
        ("   " * 10, "spaces"),
        ("s3cret", "at least 16"),
        ("aaaaaaaaaaaaaaaaaaaa", "different characters"),
        ("abababababababababab", "different characters"),
        ("correct horse battery staple", "spaces"),
    ],
)
def test_weak_tokens_are_refused_for_a_public_bind(token, why):
    with pytest.raises(UsageError, match=why) as e:
        check_bind("0.0.0.0", token)
    assert "secrets.token_urlsafe" in str(e.value)


def test_strong_token_public_bind_and_loopback_are_accepted():
    check_bind("0.0.0.0", STRONG)
    check_bind("::", STRONG)
    check_bind("127.0.0.1", None)
    check_bind("::1", "a")  # loopback: any token (or none)


def test_weak_token_on_the_command_line_is_exit_2(capsys):
    code = main(["serve", "--host", "0.0.0.0", "--port", "0", "--token", " "])
    err = capsys.readouterr().err
    assert code == 2 and "too weak" in err


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_wrong_logins_are_throttled_then_allowed_again(store):
    app = create_app(store, STRONG)
    clock = FakeClock()
    app.extensions["mtqc_throttle"].clock = clock
    c = app.test_client()
    csrf = c.get("/login").status_code == 200 and c.get_cookie(CSRF_COOKIE).value
    for _ in range(MAX_FAILURES):
        r = c.post("/login", data={"token": "guess", "csrf_token": csrf})
        assert r.status_code == 403
    r = c.post("/login", data={"token": STRONG, "csrf_token": csrf})  # even the right one
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert c.get("/", headers={"Authorization": f"Bearer {STRONG}"}).status_code == 429
    clock.now += 61
    r = c.post("/login", data={"token": STRONG, "csrf_token": csrf})
    assert r.status_code == 302
    assert c.get("/").status_code == 200


def test_wrong_bearer_tokens_are_throttled_per_address(store):
    app = create_app(store, STRONG)
    app.extensions["mtqc_throttle"].clock = FakeClock()
    c = app.test_client()
    wrong = {"Authorization": "Bearer nope"}
    codes = [c.get("/", headers=wrong).status_code for _ in range(MAX_FAILURES + 2)]
    assert codes[:MAX_FAILURES] == [302] * MAX_FAILURES and codes[-1] == 429
    other = {"REMOTE_ADDR": "192.0.2.7"}  # another client is not affected
    r = c.get("/", headers={"Authorization": f"Bearer {STRONG}"}, environ_base=other)
    assert r.status_code == 200
    assert c.get("/login").status_code == 200  # the login page itself stays reachable


def test_throttle_memory_is_bounded():
    t = Throttle(clock=FakeClock())
    for i in range(25_000):
        t.fail(f"10.0.{i // 256}.{i % 256}")
    assert len(t._failures) <= 10_000


# -- IPv6 ---------------------------------------------------------------------------------


def test_ipv6_loopback_host_header_is_answered(store):
    c = create_app(store, trusted_hosts=LOOPBACK_HOST_HEADERS).test_client()
    for host in ("[::1]:8765", "[::1]", "127.0.0.1:8765", "localhost"):
        assert c.get("/", headers={"Host": host}).status_code == 200, host
    for host in ("rebind.evil.example", "[::2]:8765", "::1", "localhost.evil.example:80"):
        assert c.get("/", headers={"Host": host}).status_code == 400, host


def _ipv6() -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6(), reason="no IPv6 loopback on this machine")
def test_serve_on_ipv6_loopback_answers_at_the_printed_url(tmp_path):
    db = tmp_path / "h.sqlite"
    with open_store(db) as s:
        s.record_run(make_report(created="2026-05-18T06:00:00Z"), "nl-en")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mtqc", "serve", "--host", "::1", "--port", "0", "--store", str(db)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stderr.readline()
        m = re.search(r"http://\[::1\]:(\d+)/", line)
        assert m, line
        conn = http.client.HTTPConnection("::1", int(m.group(1)), timeout=60)
        conn.request("GET", "/")
        resp = conn.getresponse()
        assert resp.status == 200 and b"nl-en" in resp.read()
        conn.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 143  # SIGTERM: a clean stop
