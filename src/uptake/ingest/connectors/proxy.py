"""Web-proxy logs (`--format proxy`): visits to AI tool domains, and nothing else.

A proxy log is a CSV with a timestamp, a user and a domain (or a full URL). Each row whose
host is in the AI tool catalogue (`uptake.ingest.ai_domains`, the workspace's own when it has
one) becomes one `ai_web_visits` row: the person (pseudonymised by the pipeline), the
timestamp, the matched host, the tool and whether the catalogue marks it sanctioned. Every
other row is a visit to something that is not an AI tool: it is neither stored nor
quarantined (a browsing history is not uptake's to keep), only counted in a note so that
nothing is lost without a word. A row that cannot be read (wrong cell count, no user, an
unreadable timestamp, a host that is not a domain name) is quarantined with its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from uptake.errors import InputError
from uptake.ingest.ai_domains import load_catalogue, normalise_host
from uptake.ingest.connectors.base import Connector, ConnectorOptions, ConnectorResult
from uptake.ingest.connectors.collect import Collector
from uptake.ingest.connectors.fields import RecordError, iso_utc
from uptake.ingest.connectors.loading import load_csv
from uptake.ingest.connectors.privacy import compact

TABLE = "ai_web_visits"
# Header names (compacted: lower-case letters and digits) each input column goes by in the
# logs of common proxies and secure web gateways (Squid, Zscaler, Netskope, Blue Coat, …).
TS_NAMES = ("ts", "timestamp", "time", "datetime", "date", "eventtime", "datetimeutc",
            "logtime", "timegenerated", "receivedtime", "start", "starttime")  # fmt: skip
USER_NAMES = ("user", "username", "person", "login", "email", "useremail", "userid", "upn",
              "userprincipalname", "csusername", "srcuser", "sourceuser", "account",
              "principal", "ucnamestring")  # fmt: skip
DOMAIN_NAMES = ("domain", "host", "hostname", "site", "fqdn", "desthost", "dsthost",
                "destinationhost", "cshost", "serverhost", "sni", "hostheader",
                "destinationdomain", "dstdomain")  # fmt: skip
URL_NAMES = ("url", "uri", "csuri", "requesturl", "fullurl", "destinationurl", "desturl",
             "requesturi", "csurl")  # fmt: skip
IDENTIFIERS = frozenset({"user", "username", "login", "email", "userid", "cs-username", "upn"})
# Apache/Squid common log format time, e.g. 10/Oct/2025:13:55:36 -0700.
_CLF = re.compile(r"^\d{1,2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2}( [+-]\d{4})?$")
_EPOCH = re.compile(r"^\d{9,10}(\.\d+)?$|^\d{12,13}$")
IGNORED_NOTE = "{n:,} {rows} ignored: not an AI tool domain (neither stored nor quarantined)"


def _column(header: list[str], names: tuple[str, ...], given: str | None) -> str | None:
    """The header cell holding one input column: the one named by --option, else a known name."""
    if given:
        if given not in header:
            raise InputError(
                f"--option names the column {given!r}, which the header does not have; it has "
                f"{', '.join(repr(h) for h in header[:30])}",
                hint="nothing was ingested",
            )
        return given
    by_compact = {compact(h): h for h in reversed(header)}
    return next((by_compact[n] for n in names if n in by_compact), None)


def _timestamp(raw: str, field: str) -> str:
    """ISO 8601 text for a logged time: ISO as given, epoch seconds/ms and CLF as UTC."""
    text = raw.strip()
    if _EPOCH.match(text):
        seconds = float(text) / (1000.0 if "." not in text and len(text) >= 12 else 1.0)
        return iso_utc(datetime.fromtimestamp(seconds, UTC))
    if _CLF.match(text):
        fmt = "%d/%b/%Y:%H:%M:%S %z" if " " in text else "%d/%b/%Y:%H:%M:%S"
        try:
            ts = datetime.strptime(text, fmt)
        except ValueError:
            raise RecordError(
                "bad_timestamp", field, f"not a date and time: {text!r:.40}"
            ) from None
        return iso_utc(ts if ts.tzinfo else ts.replace(tzinfo=UTC))
    # ISO 8601 (naive ones take the workspace's naive_timezone) is checked by the pipeline.
    return text


def read(
    path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
) -> ConnectorResult:
    """Read a proxy log CSV into `ai_web_visits`, keeping AI tool visits only.

    Args:
        path: the CSV (timestamp, user, domain or URL; header names as common proxies write
            them, or named with the options).
        options: `catalogue` (a catalogue CSV; the workspace passes its own), `ts_column`,
            `user_column`, `domain_column`, `url_column`.

    Returns:
        ai_web_visits rows, rejects for unreadable rows, and a note counting ignored rows.
    """
    opts = ConnectorOptions.coerce(options)
    catalogue = load_catalogue(opts.param("catalogue"))
    data = load_csv(path)
    header = data.header
    ts_col = _column(header, TS_NAMES, opts.param("ts_column"))
    user_col = _column(header, USER_NAMES, opts.param("user_column"))
    domain_col = _column(header, DOMAIN_NAMES, opts.param("domain_column"))
    url_col = _column(header, URL_NAMES, opts.param("url_column"))
    missing = [what for what, col in (("a timestamp", ts_col), ("a user", user_col)) if col is None]
    if domain_col is None and url_col is None:
        missing.append("a domain or URL")
    if missing:
        raise InputError(
            f"{path}: line 1: no column for {' or '.join(missing)}; the header has "
            f"{', '.join(repr(h) for h in header[:30]) or '(nothing)'}",
            hint="name the columns with --option ts_column=… user_column=… domain_column=… "
            "(or url_column=…)",
        )
    col = Collector(TABLE)
    for loc, _cells, problem in data.malformed:
        # The cells may be a visit to anything: the admin reads the line in the source file.
        col.source_rows += 1
        col.reject(loc, "malformed_record", None, problem, None)
    ignored = 0

    def handle(loc: str, rec: Mapping[str, str]) -> None:
        nonlocal ignored
        raw_host = (rec.get(domain_col) or "").strip() if domain_col else ""
        field = domain_col
        if not raw_host and url_col:
            raw_host, field = (rec.get(url_col) or "").strip(), url_col
        field = field or "domain"
        if not raw_host:
            raise RecordError("missing_required", field, "no domain or URL on this row")
        host = normalise_host(raw_host)
        if host is None:
            raise RecordError("bad_type", field, "expected a domain name or URL")
        entry = catalogue.match(host)
        if entry is None:
            # Not an AI tool: dropped before any other check, so it is never quarantined.
            ignored += 1
            return
        user = (rec.get(user_col or "") or "").strip()
        if not user or user == "-":
            raise RecordError("missing_required", user_col, "no user on this row")
        when = (rec.get(ts_col or "") or "").strip()
        if not when:
            raise RecordError("missing_required", ts_col, "no timestamp on this row")
        col.add(TABLE, loc, ts=_timestamp(when, ts_col or "ts"), person=user, domain=host,
                tool=entry.tool, sanctioned=entry.sanctioned)  # fmt: skip

    def shown(rec: Mapping[str, str]) -> dict[str, str]:
        # A rejected row keeps its time and user (pseudonymised) and, for an AI tool, its
        # host; the path of a URL and the host of anything else are withheld.
        kept = {k: v for k, v in rec.items() if k in (ts_col, user_col)}
        raw_host = (rec.get(domain_col or "") or rec.get(url_col or "") or "").strip()
        entry = catalogue.match(raw_host)
        if entry is not None:
            kept["host"] = normalise_host(raw_host) or entry.domain
        return kept

    col.each([(r.locator, r.record) for r in data.rows], handle, shown)
    if ignored:
        col.notes.append(IGNORED_NOTE.format(n=ignored, rows="row" if ignored == 1 else "rows"))
    return col.result()


CONNECTORS: tuple[Connector, ...] = (
    Connector(
        "proxy",
        read,
        "web-proxy log CSV (timestamp, user, domain or URL) → ai_web_visits for hosts in the "
        "AI tool catalogue; every other row is counted and dropped, never stored",
        (TABLE,),
        params={
            "catalogue": "AI tool catalogue CSV (default: the workspace's [programme] "
            "shadow_catalogue, else the shipped one)",
            "ts_column": "header of the timestamp column (default: a known name such as timestamp)",
            "user_column": "header of the user column (default: a known name such as user)",
            "domain_column": "header of the domain column (default: a known name such as host)",
            "url_column": "header of the URL column, read when there is no domain",
        },
        identifiers=IDENTIFIERS,
    ),
)
