"""Replies of the stub: JSON answers and each vendor's own error shape and wording."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from uptake.simulate.vendor_api.data import dumps


@dataclass
class Reply:
    """One answer."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, doc: Any, **headers: str) -> Reply:
        """A JSON answer.

        Args:
            status: HTTP status.
            doc: the JSON document.
            headers: extra headers.

        Returns:
            The reply.
        """
        return cls(status, dumps(doc), {"Content-Type": "application/json", **headers})

    def with_retry(self, seconds: int) -> Reply:
        """The reply with a `Retry-After` header.

        Args:
            seconds: how long the client should wait.

        Returns:
            The reply itself.
        """
        self.headers["Retry-After"] = str(seconds)
        return self


class Refused(Exception):
    """Raised by a route handler to answer with an error reply."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def error(vendor: str, status: int, message: str) -> Reply:
    """An error in the vendor's own shape.

    Args:
        vendor: a key of PREFIXES.
        status: HTTP status (400, 401, 403, 404, 429).
        message: what went wrong.

    Returns:
        The reply.
    """
    if vendor == "github":
        doc: Any = {
            "message": message,
            "documentation_url": "https://docs.github.com/rest",
            "status": str(status),
        }
    elif vendor == "m365":
        code = {
            401: "InvalidAuthenticationToken",
            403: "Forbidden",
            404: "ResourceNotFound",
            429: "TooManyRequests",
        }.get(status, "BadRequest")
        doc = {"error": {"code": code, "message": message}}
    elif vendor == "anthropic":
        kind = {
            401: "authentication_error",
            403: "permission_error",
            404: "not_found_error",
            429: "rate_limit_error",
        }.get(status, "invalid_request_error")
        doc = {"type": "error", "error": {"type": kind, "message": message}}
    elif vendor == "codex":
        codes = {
            401: "invalid_api_key",
            403: "insufficient_permissions",
            429: "rate_limit_exceeded",
        }
        doc = {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": None,
                "code": codes.get(status),
            }
        }
    elif vendor == "google":
        state = {
            401: "UNAUTHENTICATED",
            403: "PERMISSION_DENIED",
            404: "NOT_FOUND",
            429: "RESOURCE_EXHAUSTED",
        }.get(status, "INVALID_ARGUMENT")
        doc = {
            "error": {
                "code": status,
                "message": message,
                "status": state,
                "errors": [{"message": message, "domain": "global"}],
            }
        }
    else:
        doc = {"error": message}
    return Reply.json(status, doc)


def s3_error(code: str, message: str, status: int = 403) -> Reply:
    """An object-storage error (signed links are served by S3 or Azure blob storage).

    Args:
        code: e.g. AccessDenied, SignatureDoesNotMatch, NoSuchKey.
        message: the explanation.
        status: HTTP status (403, or 404 for NoSuchKey).

    Returns:
        A reply with an XML body.
    """
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}'
    body += "</Message></Error>"
    return Reply(status, body.encode(), {"Content-Type": "application/xml"})


UNAUTHORIZED = {
    "github": "Bad credentials",
    "m365": "Access token validation failure. Invalid audience.",
    "anthropic": "invalid x-api-key",
    "cursor": "Invalid API key",
    "codex": "Incorrect API key provided.",
    "google": "Request had invalid authentication credentials. Expected OAuth 2 access token.",
}
FORBIDDEN = {
    "github": "Resource not accessible by personal access token (needs manage_billing:copilot "
    "or read:enterprise)",
    "m365": "Missing role permissions on the request. API requires one of 'Reports.Read.All'.",
    "anthropic": "This API key does not have permission to read usage reports (needs an Admin "
    "API key with read:analytics)",
    "cursor": "This API key is not a team Admin API key",
    "codex": "You have insufficient permissions for this operation. Missing scopes: "
    "api.analytics.read",
    "google": "Request had insufficient authentication scopes. "
    "(needs https://www.googleapis.com/auth/admin.reports.audit.readonly)",
}
