"""The catalogue of AI tool domains: loading it, checking it, and matching hosts against it.

uptake ships a catalogue of public AI tool domains (`data/ai_domains.csv`: domain, tool,
vendor, sanctioned, provided_as). A workspace may replace it with its own CSV of the same
columns (`[programme] shadow_catalogue`). A host matches an entry when it is the entry's
domain or a subdomain of it (`a.b.claude.ai` matches `claude.ai`), compared lower-case with
scheme, user, port, path and a trailing dot removed; the most specific entry wins.

It lives beside ingestion because the proxy-log reader must know, before anything is stored,
which rows are AI tool visits (every other row is dropped); the shadow-AI engine reads the
same catalogue.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from uptake.errors import InputError

COLUMNS = ("domain", "tool", "vendor", "sanctioned")
OPTIONAL = ("provided_as",)
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0", ""}
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_PORT = re.compile(r":\d{0,5}$")
SHIPPED = "the shipped catalogue"


@dataclass(frozen=True)
class AiTool:
    """One catalogue entry: a domain and the AI tool behind it.

    `provided_as` lists the names the tool carries in licence and event data (`chatgpt-
    enterprise`), so that a tool the company licenses is recognised as sanctioned.
    """

    domain: str
    tool: str
    vendor: str
    sanctioned: bool
    provided_as: tuple[str, ...] = ()


def normalise_host(raw: object) -> str | None:
    """The host of a domain, host:port or URL, lower-case; None when it is not a host name.

    Args:
        raw: what a log or catalogue holds (`HTTPS://Chat.OpenAI.com:443/c/1`, `claude.ai.`).

    Returns:
        The bare host (`chat.openai.com`), or None for empty or junk input and IP addresses.
    """
    if not isinstance(raw, str):
        return None
    text = raw.strip().lower()
    if "://" in text:
        text = text.split("://", 1)[1]
    for sep in ("/", "?", "#", "\\"):
        text = text.split(sep, 1)[0]
    text = text.rsplit("@", 1)[-1]
    text = _PORT.sub("", text).rstrip(".")
    if not text or len(text) > 253:
        return None
    try:
        # Internationalised names are compared in their ASCII (punycode) form.
        text = text.encode("idna").decode("ascii") if not text.isascii() else text
    except UnicodeError:
        return None
    labels = text.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    # A dotted quad is an address, not a domain of any catalogue.
    if all(label.isdigit() for label in labels):
        return None
    return text


def compact_tool(name: str) -> str:
    """A tool name as lower-case letters and digits: `ChatGPT Enterprise` → `chatgptenterprise`.

    Args:
        name: a tool name from the catalogue, licences or events.

    Returns:
        The compact form used to compare names.
    """
    return re.sub(r"[^a-z0-9]", "", name.lower())


class Catalogue:
    """AI tool domains, matched by domain or subdomain."""

    def __init__(self, entries: list[AiTool], source: str = SHIPPED) -> None:
        self.source = source
        self.entries = {e.domain: e for e in entries}

    def match(self, raw: object) -> AiTool | None:
        """The entry a host, host:port or URL belongs to, or None.

        Args:
            raw: the logged domain or URL.

        Returns:
            The most specific entry whose domain is the host or a parent of it.
        """
        host = normalise_host(raw)
        if host is None:
            return None
        labels = host.split(".")
        for i in range(len(labels) - 1):
            entry = self.entries.get(".".join(labels[i:]))
            if entry is not None:
                return entry
        return None

    @property
    def tools(self) -> list[str]:
        """Distinct tool names, in catalogue order."""
        return list(dict.fromkeys(e.tool for e in self.entries.values()))

    def sanctioned_tools(self, provided: set[str] | frozenset[str] = frozenset()) -> set[str]:
        """Tools the company provides: marked sanctioned, or found in its licence/event data.

        Args:
            provided: tool names seen in licences and events (any spelling).

        Returns:
            Catalogue tool names counted as sanctioned.
        """
        have = {compact_tool(p) for p in provided if p}
        out = set()
        for e in self.entries.values():
            names = {compact_tool(e.tool), *(compact_tool(p) for p in e.provided_as)}
            if e.sanctioned or names & have:
                out.add(e.tool)
        return out

    def mentions(self, text: object) -> set[str]:
        """The catalogue tools a free-text answer names (by tool name or domain).

        Names shorter than three letters (`Pi`, `v0`) count only when their domain is written,
        so ordinary words are not taken for tools.

        Args:
            text: a survey answer.

        Returns:
            Tool names mentioned.
        """
        if not isinstance(text, str) or not text.strip():
            return set()
        low = text.lower()
        found = set()
        for e in self.entries.values():
            name = e.tool.lower()
            by_name = len(compact_tool(name)) >= 3 and re.search(
                rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", low
            )
            by_domain = re.search(rf"(?<![a-z0-9.-]){re.escape(e.domain)}(?![a-z0-9-])", low)
            if by_name or by_domain:
                found.add(e.tool)
        return found


def shipped_text() -> str:
    """The shipped catalogue's CSV text."""
    return resources.files("uptake.ingest").joinpath("data/ai_domains.csv").read_text("utf-8")


