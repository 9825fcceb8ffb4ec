"""Schemathesis against the OpenAPI schema: whatever the schema allows, no 5xx."""

from __future__ import annotations

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings

from uptake.web.views import pages


def test_no_server_errors(client: TestClient, tokens: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    # Every dashboard view's JSON and CSV run the same generated route code: a few examples
    # each (every random as_of is a fresh computation), the hand-written routes more.
    views = {f"/v1/{p.slug}" for p in pages()} | {f"/v1/{p.slug}/{{table}}.csv" for p in pages()}
    seen = []
    for found in schema.get_all_operations():
        op = found.ok()
        seen.append(f"{op.method.upper()} {op.path}")

        @given(case=op.as_strategy())
        @settings(
            max_examples=3 if op.path in views else 8, deadline=None, derandomize=True,
            suppress_health_check=list(HealthCheck), phases=[Phase.generate],
        )  # fmt: skip
        def call(case: schemathesis.Case) -> None:
            for role in ("admin", "person"):
                auth = {"Authorization": f"Bearer {tokens[role]}"}
                # The first call of a view computes its signals (seconds): not a hang.
                r = case.call(headers=auth, timeout=120)
                assert r.status_code < 500, (case.method, case.formatted_path, r.text)
                if r.status_code == 204:
                    # No card now: no content, so no content type.
                    assert not r.content, (case.method, case.formatted_path)
                    continue
                kind = r.headers.get("content-type") or [""]
                # The manager digest may be asked for as its HTML e-mail body.
                allowed = ("application/json", "text/csv") + (
                    ("text/html",) if case.path == "/v1/coach/digest" else ()
                )
                assert str(kind[0] if isinstance(kind, list) else kind).startswith(allowed), (
                    case.method, case.formatted_path, kind,
                )  # fmt: skip

        call()
    assert {"GET /v1/metrics", "POST /v1/{table}", "GET /v1/me"} <= set(seen)
