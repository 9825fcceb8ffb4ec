"""`uptake report`: the dashboard's pages as one self-contained HTML file (offline, printable)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup

from uptake.errors import NotAvailableError, PermissionDeniedError, PrivacyError
from uptake.web.pages import STATIC, _env
from uptake.web.views import Params, offered
from uptake.workspace import Actor, Workspace


def write_report(
    ws: Workspace,
    out: Path,
    actor: Actor | None = None,
    as_of: date | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Path:
    """Write the report: every dashboard page the actor is offered, same numbers and charts.

    Every asset (styles, plotly.js, the chart script) is inside the file: it opens offline
    and prints to PDF from a browser.

    Args:
        ws: the workspace.
        out: the HTML file to write.
        actor: whose view (default: the local admin).
        as_of: evaluation date (default: the as-of rule).
        progress: told (page, done, total) as each page is computed.

    Returns:
        The file written.
    """
    import plotly

    who = actor or Actor.local()
    sections: list[dict[str, Any]] = []
    views = [v for v in offered(who) if v.report]
    for i, view in enumerate(views):
        if progress is not None:
            progress(view.title, i, len(views))
        try:
            sections.append({"view": view, "data": view.data(ws, who, Params(as_of))})
        except (NotAvailableError, PermissionDeniedError, PrivacyError) as exc:
            # Said where the page would be, as the dashboard says it: never a silent gap.
            sections.append({"view": view, "data": {}, "message": exc.message})
    if not sections:
        raise PermissionDeniedError(
            f"the {who.role} role has no dashboard pages, so there is nothing to report"
        )
    stamps = sorted({str(s["data"]["as_of"]) for s in sections if s["data"].get("as_of")})
    plotly_js = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()
    # The bundled scripts are ours and the installed plotly's: safe to inline unescaped, but a
    # "</script" inside them would end the tag early.
    inline = [plotly_js, (STATIC / "charts.js").read_text()]
    if any("</script" in js.lower() for js in inline):
        inline = [js.replace("</script", "<\\/script") for js in inline]
    html = _env.get_template("report.html").render(
        sections=sections,
        as_of=", ".join(stamps) or "—",
        actor=who,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        css=Markup((STATIC / "app.css").read_text()),
        plotly=Markup(inline[0]),
        charts_js=Markup(inline[1]),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
