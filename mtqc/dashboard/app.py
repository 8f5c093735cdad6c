"""The dashboard's Flask application: pages, CSV exports and the review actions."""

from __future__ import annotations

import getpass
import json
import logging
from typing import Any

from flask import Flask, Response, abort, g, redirect, render_template, request, url_for
from markupsafe import escape
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from mtqc.dashboard import security, views
from mtqc.dashboard.highlight import pieces
from mtqc.dashboard.tables import Table, fmt, to_csv
from mtqc.errors import MtqcError
from mtqc.model import Severity
from mtqc.store import Filters, Store, queries
from mtqc.store.store import parse_baseline

log = logging.getLogger("mtqc.dashboard")

REVIEWER_COOKIE = "mtqc_reviewer"
MAX_UPLOAD = 5 * 1024 * 1024


#: database ids are signed 64-bit integers; a larger one names nothing (404, not 500)
MAX_ID = 2**63 - 1


class IdConverter(IntegerConverter):
    """``<id:name>``: a positive integer that fits a database id."""

    def __init__(self, map: Any) -> None:  # noqa: A002 - werkzeug's signature
        super().__init__(map, min=1, max=MAX_ID)


def _default_reviewer() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return "reviewer"


def create_app(
    store: Store,
    token: str | None = None,
    *,
    trusted_hosts: list[str] | None = None,
    service: Any = None,
) -> Flask:
    """The dashboard for ``store``; with ``token``, every request must carry it. With a
    :class:`mtqc.service.CheckService`, it also answers ``POST /api/v1/check``."""
    app = Flask(__name__)
    app.config.update(
        DEBUG=False,
        PROPAGATE_EXCEPTIONS=False,
        MAX_CONTENT_LENGTH=MAX_UPLOAD,
    )
    app.extensions["mtqc_store"] = store
    app.url_map.converters["id"] = IdConverter

    @app.teardown_request
    def _release_connection(exc: BaseException | None) -> None:
        # hand the thread's connection back after each request: waitress's worker pool is
        # fixed, so keeping it would be bounded too, but releasing keeps idle workers from
        # holding connections (and file handles) for good
        store.db.release()

    # the Host check is ours: werkzeug's TRUSTED_HOSTS cannot match an IPv6 literal
    security.install(app, token, allowed_hosts=trusted_hosts)
    _register_errors(app)
    _register_pages(app, store, token)
    from mtqc.dashboard.api import register_api

    register_api(app, service)
    return app


def _filters() -> Filters:
    return Filters.parse(request.args)


def _min_docs() -> int:
    raw = request.args.get("min_docs", "2")
    try:
        return max(1, min(100, int(raw)))
    except ValueError:
        raise MtqcError(f"'min_docs' must be a whole number, not {raw!r}") from None


def _csv(table: Table) -> Response:
    return Response(
        to_csv(table),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="mtqc-{table.name}.csv"'},
    )


