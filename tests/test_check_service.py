"""The check service: POST /api/v1/check on the dashboard app, its security and limits,
the OpenAPI description, and `mtqc check --server` against a real `mtqc serve`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mtqc.cli import main
from mtqc.dashboard import create_app
from mtqc.service import CheckService
from mtqc.store import open_store

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "s3cret-Token-for-tests-0123456789"
ARTICLE = [
    {"id": "a1", "doc": "art", "mt": "We we left early."},
    {"id": "a2", "doc": "art", "mt": "It cost 5 euros.", "ref": "It cost 9 euros."},
]


@pytest.fixture
def store(tmp_path):
    s = open_store(str(tmp_path / "h.sqlite"))
    yield s
    s.close()


@pytest.fixture
def client(store):
    return create_app(store, service=CheckService(max_segments=5)).test_client()


def post(client, body, **kw):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    headers = kw.pop("headers", {})
    return client.post(
        "/api/v1/check",
        data=data,
        content_type=kw.pop("content_type", "application/json"),
        headers=headers,
        **kw,
    )


def test_check_answers_the_json_report_schema(client):
    resp = post(client, {"segments": ARTICLE, "fail_on": "minor"})
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    doc = resp.get_json()
    for key in (
        "tool",
        "version",
        "signature",
        "mode",
        "created",
        "inputs",
        "rules",
        "corpus_metrics",
        "summary",
        "segments",
    ):
        assert key in doc
    assert doc["mode"] == "reference" and list(doc["corpus_metrics"]) == ["chrf"]
    assert [s["id"] for s in doc["segments"]] == ["a1", "a2"]
    assert doc["segments"][0]["flags"][0]["code"] == "W001"
    assert any(f["code"] == "N001" for f in doc["segments"][1]["flags"])
    assert doc["inputs"]["gate"] == "failed" and resp.headers["X-Mtqc-Gate"] == "failed"


def test_check_options_select_ignore_mode_metrics(client):
    doc = post(
        client,
        {
            "segments": ARTICLE,
            "ignore": ["W"],
            "mode": "target-only",
            "fail_on": "critical",
            "metrics": "chrf,ter",
        },
    ).get_json()
    assert doc["mode"] == "target-only" and "W001" not in doc["rules"]
    assert doc["corpus_metrics"] == {} and doc["inputs"]["gate"] == "passed"
    doc = post(client, {"segments": ARTICLE, "select": "N", "metrics": ["ter"]}).get_json()
    assert set(doc["rules"]) <= {c for c in doc["rules"] if c.startswith("N")}
    assert list(doc["corpus_metrics"]) == ["ter"]


def test_same_report_as_the_engine(client):
    import mtqc

    doc = post(client, {"segments": [{"mt": "We we left."}]}).get_json()
    local = mtqc.check(["We we left."]).to_dict()
    strip = lambda d: [(f["code"], f["start"], f["end"]) for s in d["segments"] for f in s["flags"]]  # noqa: E731
    assert strip(doc) == strip(local) and doc["signature"] == local["signature"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "not JSON"),
        (b"\xff\xfe", 400, "not UTF-8"),
        (b'{"segments": [{"mt": NaN}]}', 400, "NaN"),
        ({"segments": []}, 400, "non-empty list"),
        ({"segments": [{"mt": "x"}] * 6}, 400, "at most 5"),
        ({"segments": [{"text": "x"}]}, 400, "unknown field(s) 'text'"),
        ({"segments": [{"mt": 5}]}, 400, "'mt' must be a string"),
        ({"segments": [{"mt": "a\ud800"}]}, 400, "unpaired surrogate"),
        ({"segments": [{"mt": "a\u0000"}]}, 400, "NUL"),
        ({"segments": [{"mt": "x"}], "fail-on": "minor"}, 400, "did you mean 'fail_on'"),
        ({"segments": [{"mt": "x"}], "models": ["lm"]}, 400, "not loaded by this service"),
        ({"segments": [{"mt": "x"}], "mode": "sideways"}, 400, "unknown mode"),
        ({"segments": [{"mt": "x"}], "metrics": "meteor"}, 400, "unknown metric"),
        ({"segments": [{"mt": "x"}], "fail_on": "bad"}, 400, "fail_on must be one of"),
        ({"segments": [{"mt": "x"}], "mode": "reference"}, 400, "needs 'ref'"),
        ([1, 2], 400, "JSON object"),
    ],
)
def test_bad_requests_are_clear_json_4xx(client, body, status, message):
    resp = post(client, body)
    assert resp.status_code == status and resp.mimetype == "application/json"
    err = resp.get_json()
    assert message in err["error"] and err["status"] == status


def test_wrong_method_type_size_and_origin(client, store):
    resp = client.get("/api/v1/check")
    assert resp.status_code == 405 and "POST" in resp.get_json()["error"]
    resp = post(client, "segments=x", content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 415 and "application/json" in resp.get_json()["error"]
    resp = post(client, {"segments": ARTICLE}, headers={"Sec-Fetch-Site": "cross-site"})
    assert resp.status_code == 403 and resp.get_json()["error"]
    big = json.dumps({"segments": [{"mt": "x" * 1000}] * 5200})
    resp = post(client, big)
    assert resp.status_code == 413 and resp.mimetype == "application/json"


def test_token_is_required_and_throttled(store):
    c = create_app(store, TOKEN).test_client()
    resp = post(c, {"segments": ARTICLE})
    assert resp.status_code == 401 and "Bearer" in resp.get_json()["error"]
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    ok = post(c, {"segments": ARTICLE}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    for _ in range(10):
        bad = post(c, {"segments": ARTICLE}, headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401
    assert (
        post(c, {"segments": ARTICLE}, headers={"Authorization": f"Bearer {TOKEN}"}).status_code
        == 429
    )


def test_openapi_description(client):
    resp = client.get("/api/v1/openapi.json")
    doc = resp.get_json()
    assert resp.status_code == 200 and doc["openapi"].startswith("3.")
    op = doc["paths"]["/api/v1/check"]["post"]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["segments"]
    assert schema["properties"]["segments"]["maxItems"] == 5
    assert {"200", "400", "401", "413", "415"} <= set(op["responses"])
    jsonschema = pytest.importorskip("jsonschema")
    example = op["requestBody"]["content"]["application/json"]["example"]
    jsonschema.validate(example, schema)


def test_dashboard_pages_keep_their_csrf_and_html_errors(client):
    resp = client.post("/reviewer", data={"reviewer": "x"})
    assert resp.status_code == 403 and resp.mimetype == "text/html"


def test_serve_refuses_a_public_bind_without_token_before_loading(capsys):
    assert main(["serve", "--host", "0.0.0.0", "--models", "lm"]) == 2
    assert "--token" in capsys.readouterr().err


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_check_server_against_a_real_serve_process(tmp_path, capsys):
    port = _free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mtqc",
            "serve",
            "--port",
            str(port),
            "--store",
            str(tmp_path / "h.sqlite"),
            "--max-segments",
            "50",
        ],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = ""
        deadline = time.monotonic() + 60
        while "check service" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline()
            assert proc.poll() is None, line
        url = re.search(r"http://\S+/", line).group(0)
        threading.Thread(target=proc.stderr.read, daemon=True).start()  # its request log
        mt = tmp_path / "mt.txt"
        mt.write_text("We we left early.\nThe council met.\n", encoding="utf-8")
        ref = tmp_path / "ref.txt"
        ref.write_text("We left early.\nThe council met.\n", encoding="utf-8")
        args = ["check", str(mt), "--ref", str(ref), "-f", "json", "--fail-on", "minor"]
        code_local = main(args)
        local = json.loads(capsys.readouterr().out)
        code_remote = main([*args, "--server", url])
        remote = json.loads(capsys.readouterr().out)
        assert code_local == code_remote == 1
        assert remote["signature"] == local["signature"]
        assert remote["summary"] == local["summary"]
        assert [s["line"] for s in remote["segments"]] == [1, 2]
        assert remote["segments"][0]["source_file"] == str(mt)
        assert [f["code"] for s in remote["segments"] for f in s["flags"]] == [
            f["code"] for s in local["segments"] for f in s["flags"]
        ]
        assert main([*args[:2], "--ref", str(ref), "--fail-on", "critical", "--server", url]) == 0
        capsys.readouterr()
        # the service's limits and errors come back as exit 2 with its reason
        many = tmp_path / "many.txt"
        many.write_text("x\n" * 51, encoding="utf-8")
        assert main(["check", str(many), "--server", url]) == 2
        assert "at most 50" in capsys.readouterr().err
        assert main(["check", str(mt), "--server", f"http://127.0.0.1:{_free_port()}"]) == 2
        assert "cannot reach" in capsys.readouterr().err
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class FakeScorer:
    """A model scorer that counts how often it is made and loaded."""

    code, name, needs = "M009", "fake", frozenset()
    made = 0

    def __init__(self, **options):
        FakeScorer.made += 1
        self.loaded = 0
        self.scored: list[int] = []

    def load(self) -> None:
        self.loaded += 1

    def signature(self) -> str:
        return "fake:1"

    def score(self, segments):
        from mtqc.scorers import ScorerOutput

        self.scored.append(len(segments))
        return [ScorerOutput(metrics={"fake": float(len(s.mt))}) for s in segments]


def test_models_are_loaded_once_at_start_and_shared_by_requests(store, monkeypatch):
    from mtqc import scorers

    monkeypatch.setitem(scorers.SCORERS, "fake", f"{__name__}:FakeScorer")
    FakeScorer.made = 0
    service = CheckService(["fake"])
    assert FakeScorer.made == 1 and service.scorers["fake"].loaded == 1
    c = create_app(store, service=service).test_client()
    for _ in range(3):
        doc = post(c, {"segments": ARTICLE}).get_json()
        assert doc["signature"].endswith("|fake:1")
        assert doc["segments"][0]["metrics"]["fake"] == len(ARTICLE[0]["mt"])
    rules_only = post(c, {"segments": ARTICLE, "models": []}).get_json()
    assert "fake" not in rules_only["signature"]
    assert FakeScorer.made == 1 and sum(service.scorers["fake"].scored) == 6
