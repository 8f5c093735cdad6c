"""The check service's HTTP API: ``POST /api/v1/check`` and ``GET /api/v1/openapi.json``.

Security is the dashboard's (:mod:`mtqc.dashboard.security`): the token off loopback
(``Authorization: Bearer``), the Host check on loopback, bodies limited to
``MAX_CONTENT_LENGTH`` (5 MB) and :data:`mtqc.service.MAX_SEGMENTS` segments; every
error is a JSON object ``{"error": "...", "status": N}`` with a 4xx status.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, request

from mtqc import __version__
from mtqc.dashboard import security
from mtqc.errors import UsageError
from mtqc.service import API_PREFIX, MAX_SEGMENTS, MAX_TEXT_CHARS, CheckService

MAX_DEPTH = 32


def register_api(app: Flask, service: CheckService | None) -> None:
    svc = service or CheckService()
    app.extensions["mtqc_service"] = svc

    @app.post(f"{API_PREFIX}/check")
    def api_check() -> Response:
        payload = _json_body()
        report = svc.check(payload)
        resp = Response(
            json.dumps(report, ensure_ascii=False) + "\n",
            mimetype="application/json",
        )
        resp.headers["X-Mtqc-Gate"] = report["inputs"]["gate"]
        return resp

    @app.get(f"{API_PREFIX}/openapi.json")
    def api_openapi() -> Response:
        return Response(
            json.dumps(openapi(svc), ensure_ascii=False, indent=1) + "\n",
            mimetype="application/json",
        )

    @app.route(f"{API_PREFIX}/check", methods=["GET"])
    def api_check_get() -> Response:
        return security.api_error(
            405, f"POST a JSON body to {API_PREFIX}/check; {API_PREFIX}/openapi.json describes it"
        )


def _reject_constant(name: str) -> Any:
    raise UsageError(f"the body holds {name}, which is not JSON (numbers must be finite)")


def _json_body() -> Any:
    raw = request.get_data(cache=False)  # MAX_CONTENT_LENGTH applies (413)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(f"the body is not UTF-8 (byte {e.start})") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise UsageError("the body is nested too deeply") from None
    except json.JSONDecodeError as e:
        raise UsageError(
            f"the body is not JSON: {e.msg} at line {e.lineno} column {e.colno}"
        ) from None
    if _depth(data) > MAX_DEPTH:
        raise UsageError(f"the body is nested more than {MAX_DEPTH} levels")
    return data


def _depth(value: Any) -> int:
    depth, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict | list):
            depth = max(depth, d)
            if d > MAX_DEPTH:
                return d
            stack.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return depth


def openapi(svc: CheckService) -> dict[str, Any]:
    """The OpenAPI 3.1 description of the API."""
    text = {"type": ["string", "null"], "maxLength": MAX_TEXT_CHARS}
    strings = {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "string", "description": "comma-separated"},
        ]
    }
    error = {
        "description": "what is wrong",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
                    "required": ["error", "status"],
                }
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mtqc check service",
            "version": __version__,
            "description": "Machine-translation quality checks: rules, reference metrics and "
            f"the model scorers loaded at start ({', '.join(svc.models) or 'none'}). The "
            "answer is the JSON report of `mtqc check -f json`.",
        },
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "required when the service was started with --token",
                }
            }
        },
        "security": [{}, {"bearer": []}],
        "paths": {
            f"{API_PREFIX}/check": {
                "post": {
                    "summary": "Check segments",
                    "operationId": "check",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["segments"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "segments": {
                                            "type": "array",
                                            "minItems": 1,
                                            "maxItems": svc.max_segments,
                                            "items": {
                                                "type": "object",
                                                "required": ["mt"],
                                                "additionalProperties": False,
                                                "properties": {
                                                    "mt": {
                                                        "type": "string",
                                                        "maxLength": MAX_TEXT_CHARS,
                                                    },
                                                    "src": text,
                                                    "ref": text,
                                                    "bt": text,
                                                    "id": {"type": ["string", "integer"]},
                                                    "doc": {"type": ["string", "integer"]},
                                                    "src_lang": {"type": ["string", "null"]},
                                                    "tgt_lang": {"type": ["string", "null"]},
                                                },
                                            },
                                        },
                                        "mode": {
                                            "enum": [
                                                "target-only",
                                                "reference",
                                                "source",
                                                "round-trip",
                                            ]
                                        },
                                        "models": {
                                            **strings,
                                            "description": "a subset of the loaded models "
                                            f"({', '.join(svc.models) or 'none'}); default: "
                                            "all of them; [] for rules only",
                                        },
                                        "select": strings,
                                        "ignore": strings,
                                        "extend_select": strings,
                                        "fail_on": {"enum": ["minor", "major", "critical", "none"]},
                                        "max_score": {"type": "number"},
                                        "src_lang": {"type": "string"},
                                        "tgt_lang": {"type": "string"},
                                        "metrics": {
                                            **strings,
                                            "description": "chrf, bleu, ter (default chrf)",
                                        },
                                    },
                                },
                                "example": {
                                    "segments": [
                                        {"id": "1", "mt": "The spillover action was prepared."},
                                        {"id": "2", "mt": "It cost 5 euros.", "ref": "It cost $5."},
                                    ],
                                    "models": [],
                                    "fail_on": "major",
                                },
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "the report of `mtqc check -f json`; "
                            "inputs.gate is 'passed' or 'failed' (also in the X-Mtqc-Gate "
                            "header), inputs.gate_reasons says why",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        "400": error,
                        "401": error,
                        "403": error,
                        "413": {**error, "description": "body over 5 MB"},
                        "415": error,
                        "429": {"description": "too many wrong tokens from this address"},
                    },
                }
            },
            f"{API_PREFIX}/openapi.json": {
                "get": {
                    "summary": "This description",
                    "responses": {"200": {"description": "OpenAPI 3.1"}},
                }
            },
        },
        "x-limits": {
            "max_body_bytes": 5 * 1024 * 1024,
            "max_segments": svc.max_segments,
            "max_text_chars": MAX_TEXT_CHARS,
            "default_max_segments": MAX_SEGMENTS,
        },
    }
