"""Reading the API's response envelope: the result data, or the right error.

Pure functions over an HTTP status, a few headers and the body bytes; the
session layer calls :func:`open_envelope` on every response. The mapping:

- 2xx with ``{"success": true, ...}`` → the :class:`~ob_async._wire.models.Envelope`.
- A failure envelope (``"success": false``) → :class:`ApiError` subclass by status:
  401/403 authentication, 429 throttled (with ``Retry-After``), other 4xx client,
  5xx server. A failure envelope on a 2xx status is a client error: the server
  said no, and nothing suggests that asking again would change its mind.
- Anything that is not an envelope (HTML from a gateway, non-JSON, JSON without
  ``success``) → :class:`ProtocolError` carrying the status, so a 502 page from a
  load balancer can still be recognised as transient.
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from collections.abc import Mapping
from typing import Any

from ob_async._wire import jsonwire
from ob_async._wire.models import Envelope
from ob_async.errors import (
    ApiError,
    AuthenticationError,
    ClientError,
    ProtocolError,
    ServerError,
    ThrottledError,
)

_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_PREVIEW_BYTES = 120
_MAX_RETRY_AFTER_TEXT = 64


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; None if absent or bad.

    A date in the past gives 0.
    """
    if not value or len(value) > _MAX_RETRY_AFTER_TEXT:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if 0 <= seconds < math.inf else None
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, moment.timestamp() - current)


def open_envelope(
    status: int,
    body: bytes,
    *,
    headers: Mapping[str, str],
    request_id: str,
) -> Envelope:
    """The success envelope of a response, or the error it stands for."""
    document = _decode(status, body, headers=headers, request_id=request_id)
    success = document.get("success")
    if not isinstance(success, bool):
        raise ProtocolError(
            f"HTTP {status} response is not an API envelope: "
            f"'success' is {'missing' if success is None else repr(success)}",
            status=status,
            request_id=request_id,
            retry_after=parse_retry_after(headers.get("Retry-After")),
        )
    if success and 200 <= status < 300:
        return _envelope(document, request_id)
    if success:
        raise ProtocolError(
            f"HTTP {status} with a success envelope; the API answers success with 200",
            status=status,
            request_id=request_id,
        )
    raise failure_error(status, document, headers=headers, request_id=request_id)


def failure_error(
    status: int,
    document: Mapping[str, Any],
    *,
    headers: Mapping[str, str],
    request_id: str,
) -> ApiError:
    """The :class:`ApiError` for a failure envelope."""
    error_code = _optional_text(document.get("errorCode"))
    error_message = _optional_text(document.get("errorMessage"))
    fields: dict[str, Any] = {
        "status": status,
        "error_code": error_code,
        "error_message": error_message,
        "request_id": _optional_text(document.get("requestId")) or request_id,
        "server": _optional_text(document.get("server")),
    }
    summary = f"{error_message or 'request refused'}"
    if status in (401, 403):
        return AuthenticationError(f"authentication refused: {summary}", **fields)
    if status == 429:
        return ThrottledError(
            f"throttled: {summary}",
            retry_after=parse_retry_after(headers.get("Retry-After")),
            **fields,
        )
    if status >= 500:
        return ServerError(f"server error: {summary}", **fields)
    return ClientError(f"request refused: {summary}", **fields)


def _decode(
    status: int, body: bytes, *, headers: Mapping[str, str], request_id: str
) -> dict[str, Any]:
    # Retry-After is read only on the way to an error: a good answer never needs it.
    if not body or body.isspace():
        raise ProtocolError(
            f"HTTP {status} with an empty body where an API envelope was expected",
            status=status,
            request_id=request_id,
            retry_after=parse_retry_after(headers.get("Retry-After")),
        )
    try:
        document = jsonwire.loads(body)
    except (ValueError, RecursionError):
        raise ProtocolError(
            f"HTTP {status} response is not JSON ({_describe_non_json(body, headers)})",
            status=status,
            request_id=request_id,
            retry_after=parse_retry_after(headers.get("Retry-After")),
        ) from None
    if not isinstance(document, dict):
        raise ProtocolError(
            f"HTTP {status} response is JSON but not an object ({type(document).__name__})",
            status=status,
            request_id=request_id,
            retry_after=parse_retry_after(headers.get("Retry-After")),
        )
    return document


def _describe_non_json(body: bytes, headers: Mapping[str, str]) -> str:
    content_type = headers.get("Content-Type", "no content type")
    head = body[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<body" in head:
        match = _HTML_TITLE.search(body[:4096])
        title = match.group(1).decode("utf-8", "replace").strip() if match else "untitled"
        return f"an HTML page titled {title[:_PREVIEW_BYTES]!r}, as a gateway or proxy sends"
    preview = body[:_PREVIEW_BYTES].decode("utf-8", "replace")
    return f"{content_type}, {len(body)} bytes, starting {preview!r}"


def _envelope(document: Mapping[str, Any], request_id: str) -> Envelope:
    cost = document.get("cost")
    total = document.get("totalCount")
    extra = document.get("extra")
    return Envelope(
        success=True,
        data=document.get("data"),
        request_id=_optional_text(document.get("requestId")) or request_id,
        server=_optional_text(document.get("server")),
        cost=_finite_number(cost),
        total_count=total if isinstance(total, int) and not isinstance(total, bool) else None,
        extra=extra if isinstance(extra, dict) else None,
    )


def _finite_number(value: object) -> float | None:
    """A JSON number as a finite float; None for anything else (10**400 does not fit a float)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _optional_text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)
