"""Which failures are run-wide: the same for every restore of a run, so not worth one each.

A batch or a drill that meets one of these stops (nothing more is sent) and says
the cause once, instead of failing every item with it:

- **refused credentials**: an :class:`~ob_async.errors.AuthenticationError`, which
  the session raises only once a fresh challenge was answered and refused (or no
  challenge it could answer was offered): a wrong AccessKey pair, or a 401 loop;
- **an endpoint that cannot be reached at all**: the connection was refused, or
  the host name does not resolve (a timeout is not run-wide: it may pass);
- **a project the server does not know**: a refusal whose ``errorCode`` is one of
  :data:`PROJECT_ERROR_CODES`.

Control characters in a header value (a ``\\r`` from a CRLF ``.env`` file) are
refused before anything is sent, when the client is built (see
:func:`ob_async._validators.check_header_value`).
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ob_async.errors import AuthenticationError, ClientError, ObError, TransportError

PROJECT_ERROR_CODES = frozenset(
    {"ProjectNotFound", "InvalidProjectId", "ProjectNotExist", "MissingProjectId"}
)
"""errorCodes read as "no such project". The real API's code is not documented; the
simulator's is ``ProjectNotFound``."""

T = TypeVar("T")


class RunWideError(ObError):
    """A failure that every request of the run would meet; ``cause`` is the first one."""

    def __init__(self, message: str, *, cause: BaseException) -> None:
        super().__init__(message)
        self.cause = cause


def run_wide(error: BaseException | None) -> RunWideError | None:
    """``error`` as a :class:`RunWideError` if it is one of the run-wide kinds, else None."""
    if error is None:
        return None
    if isinstance(error, RunWideError):
        return error
    if isinstance(error, AuthenticationError):
        return RunWideError(f"the server refused the credentials: {error}", cause=error)
    if isinstance(error, ClientError) and error.error_code in PROJECT_ERROR_CODES:
        return RunWideError(f"the server does not know the project: {error}", cause=error)
    if (
        isinstance(error, TransportError)
        and not error.may_have_reached_server
        and _unreachable(error)
    ):
        return RunWideError(f"the endpoint cannot be reached: {error}", cause=error)
    return None


def _unreachable(error: BaseException) -> bool:
    """Whether the cause of ``error`` is a refused connection or an unresolvable name."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError | socket.gaierror):
            return True
        os_error = getattr(current, "os_error", None)  # aiohttp's ClientConnectorError
        if isinstance(os_error, ConnectionRefusedError | socket.gaierror):
            return True
        current = current.__cause__
    return False


async def probe(read: Callable[[], Awaitable[T]]) -> T | None:
    """One read, not retried, before a run starts: a run-wide failure raises
    :class:`RunWideError` at once (before anything is changed, and before every item
    meets it after its retries); any other failure gives None, and is left to the
    retries of the work that follows."""
    try:
        return await read()
    except ObError as error:
        failure = run_wide(error)
        if failure is not None:
            raise failure from error
        return None