def load_catalogue(path: Path | str | None = None) -> Catalogue:
    """The catalogue in a CSV file, or the shipped one.

    Args:
        path: a CSV with columns domain, tool, vendor, sanctioned (and optionally
            provided_as, names separated by `|`); None for the shipped catalogue.

    Returns:
        The catalogue.

    Raises:
        InputError: naming the file and line of the first problem.
    """
    if path is None:
        return parse_catalogue(shipped_text(), SHIPPED)
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(
            f"{p}: the AI tool catalogue does not exist",
            hint="fix [programme] shadow_catalogue, or unset it to use the shipped catalogue",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read the AI tool catalogue as UTF-8 text: {exc}") from None
    return parse_catalogue(text, str(p))


def parse_catalogue(text: str, source: str) -> Catalogue:
    """Check and parse catalogue CSV text.

    Args:
        text: the CSV.
        source: its name for messages (a path).

    Returns:
        The catalogue.

    Raises:
        InputError: `source:line N: …` for the first problem found.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise InputError(f"{source}: line 1: empty catalogue; expected the header "
                         f"{','.join(COLUMNS)}") from None  # fmt: skip
    except csv.Error as exc:
        raise InputError(f"{source}: line 1: cannot read the header as CSV ({exc})") from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(
            f"{source}: line 1: missing column(s) {', '.join(missing)}; the header is "
            f"{','.join(header) or '(empty)'}",
            hint=f"a catalogue has the columns {','.join(COLUMNS)} (and optionally provided_as)",
        )
    unknown = [h for h in header if h not in (*COLUMNS, *OPTIONAL)]
    if unknown:
        raise InputError(f"{source}: line 1: unknown column(s) {', '.join(unknown)}; expected "
                         f"{','.join((*COLUMNS, *OPTIONAL))}")  # fmt: skip
    entries: list[AiTool] = []
    seen: dict[str, int] = {}
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(f"{source}: line {line}: cannot be read as CSV ({exc})") from None
        where, line = f"{source}: line {line}", reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise InputError(f"{where}: {len(cells)} fields, the header has {len(header)}")
        row = {h: c.strip() for h, c in zip(header, cells, strict=True)}
        entries.append(_entry(row, where, seen))
    if not entries:
        raise InputError(f"{source}: the catalogue lists no domain")
    return Catalogue(entries, source)


def _entry(row: dict[str, str], where: str, seen: dict[str, int]) -> AiTool:
    domain = normalise_host(row["domain"])
    if domain is None or domain != row["domain"].lower().rstrip("."):
        raise InputError(
            f"{where}: domain {row['domain']!r} is not a bare domain name",
            hint="write the host only, e.g. claude.ai (no scheme, path or port); subdomains match",
        )
    if domain in seen:
        raise InputError(f"{where}: domain {domain} is listed twice (first on line {seen[domain]})")
    seen[domain] = int(where.rsplit(" ", 1)[1])
    if not row["tool"]:
        raise InputError(f"{where}: tool is empty; name the AI tool behind {domain}")
    flag = row["sanctioned"].lower()
    if flag not in _TRUE | _FALSE:
        raise InputError(
            f"{where}: sanctioned {row['sanctioned']!r} is not true or false (empty means false)"
        )
    provided = tuple(p.strip() for p in row.get("provided_as", "").split("|") if p.strip())
    return AiTool(domain, row["tool"], row["vendor"] or row["tool"], flag in _TRUE, provided)
