"""Hostile HTTP peers for the reliability tests: a raw loopback TCP server and its tools.

aiohttp.web only sends well-formed HTTP. A hostile peer must also be able to lie
about lengths, break chunking, stall, trickle, close mid-body and send headers of
any size, so this server writes raw bytes. It listens on 127.0.0.1 only, reads
one request per connection (bounded), hands it to a responder, closes the
connection when the responder returns, and cancels every handler on exit: a
test that uses it always ends.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import attrs

from ob_async._client import ObClient
from ob_async._http.config import ClientConfig
from ob_async._http.credentials import Credentials
from ob_async._wire.models import RestoreRequest, TenantResource
from ob_async.errors import ObError

ACCESS_KEY_ID = "hostile-ak"
SECRET = "S3cr3t-Hygiene-7d1e2f"
PROJECT = "hostile-project"

FAST = ClientConfig(
    connect_timeout=2.0,
    read_timeout=1.0,
    total_timeout=3.0,
    max_response_bytes=64 * 1024,
)
"""The client configuration every hostile test uses: small timeouts, a small body limit."""

HANG_AFTER = 20.0
"""A call still running after this many seconds has hung (generous: the limit is 3 s)."""

_MAX_REQUEST_HEAD = 256 * 1024
_MAX_REQUEST_BODY = 1024 * 1024


@attrs.define
class Request:
    """One request as the hostile server read it."""

    method: str
    target: str
    headers: dict[str, str]
    """Lower-cased names; repeated names joined with ', '."""
    body: bytes

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


@attrs.define
class Connection:
    """What happened on one accepted connection."""

    requests: list[Request] = attrs.Factory(list)
    bytes_written: int = 0
    finished: bool = False
    """The responder ran to its end (False: the client went away first, or it was cancelled)."""
    ended_by: str | None = None
    """The exception that ended the connection early, by class name."""
    client_hung_up: bool = False
    """The client closed its end while the responder still had the connection."""


class Reply:
    """The writing side of one connection; counts every byte it sends."""

    def __init__(self, writer: asyncio.StreamWriter, record: Connection) -> None:
        self._writer = writer
        self.record = record
        self.client_gone = asyncio.Event()
        """Set when the client closes its end of the connection."""

    async def send(self, data: bytes) -> None:
        self._writer.write(data)
        await self._writer.drain()
        self.record.bytes_written += len(data)

    def reset(self) -> None:
        """Abort with a TCP RST instead of an orderly close."""
        sock = self._writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._writer.transport.abort()

    async def hold(self) -> None:
        """Keep the connection open and silent until the client goes away (or the test ends)."""
        await self.client_gone.wait()


Responder = Callable[[Request, Reply], Awaitable[bool | None]]
"""Answers one request; returning True keeps the connection for another (keep-alive servers)."""


class RawHttpServer:
    """A loopback HTTP/1.1 server that answers every request through ``respond``."""

    def __init__(self, respond: Responder, *, keep_alive: bool = False) -> None:
        self.respond = respond
        """Answers every request; may be replaced while the server runs."""
        self.keep_alive = keep_alive
        """Read another request on a connection whose responder returned True.

        A keep-alive server does not watch for the client hanging up while it
        responds (that would race with the next request): ``Reply.hold`` is not
        for it."""
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.connections: list[Connection] = []
        self.url = ""

    @property
    def requests(self) -> list[Request]:
        return [request for conn in self.connections for request in conn.requests]

    async def __aenter__(self) -> RawHttpServer:
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", 0, limit=_MAX_REQUEST_HEAD
        )
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        await asyncio.wait_for(self._server.wait_closed(), timeout=5)

    async def settled(self, timeout: float = 10.0) -> None:
        """Wait until every connection handler has ended (the client went away or all was sent)."""
        deadline = time.monotonic() + timeout
        while self._tasks:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{len(self._tasks)} server connection(s) still busy")
            await asyncio.wait(list(self._tasks), timeout=remaining)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        record = Connection()
        self.connections.append(record)
        reply = Reply(writer, record)
        try:
            while True:
                request = await _read_request(reader)
                record.requests.append(request)
                if self.keep_alive:
                    again = await self.respond(request, reply)
                else:
                    watcher = asyncio.ensure_future(_watch_eof(reader, reply))
                    try:
                        again = await self.respond(request, reply)
                    finally:
                        watcher.cancel()
                if not (again and self.keep_alive):
                    break
            record.finished = True
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            record.ended_by = type(error).__name__
        finally:
            writer.close()
            with suppress(ConnectionError, OSError):
                await writer.wait_closed()
            self._tasks.discard(task)  # type: ignore[arg-type]


async def _watch_eof(reader: asyncio.StreamReader, reply: Reply) -> None:
    with suppress(ConnectionError, OSError):
        while await reader.read(65536):
            pass
    reply.record.client_hung_up = True
    reply.client_gone.set()


async def _read_request(reader: asyncio.StreamReader) -> Request:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    length = min(int(headers.get("content-length", "0")), _MAX_REQUEST_BODY)
    body = await reader.readexactly(length) if length else b""
    return Request(method, target, headers, body)


# --- building responses -------------------------------------------------------------


def response_bytes(
    status: int,
    body: bytes = b"",
    *,
    content_type: str | None = "application/json",
    headers: Sequence[tuple[str, str]] = (),
    framing: str = "length",
    reason: str = "Hostile",
    keep_alive: bool = False,
) -> bytes:
    """A complete HTTP/1.1 response; ``framing`` is ``length``, ``chunked`` or ``close``."""
    lines = [f"HTTP/1.1 {status} {reason}"]
    if not keep_alive:
        lines.append("Connection: close")
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    lines.extend(f"{name}: {value}" for name, value in headers)
    if framing == "length":
        lines.append(f"Content-Length: {len(body)}")
        payload = body
    elif framing == "chunked":
        lines.append("Transfer-Encoding: chunked")
        payload = b"".join(chunk(body[at : at + 1000]) for at in range(0, len(body), 1000))
        payload += b"0\r\n\r\n"
    elif framing == "close":
        payload = body
    else:
        raise ValueError(framing)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def json_bytes(document: Any) -> bytes:
    return json.dumps(document).encode()


def ok_envelope(data: Any) -> dict[str, Any]:
    return {"success": True, "data": data, "requestId": "srv-rid", "server": "s1", "cost": 3}


def sends(raw: bytes) -> Responder:
    """A responder that sends ``raw`` and closes."""

    async def respond(request: Request, reply: Reply) -> None:
        await reply.send(raw)

    return respond


def sends_json(status: int, document: Any, **options: Any) -> Responder:
    return sends(response_bytes(status, json_bytes(document), **options))


# --- the client side ----------------------------------------------------------------


def credentials(secret: str = SECRET) -> Credentials:
    return Credentials(ACCESS_KEY_ID, access_key_secret=secret)


def client_for(url: str, config: ClientConfig = FAST, *, secret: str = SECRET) -> ObClient:
    return ObClient(url, credentials(secret), PROJECT, config=config)


def restore_request() -> RestoreRequest:
    return RestoreRequest(
        source_instance_id="ob-src",
        source_tenant_id="t-src",
        target_instance_id="ob1",
        target_tenant_name="restored_1",
        target_tenant_primary_zone="zone-a",
        restore_time=datetime(2026, 1, 13, 5, 58, 34, tzinfo=UTC),
        tenant_resource=TenantResource(cpu=1, memory=4, unit_num=1),
    )


async def _iter_tenants(client: ObClient) -> list[Any]:
    return [tenant async for tenant in client.iter_tenants("ob1")]


Call = Callable[[ObClient], Awaitable[Any]]

CALLS: dict[str, Call] = {
    "create_restore_task": lambda client: client.create_restore_task("ob1", restore_request()),
    "describe_tenant": lambda client: client.describe_tenant("ob1", "t1"),
    "list_tenants": lambda client: client.list_tenants("ob1"),
    "iter_tenants": _iter_tenants,
    "list_restorable_tenants": lambda client: client.list_restorable_tenants("ob1"),
    "list_backup_sets": lambda client: client.list_backup_sets("ob1"),
    "delete_tenant": lambda client: client.delete_tenant("ob1", "t1"),
}
"""Every API method that parses response data, as a call on a client."""


@attrs.frozen
class Outcome:
    """How one call ended: a value or an ObError, and how long it took."""

    value: Any
    error: ObError | None
    seconds: float


async def attempt(call: Call, client: ObClient, *, hang_after: float = HANG_AFTER) -> Outcome:
    """Run ``call``: an ObError is an outcome; any other exception, or a hang, fails the test."""
    started = time.monotonic()
    timer = asyncio.timeout(hang_after)
    try:
        async with timer:
            value = await call(client)
    except ObError as error:
        return Outcome(None, error, time.monotonic() - started)
    except TimeoutError:
        if timer.expired():
            raise AssertionError(f"the call hung for {hang_after}s") from None
        raise
    return Outcome(value, None, time.monotonic() - started)


async def attempt_all(
    url: str, names: Iterable[str] = CALLS, *, hang_after: float = HANG_AFTER
) -> dict[str, Outcome]:
    """Every named call at once, each with a client of its own, and its outcome.

    Separate clients keep the calls independent: one client's adaptive throttle
    would otherwise pace its other calls after a 429, by design.
    """
    chosen = list(names)

    async def one(name: str) -> Outcome:
        async with client_for(url) as client:
            return await attempt(CALLS[name], client, hang_after=hang_after)

    outcomes = await asyncio.gather(*(one(name) for name in chosen))
    return dict(zip(chosen, outcomes, strict=True))