def _register_pages(app: Flask, store: Store, token: str | None) -> None:
    @app.context_processor
    def _common() -> dict[str, Any]:
        return {
            "csrf_token": g.get("csrf_token", ""),
            "reviewer": request.cookies.get(REVIEWER_COOKIE) or _default_reviewer(),
            "fmt": fmt,
            "severities": [str(s) for s in Severity],
            "with_token": bool(token),
        }

    def page_context(flt: Filters) -> dict[str, Any]:
        return {
            "flt": flt,
            "args": flt.as_args(),
            "feeds": queries.feeds(store.db),
            "rules": queries.rule_codes(store.db),
        }

    @app.get("/")
    def overview() -> str:
        flt = _filters()
        runs = queries.runs(store.db, flt)
        rate_chart, risk_chart, legend = views.overview_charts(runs)
        tables = [
            views.runs_table(store, flt),
            views.severity_table(store, flt),
            views.rules_table(store, flt),
            views.precision_table(store, flt),
        ]
        return render_template(
            "overview.html",
            **page_context(flt),
            rate_chart=rate_chart,
            risk_chart=risk_chart,
            legend=legend,
            runs_table=tables[0],
            side_tables=tables[1:],
        )

    @app.get("/artifacts")
    def artifacts() -> str:
        flt = _filters()
        min_docs = _min_docs()
        table = views.artifacts_table(store, flt, min_docs)
        for a in table.rows:
            for e in a["examples"]:
                span = {
                    "span_start": e["span_start"],
                    "span_end": e["span_end"],
                    "side": "mt",
                    "severity": e["severity"],
                    "code": e["code"],
                    "message": a["phrase"],
                }
                e["pieces"] = pieces(e["mt"], [span])
        return render_template(
            "artifacts.html", **page_context(flt), table=table, min_docs=min_docs
        )

    @app.get("/runs/<id:run_id>")
    def run(run_id: int) -> str:
        flt = _filters()
        r = queries.run(store.db, run_id) or abort(404)
        table = views.run_documents_table(store, run_id, flt)
        return render_template("run.html", **page_context(flt), run=r, table=table)

    @app.get("/runs/<id:run_id>/doc")
    def document(run_id: int) -> str:
        flt = _filters()
        r = queries.run(store.db, run_id) or abort(404)
        doc = request.args.get("doc", "")
        lines = views.document_lines(store, run_id, doc, r["feed"], flt)
        if not lines:
            abort(404)
        for s in lines:
            s["pieces"] = pieces(s["mt"], s["flags"])
        return render_template(
            "document.html",
            **page_context(flt),
            run=r,
            doc=doc,
            lines=lines,
            export_args={"run": str(run_id), "doc": doc},
        )

    @app.get("/decisions")
    def decisions() -> str:
        flt = _filters()
        return render_template(
            "decisions.html",
            **page_context(flt),
            table=views.decisions_table(store, flt),
            imported=request.args.get("imported"),
        )

    @app.get("/export/<name>.csv")
    def export(name: str) -> Response:
        flt = _filters()
        if name in ("runs", "severity", "rules", "precision", "decisions"):
            builder = getattr(views, f"{name}_table")
            return _csv(builder(store, flt))
        if name == "artifacts":
            return _csv(views.artifacts_table(store, flt, _min_docs()))
        run_id = request.args.get("run", type=int)
        ok = run_id is not None and 1 <= run_id <= MAX_ID
        r = queries.run(store.db, run_id) if ok else None
        if r is None:
            abort(404)
        if name == "documents":
            return _csv(views.run_documents_table(store, run_id, flt))
        if name == "document":
            doc = request.args.get("doc", "")
            return _csv(views.document_table(store, run_id, doc, r["feed"], flt))
        abort(404)

    @app.get("/decisions/baseline.json")
    def baseline_export() -> Response:
        feed = request.args.get("feed") or None
        data = store.export_decisions(feed)
        name = f"mtqc-baseline-{feed}.json" if feed else "mtqc-baseline.json"
        return Response(
            json.dumps(data, ensure_ascii=False, indent=2) + "\n",
            mimetype="application/json",
            headers={"Content-Disposition": f'attachment; filename="{_safe_filename(name)}"'},
        )

    @app.post("/decisions/import")
    def baseline_import() -> Response:
        feed = (request.form.get("feed") or "").strip() or None
        upload = request.files.get("baseline")
        if upload is None or not upload.filename:
            raise MtqcError("choose a baseline file (.json) to import")
        data = parse_baseline(upload.filename, upload.read())
        who = _reviewer_from_form()
        added = store.import_baseline(feed, data, who)
        resp = redirect(url_for("decisions", feed=feed or "", imported=added))
        _remember_reviewer(resp, who)
        return resp

    @app.post("/flags/<id:flag_id>/decision")
    def decide(flag_id: int) -> Response:
        decision = request.form.get("decision", "")
        who = _reviewer_from_form()
        store.decide(flag_id, decision, who, request.form.get("reason", ""))
        if request.accept_mimetypes.best == "application/json":
            resp = app.json.response({"ok": True, "flag_id": flag_id, "decision": decision})
        else:
            target = security.safe_next(request.form.get("next"))
            resp = redirect(f"{target}#flag-{flag_id}")
        _remember_reviewer(resp, who)
        return resp

    @app.post("/reviewer")
    def reviewer() -> Response:
        who = _reviewer_from_form()
        resp = redirect(security.safe_next(request.form.get("next")))
        _remember_reviewer(resp, who)
        return resp

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        nxt = security.safe_next(request.values.get("next"))
        if not token:
            return redirect(nxt)
        error = ""
        if request.method == "POST":
            throttle = app.extensions["mtqc_throttle"]
            limited = security.too_many_attempts(throttle)
            if limited is not None:
                return limited
            if security.token_matches(request.form.get("token", ""), token):
                resp = redirect(nxt)
                resp.set_cookie(
                    security.AUTH_COOKIE,
                    security.session_value(token),
                    httponly=True,
                    samesite="Strict",
                    secure=request.is_secure,
                )
                return resp
            throttle.fail(security.client_key())
            error = "That token is not right."
        return render_template("login.html", next=nxt, error=error), 403 if error else 200


def _reviewer_from_form() -> str:
    who = (request.form.get("reviewer") or request.cookies.get(REVIEWER_COOKIE) or "").strip()
    return who[:80] or _default_reviewer()


def _remember_reviewer(resp: Response, who: str) -> None:
    resp.set_cookie(REVIEWER_COOKIE, who, max_age=365 * 86400, samesite="Strict", httponly=True)


def _safe_filename(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


def _error_page(code: int, title: str, message: str) -> tuple[str, int]:
    try:
        return render_template("error.html", code=code, title=title, message=message), code
    except Exception:  # e.g. the request never reached routing (a refused Host name)
        return (
            f"<!doctype html><title>{code}</title><h1>{escape(title)}</h1><p>{escape(message)}</p>",
            code,
        )


def _register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(e: HTTPException) -> Any:
        if security.is_api_request():
            return security.api_error(e.code or 500, e.description or e.name)
        return _error_page(e.code or 500, e.name, e.description or "")

    @app.errorhandler(MtqcError)
    def _user(e: MtqcError) -> Any:
        if security.is_api_request():
            return security.api_error(400, str(e))
        return _error_page(400, "Bad request", str(e))

    @app.errorhandler(Exception)
    def _crash(e: Exception) -> Any:
        log.exception("dashboard error on %s %s", request.method, request.path)
        if security.is_api_request():
            return security.api_error(500, "internal error; details are in the server log")
        return _error_page(
            500,
            "Something went wrong",
            "The dashboard hit an internal error; details are in the server log.",
        )
