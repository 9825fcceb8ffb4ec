"""One exception tree for uptake, translated at the edges (CLI exit codes, HTTP errors)."""

from __future__ import annotations


class UptakeError(Exception):
    """Base of every error uptake raises on purpose.

    `exit_code` is what the CLI exits with; `http_status` what the API answers.
    """

    exit_code = 1
    http_status = 500

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, str]:
        """JSON form used by the API and `--json` outputs."""
        d = {"error": type(self).__name__, "message": self.message}
        if self.hint:
            d["hint"] = self.hint
        return d


class ConfigError(UptakeError):
    """A setting is invalid or unsafe."""

    exit_code = 2
    http_status = 500


class WorkspaceError(UptakeError):
    """The workspace is missing, incomplete or already exists."""

    exit_code = 2
    http_status = 500


class MigrationError(UptakeError):
    """A schema migration failed or the database is newer than this uptake."""

    exit_code = 3


class InputError(UptakeError):
    """An input file or argument cannot be used at all (the warehouse is left unchanged)."""

    exit_code = 2
    http_status = 400


class PayloadTooLargeError(InputError):
    """A request body is over the configured size limit."""

    http_status = 413


class NotFoundError(InputError):
    """What was asked for does not exist (a page's table, a token id)."""

    http_status = 404


class IntegrityError(UptakeError):
    """`uptake doctor` found the warehouse inconsistent."""

    exit_code = 4


class NotAvailableError(UptakeError):
    """A result needs inputs the warehouse does not have."""

    exit_code = 2
    http_status = 404

    def __init__(self, message: str, *, needs: list[str] | None = None) -> None:
        super().__init__(message)
        self.needs = needs or []


class PrivacyError(UptakeError):
    """A request would reveal individual or under-sized group data to someone not allowed."""

    exit_code = 2
    http_status = 403


class AuthenticationError(UptakeError):
    """A token is missing, unknown, expired or revoked."""

    exit_code = 2
    http_status = 401


class PermissionDeniedError(UptakeError):
    """The actor's role or scope does not allow what was asked."""

    exit_code = 2
    http_status = 403


class EngineError(UptakeError):
    """A compute engine (DuckDB, Spark) is unavailable or failed."""

    exit_code = 3


class StaleFactsError(WorkspaceError):
    """The materialised facts lag the warehouse; reads never refresh them."""

    exit_code = 2
    http_status = 409


class SyncError(UptakeError):
    """A vendor API refused or failed a sync: names the source and what to fix."""

    exit_code = 2
    http_status = 502

    def __init__(self, source: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{source}: {message}", hint=hint)
        self.source = source
