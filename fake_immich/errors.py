"""Immich's error bodies, in both dialects, and the exception handlers raise.

What each version sends (from Immich's server source, `GlobalExceptionFilter` and `AuthService`):

Immich 2.x (NestJS exception body spread, plus the correlation id)::

    {"message": "Missing required permission: asset.read", "error": "Forbidden",
     "statusCode": 403, "correlationId": "k2j4h5g6"}

    Validation failures (class-validator) carry a *list* of messages:
    {"message": ["id must be a UUID"], "error": "Bad Request", "statusCode": 400,
     "correlationId": "..."}

Immich 3.x (the filter deletes `error`, `statusCode` and `errors`; the correlation id moves to
the `X-Correlation-ID` response header only)::

    {"message": "Missing required permission: asset.read"}

    Validation failures (zod) keep the issues:
    {"message": "Validation failed", "errors": [{"code": "invalid_format", "path": ["id"],
     "message": "Invalid UUID"}]}

2.x sends the correlation id in the `x-immich-cid` header, 3.x in `X-Correlation-ID`.
Messages used by the fake, as Immich words them:
``Authentication required`` (no credentials, 401), ``Invalid API key`` (unknown key, 401),
``Invalid user token`` (unknown bearer token, 401), ``Forbidden`` (admin-only route, 403),
``Missing required permission: <perm>`` (API key lacks the permission, 403),
``Not found or no <perm> access`` (unknown or foreign id, 400),
``Cannot <METHOD> <path>`` (unknown route, 404), ``Internal server error`` (500).

NestJS adds ``error`` (the reason phrase) only to an exception raised with a message: 2.x sends
``{"message": "Not Found", "statusCode": 404, "correlationId": ...}`` for a bare
``NotFoundException()`` and ``{"message": "Internal server error", "statusCode": 500, ...}`` for
an error that is no HTTP exception at all (``ApiError(..., titled=False)``).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

CID_HEADERS = {2: "x-immich-cid", 3: "X-Correlation-ID"}
"""The response header that carries the correlation id, by major version."""


def cid_header(api_version: str) -> str:
    """Return the correlation id header an Immich of this API version sends."""
    return CID_HEADERS[int(api_version.split(".", 1)[0])]


class ApiError(Exception):
    """An error response Immich itself would send."""

    def __init__(
        self,
        status: int,
        message: str | list[str],
        *,
        issues: list[dict[str, Any]] | None = None,
        titled: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message if isinstance(message, str) else "; ".join(message))
        self.status = status
        self.message = message
        self.issues = issues
        self.titled = titled
        self.headers = headers or {}
        """Headers the error answer carries besides the body's (a failed range's size)."""


def reason(status: int) -> str:
    """Return the HTTP reason phrase NestJS puts into `error` (e.g. "Bad Request")."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_body_v2(
    status: int, message: str | list[str], correlation_id: str, *, titled: bool = True
) -> dict[str, Any]:
    """Build an Immich 2.x error body (``error`` only when ``titled``)."""
    body: dict[str, Any] = {"message": message}
    if titled:
        body["error"] = reason(status)
    return {**body, "statusCode": status, "correlationId": correlation_id}


def error_body_v3(
    status: int, message: str | list[str], issues: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Build an Immich 3.x error body."""
    if issues:
        return {"message": "Validation failed", "errors": issues}
    return {"message": message if isinstance(message, str) else "; ".join(message)}


def error_body(api_version: str, error: ApiError, correlation_id: str) -> dict[str, Any]:
    """Build the error body of the dialect an API version speaks."""
    if api_version.startswith("2."):
        return error_body_v2(error.status, error.message, correlation_id, titled=error.titled)
    return error_body_v3(error.status, error.message, error.issues)


def validation_error(problems: list[tuple[str, str]]) -> ApiError:
    """Build a 400 from validation problems given as (field path, message) pairs.

    2.x gets class-validator style strings, 3.x zod style issues.
    """
    messages = [f"{path} {message}".strip() for path, message in problems]
    issues = [
        {
            "code": "custom",
            "path": [int(p) if p.isdigit() else p for p in path.split(".") if p],
            "message": message,
        }
        for path, message in problems
    ]
    return ApiError(400, messages, issues=issues)
