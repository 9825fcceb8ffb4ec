"""`/docs`: the API reference as one server-rendered page (no script, no CDN, works offline)."""

from __future__ import annotations

from html import escape
from typing import Any

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>uptake API</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>
<h1>uptake API {version}</h1>
<p>{description}</p>
<p>Machine-readable schema: <a href="/openapi.json">/openapi.json</a> (OpenAPI {openapi}).</p>
{operations}
</main></body></html>
"""


def render(schema: dict[str, Any]) -> str:
    """The reference page of an OpenAPI schema.

    Args:
        schema: `app.openapi()`.

    Returns:
        The HTML page (every value escaped).
    """
    ops = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            params = "".join(
                f"<li><code>{escape(p['name'])}</code> ({escape(p.get('in', ''))}"
                f"{', required' if p.get('required') else ''}) "
                f"{escape(p.get('description', '') or '')}</li>"
                for p in op.get("parameters", [])
            )
            codes = ", ".join(escape(str(c)) for c in op.get("responses", {}))
            ops.append(
                f"<section><h2><code>{escape(method.upper())} {escape(path)}</code></h2>"
                f"<p><strong>{escape(op.get('summary', ''))}</strong></p>"
                f"<p>{escape(op.get('description', '') or '')}</p>"
                + (f"<h3>Parameters</h3><ul>{params}</ul>" if params else "")
                + f"<p>Responses: {codes}</p></section>"
            )
    info = schema.get("info", {})
    return PAGE.format(
        version=escape(str(info.get("version", ""))),
        description=escape(str(info.get("description", ""))),
        openapi=escape(str(schema.get("openapi", ""))),
        operations="\n".join(ops),
    )
