"""The one exception hierarchy of ob-async, rooted at :class:`ObError`.

Every failure a caller can meet is an :class:`ObError`; the subclass says what
kind of failure it was and therefore whether trying again can help:

- :class:`InvalidInputError`: the caller's input (a model field, a plan, a flag,
  a credentials file) is wrong. Nothing was sent.
- :class:`ApiError`: the server answered with a failure envelope. Subclasses
  split it by HTTP status: :class:`AuthenticationError` (401/403),
  :class:`ThrottledError` (429), :class:`ClientError` (other 4xx) and
  :class:`ServerError` (5xx).
- :class:`TransportError`: no usable answer came back (connect failure, reset,
  timeout). ``may_have_reached_server`` says whether the server could have acted;
  :class:`TransportTimeout` is the timeout among them.
- :class:`ProtocolError`: an answer came back but is not the API's (HTML pages,
  non-JSON, a missing envelope field, a body over the size limit, a malformed
  ``WWW-Authenticate`` challenge).
- :class:`JournalWriteError`: a drill's journal could not be written (a full
  disk, an I/O error); what was sent is no longer certain to be on record.

Messages never contain the AccessKey secret or an ``Authorization`` value.
"""

from __future__ import annotations

__all__ = [
    "ApiError",
    "AuthenticationError",
    "ChallengeError",
    "ClientError",
    "InvalidInputError",
    "ObError",
    "ProtocolError",
    "ServerError",
    "TenantNameConflict",
    "ThrottledError",
    "TransportError",
    "TransportTimeout",
]


class ObError(Exception):
    """Base of every error raised by ob-async."""


class InvalidInputError(ObError, ValueError):
    """Input given to ob-async is invalid; ``where`` names the field or location."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.reason = message


class ApiError(ObError):
    """The API refused a request with a failure envelope (or a bare error status)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
        request_id: str | None = None,
        server: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.error_message = error_message
        self.request_id = request_id
        self.server = server

    def __str__(self) -> str:
        details = [
            f"{name}={value}"
            for name, value in (
                ("status", self.status),
                ("errorCode", self.error_code),
                ("requestId", self.request_id),
            )
            if value is not None
        ]
        base = super().__str__()
        return f"{base} ({', '.join(details)})" if details else base


class AuthenticationError(ApiError):
    """The server refused our credentials, or offered no challenge we can answer."""


class ClientError(ApiError):
    """A 4xx refusal other than authentication and throttling: retrying cannot help."""


class ThrottledError(ApiError):
    """HTTP 429. ``retry_after`` holds the server's ``Retry-After`` in seconds, if any."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = 429,
        error_code: str | None = None,
        error_message: str | None = None,
        request_id: str | None = None,
        server: str | None = None,
    ) -> None:
        super().__init__(
            message,
            status=status,
            error_code=error_code,
            error_message=error_message,
            request_id=request_id,
            server=server,
        )
        self.retry_after = retry_after


class ServerError(ApiError):
    """A 5xx failure envelope: the server or a gateway failed; retrying may help."""


class TransportError(ObError):
    """No usable response arrived: connect failure, reset, or timeout.

    ``may_have_reached_server`` is False only when we know the server cannot
    have acted on the request (e.g. the TCP connection was never established).
    """

    def __init__(
        self,
        message: str,
        *,
        may_have_reached_server: bool,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.may_have_reached_server = may_have_reached_server
        self.request_id = request_id


class TransportTimeout(TransportError):
    """No response in time: connecting took too long, or the answer stalled or ran late.

    Told apart by its type, never by its message: the retry budget charges a
    timeout more than other failures (:class:`~ob_async._restore.retry.RetryQuota`).
    """


class ProtocolError(ObError):
    """The peer answered, but not with something the API would send."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        unprocessed: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.request_id = request_id
        self.retry_after = retry_after
        self.unprocessed = unprocessed
        """The request it answers carried no credentials: the API cannot have acted on
        it (a garbled challenge, say), so it is never ambiguous."""

    @property
    def is_gateway_failure(self) -> bool:
        """True for garbage that carries a 429/5xx status, as proxies and gateways send."""
        return self.status is not None and (self.status == 429 or self.status >= 500)


class ChallengeError(ProtocolError):
    """A ``WWW-Authenticate`` header could not be parsed."""


class TenantNameConflict(ObError):
    """The target tenant name is taken by a tenant this submission did not create."""

    def __init__(self, message: str, *, instance_id: str, tenant_name: str) -> None:
        super().__init__(message)
        self.instance_id = instance_id
        self.tenant_name = tenant_name


class JournalWriteError(ObError):
    """A drill journal's write failed; the events of that group are not on disk."""

    def __init__(self, message: str, *, path: object) -> None:
        super().__init__(f"journal {path}: {message}")
        self.path = path
