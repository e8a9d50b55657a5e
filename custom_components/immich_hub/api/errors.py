"""Errors raised by the Immich client."""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import ServerVersion

_PERMISSION_RE = re.compile(r"missing required permission:?\s*(?P<perm>[A-Za-z][\w.\-]*)", re.I)


class ImmichError(Exception):
    """Base class of every error the client raises."""


class ImmichConnectionError(ImmichError):
    """The server could not be reached or the connection broke."""


class ImmichSSLError(ImmichConnectionError):
    """The TLS handshake or certificate check failed."""


class ImmichTimeoutError(ImmichConnectionError):
    """The server did not answer in time."""


class ImmichRangeNotSatisfiableError(ImmichError):
    """The range asked for starts past the end of the file, of ``size`` bytes.

    Immich fails such a request as an error of its own (500 in 2.x, 404 in 3.x) instead of
    answering 416; the client finds the size and raises this instead.
    """

    def __init__(self, size: int) -> None:
        super().__init__(f"The range asked for starts past the end of the file ({size} bytes)")
        self.size = size


class ImmichInvalidResponseError(ImmichError):
    """The answer is not what an Immich server sends (not JSON, wrong shape, HTML)."""


class ImmichUnsupportedVersionError(ImmichError):
    """The server runs an Immich version the client does not support."""

    def __init__(self, version: ServerVersion, minimum: ServerVersion) -> None:
        super().__init__(f"Immich {version} is not supported; {minimum} or newer is required")
        self.version = version
        self.minimum = minimum


class ImmichResponseError(ImmichError):
    """The server answered with an HTTP error status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        correlation_id: str | None = None,
        details: list[str] | None = None,
    ) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message
        self.correlation_id = correlation_id
        self.details: list[str] = details or []


class ImmichBadRequestError(ImmichResponseError):
    """HTTP 400: Immich rejected the request (validation failed)."""


class ImmichQueueRunningError(ImmichBadRequestError):
    """HTTP 400: Immich does not start a queue that has active jobs (with ``force`` or not)."""


class ImmichAuthError(ImmichResponseError):
    """HTTP 401: the API key is missing, wrong or revoked."""


class ImmichForbiddenError(ImmichResponseError):
    """HTTP 403: the API key lacks a permission (named in ``permission`` when known)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        correlation_id: str | None = None,
        details: list[str] | None = None,
    ) -> None:
        super().__init__(status, message, correlation_id=correlation_id, details=details)
        self.permission = parse_permission(message)


class ImmichNotFoundError(ImmichResponseError):
    """HTTP 404: the resource does not exist (or is not visible to this key)."""


class ImmichServerError(ImmichResponseError):
    """HTTP 5xx: Immich failed internally."""


def parse_permission(message: str) -> str | None:
    """Return the permission named in Immich's 403 message, if any."""
    match = _PERMISSION_RE.search(message)
    return match.group("perm").rstrip(".") if match else None


def _issue_text(issue: Any) -> str | None:
    """Render one validation issue (a zod issue in 3.x, a string in 2.x)."""
    if isinstance(issue, str):
        return issue
    if isinstance(issue, Mapping):
        message = issue.get("message")
        if not isinstance(message, str):
            return None
        path = issue.get("path")
        if isinstance(path, list) and path:
            return f"{'.'.join(str(part) for part in path)}: {message}"
        return message
    return None


def parse_error_body(body: Any, reason: str) -> tuple[str, list[str], str | None]:
    """Extract message, details and correlation id from an Immich error body.

    Immich 2.x sends ``{"message": str | list[str], "error", "statusCode", "correlationId"}``;
    3.x sends ``{"message": str}`` or, for failed validation,
    ``{"message": "Validation failed", "errors": [zod issues]}``.
    """
    if not isinstance(body, Mapping):
        return reason, [], None
    raw_message = body.get("message")
    details: list[str] = []
    if isinstance(raw_message, list):
        details = [text for item in raw_message if (text := _issue_text(item))]
        message = "; ".join(details) or reason
    elif isinstance(raw_message, str) and raw_message:
        message = raw_message
    else:
        error = body.get("error")
        message = error if isinstance(error, str) and error else reason
    errors = body.get("errors")
    if isinstance(errors, list):
        details.extend(text for item in errors if (text := _issue_text(item)))
        if details and not isinstance(raw_message, list):
            message = f"{message}: {'; '.join(details)}"
    correlation_id = body.get("correlationId")
    return message, details, correlation_id if isinstance(correlation_id, str) else None


def error_for_status(
    status: int, body: Any, reason: str, correlation_id: str | None = None
) -> ImmichResponseError:
    """Build the typed error for an HTTP error status and its (decoded) body."""
    message, details, body_correlation_id = parse_error_body(body, reason)
    cls: type[ImmichResponseError]
    if status == 400:
        cls = ImmichBadRequestError
    elif status == 401:
        cls = ImmichAuthError
    elif status == 403:
        cls = ImmichForbiddenError
    elif status == 404:
        cls = ImmichNotFoundError
    elif status >= 500:
        cls = ImmichServerError
    else:
        cls = ImmichResponseError
    return cls(
        status,
        message,
        correlation_id=body_correlation_id or correlation_id,
        details=details,
    )
