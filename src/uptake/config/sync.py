"""Settings of `uptake sync` (vendor API pulls). Secrets never live here."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

_URL_HELP = (
    "Base URL of the {what} (default: the vendor's own; tests and demos point it at loopback)."
)
_EXAMPLE = "https://api.example.com"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(value: str | None) -> str | None:
    """Refuse a base URL that would send credentials in clear text or is not a URL.

    Args:
        value: the setting's value (None: the vendor's default).

    Returns:
        The URL without a trailing slash.
    """
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL")
    if parts.username or parts.password or parts.query or parts.fragment:
        # A URL carrying a user, password or query would put secrets into settings files.
        raise ValueError(f"{value!r}: a base URL carries no user, password or query")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise ValueError(
            f"{value!r} is unsafe: plain http would send the API key in clear text "
            "(only loopback addresses may use http)"
        )
    return value.strip().rstrip("/")


class SyncBaseUrls(BaseModel):
    """Where each vendor API lives; unset means the vendor's public address."""

    model_config = ConfigDict(extra="forbid")

    github: str | None = Field(
        None,
        description=_URL_HELP.format(what="GitHub REST API"),
        json_schema_extra={"example": "https://api.github.com"},
    )
    m365: str | None = Field(
        None,
        description=_URL_HELP.format(what="Microsoft Graph API"),
        json_schema_extra={"example": "https://graph.microsoft.com"},
    )
    m365_login: str | None = Field(
        None,
        description=_URL_HELP.format(what="Microsoft identity platform (token endpoint)"),
        json_schema_extra={"example": "https://login.microsoftonline.com"},
    )
    anthropic: str | None = Field(
        None,
        description=_URL_HELP.format(what="Anthropic Admin API"),
        json_schema_extra={"example": "https://api.anthropic.com"},
    )
    cursor: str | None = Field(
        None,
        description=_URL_HELP.format(what="Cursor Admin API"),
        json_schema_extra={"example": "https://api.cursor.com"},
    )
    codex: str | None = Field(
        None,
        description=_URL_HELP.format(what="OpenAI API (Codex analytics)"),
        json_schema_extra={"example": "https://api.openai.com"},
    )
    google: str | None = Field(
        None,
        description=_URL_HELP.format(what="Google Admin SDK Reports API"),
        json_schema_extra={"example": "https://admin.googleapis.com"},
    )

    @field_validator("*")
    @classmethod
    def _safe(cls, v: str | None) -> str | None:
        return check_url(v)

    def get(self, name: str) -> str | None:
        """The configured base URL of a source, or None for the vendor's default.

        Args:
            name: source name (github, m365, m365_login, anthropic, …).

        Returns:
            The URL without a trailing slash, or None.
        """
        value = getattr(self, name, None)
        return value if isinstance(value, str) else None


class SyncSettings(BaseModel):
    """How `uptake sync` reaches the vendors' APIs."""

    model_config = ConfigDict(extra="forbid")

    secrets_file: str | None = Field(
        None,
        description="File of vendor credentials (KEY=VALUE lines or TOML), read when "
        "environment variables do not set them; refused when others can read it or when it "
        "lies inside the workspace folder.",
        json_schema_extra={"example": "/etc/uptake/sync.env"},
    )
    lookback_days: int = Field(
        28,
        ge=1,
        le=400,
        description="Days fetched by a source's first sync (later syncs continue from where "
        "the last one stopped); capped by how long each vendor keeps data.",
    )
    timeout_seconds: float = Field(
        30.0, gt=0, le=600, description="Seconds to wait for a vendor's answer to one request."
    )
    retries: int = Field(
        4,
        ge=0,
        le=10,
        description="Retries of a request that failed for a passing reason (connection error, "
        "timeout, HTTP 429 or 5xx), with exponential backoff.",
    )
    backoff_seconds: float = Field(
        1.0,
        ge=0,
        le=60,
        description="First backoff wait in seconds; doubled on each retry, plus up to as much "
        "random jitter.",
    )
    max_retry_after_seconds: float = Field(
        120.0,
        ge=0,
        le=3600,
        description="Longest wait honoured when a vendor answers 429/503 with Retry-After "
        "(a longer request is waited only this long).",
    )
    github_seats: bool = Field(
        True,
        description="Also fetch the GitHub Copilot seat list (a snapshot taken at each sync).",
    )
    github_teams: bool = Field(
        True,
        description="Also fetch GitHub's user-teams report (each person's teams per day; "
        "teams under 5 seated users are left out by GitHub).",
    )
    anthropic_analytics: bool = Field(
        True,
        description="Also fetch Claude Enterprise analytics (per-user chat, Cowork and Office "
        "use); needs an admin key with the read:analytics scope.",
    )
    cursor_events: bool = Field(
        True,
        description="Also fetch Cursor's per-request usage events (model, tokens, cost) next to "
        "the daily usage rows.",
    )
    base_urls: SyncBaseUrls = Field(default_factory=SyncBaseUrls)
