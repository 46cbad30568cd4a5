"""A minimal, strict HTTP Digest server of the benchmarks' own (one process, one core).

    python -m benchmarks.minimal_server --algorithm SHA-256 [--port 0]

It exists so that the client benchmarks measure the clients, not the server:
it speaks just enough HTTP/1.1 (keep-alive, Content-Length bodies) on a bare
``asyncio.Protocol`` and serves one API route, the restore POST, plus two
unauthenticated control routes on loopback:

- ``GET /_bench/stats``: JSON counters (``requests``, ``ok``, ``challenges``
  (every 401, each with a fresh nonce), ``ncReuses`` (requests whose
  ``(nonce, nc)`` pair was already used; refused with a 401), ``authFailures``,
  ``conflicts``).
- ``POST /_bench/reset``: forget the target names seen (the counters stay).

Digest checks (RFC 7616, qop=auth, one algorithm offered): username, realm,
opaque, a nonce this process issued, ``uri`` equal to the request-target, the
response value, and a ``(nonce, nc)`` pair never used before. A restore POST
must carry ``?requestId=``, a JSON object body and a target tenant name not
seen before (else 409), like the simulator.

On start it prints one line, ``listening on http://127.0.0.1:PORT``, and it
serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import signal
import sys
from contextlib import suppress
from typing import Any

HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
RESTORE_PATH = re.compile(r"/api/v2/instances/([^/?]+)/backup/restore\?(.*)")
_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]+))')
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 1024 * 1024

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 409: "Conflict"}


class State:
    """What the server knows: credentials, issued nonces, used counts, names, counters."""

    def __init__(self, algorithm: str, user: str, password: str, realm: str) -> None:
        self.algorithm = algorithm
        self.hash = HASHES[algorithm]
        self.user = user
        self.realm = realm
        self.opaque = os.urandom(8).hex()
        self.ha1 = self.hash(f"{user}:{realm}:{password}".encode()).hexdigest()
        self.nonces: dict[str, set[str]] = {}
        self.names: set[str] = set()
        self.counters = {
            "requests": 0,
            "ok": 0,
            "challenges": 0,
            "ncReuses": 0,
            "authFailures": 0,
            "conflicts": 0,
        }

    def challenge(self) -> bytes:
        nonce = os.urandom(16).hex()
        self.nonces[nonce] = set()
        self.counters["challenges"] += 1
        value = (
            f'Digest realm="{self.realm}", qop="auth", algorithm={self.algorithm}, '
            f'nonce="{nonce}", opaque="{self.opaque}"'
        )
        return value.encode()

    def verify(self, method: str, target: str, header: str) -> bool:
        """True when the Authorization header is right and its (nonce, nc) is new."""
        scheme, _, rest = header.partition(" ")
        if scheme.lower() != "digest":
            self.counters["authFailures"] += 1
            return False
        params = {m.group(1): m.group(2) or m.group(3) or "" for m in _PARAM.finditer(rest)}
        try:
            nonce = params["nonce"]
            nc = params["nc"]
            cnonce = params["cnonce"]
            ok = (
                params["username"] == self.user
                and params["realm"] == self.realm
                and params["uri"] == target
                and params.get("qop") == "auth"
                and params.get("opaque", self.opaque) == self.opaque
                and params.get("algorithm", "MD5").upper() == self.algorithm
                and len(nc) == 8
            )
            used = self.nonces.get(nonce)
            if not ok or used is None:
                self.counters["authFailures"] += 1
                return False
            digest = self.hash
            ha2 = digest(f"{method}:{target}".encode()).hexdigest()
            expected = digest(f"{self.ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()
        except KeyError:
            self.counters["authFailures"] += 1
            return False
        if params["response"] != expected:
            self.counters["authFailures"] += 1
            return False
        if nc.lower() in used:
            self.counters["ncReuses"] += 1
            return False
        used.add(nc.lower())
        return True


def _response(status: int, body: bytes, extra: bytes = b"") -> bytes:
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    ).encode()
    return head + extra + b"\r\n" + body


def _failure(status: int, code: str, message: str, request_id: str) -> bytes:
    return json.dumps(
        {"success": False, "errorCode": code, "errorMessage": message, "requestId": request_id}
    ).encode()


class Protocol(asyncio.Protocol):
    def __init__(self, state: State) -> None:
        self.state = state
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEADER_BYTES:
                    self._close()
                return
            head = bytes(self.buffer[:end]).decode("latin-1")
            lines = head.split("\r\n")
            try:
                method, target, _version = lines[0].split(" ", 2)
            except ValueError:
                self._close()
                return
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            if length > MAX_BODY_BYTES or "chunked" in headers.get("transfer-encoding", ""):
                self._close()
                return
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            assert self.transport is not None
            self.transport.write(self.handle(method, target, headers, body))
            if headers.get("connection", "").lower() == "close":
                self._close()

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
        state = self.state
        if target == "/_bench/stats" and method == "GET":
            return _response(200, json.dumps(state.counters).encode())
        if target == "/_bench/reset" and method == "POST":
            state.names.clear()
            return _response(200, b"{}")
        state.counters["requests"] += 1
        authorization = headers.get("authorization")
        if authorization is None or not state.verify(method, target, authorization):
            return _response(
                401,
                _failure(401, "Unauthorized", "digest authentication required", ""),
                b"WWW-Authenticate: " + state.challenge() + b"\r\n",
            )
        match = RESTORE_PATH.fullmatch(target)
        if method != "POST" or match is None:
            return _response(404, _failure(404, "NotFound", "no such route", ""))
        query = dict(part.partition("=")[::2] for part in match.group(2).split("&"))
        request_id = query.get("requestId", "")
        if not request_id:
            return _response(400, _failure(400, "MissingParameter", "requestId", ""))
        try:
            document: Any = json.loads(body)
            name = document["targetTenantName"]
        except (ValueError, KeyError, TypeError):
            return _response(400, _failure(400, "InvalidBody", "not a restore", request_id))
        if name in state.names:
            state.counters["conflicts"] += 1
            return _response(
                409, _failure(409, "TenantNameAlreadyExists", "name taken", request_id)
            )
        state.names.add(name)
        state.counters["ok"] += 1
        envelope = {"success": True, "data": {}, "requestId": request_id, "server": "bench"}
        return _response(200, json.dumps(envelope).encode())


async def serve(args: argparse.Namespace) -> None:
    state = State(args.algorithm, args.user, args.password, args.realm)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Protocol(state), "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--algorithm", choices=sorted(HASHES), default="SHA-256")
    parser.add_argument("--user", default=os.environ.get("OB_ACCESS_KEY_ID", "bench-ak"))
    parser.add_argument(
        "--password", default=os.environ.get("OB_ACCESS_KEY_SECRET", "bench-secret")
    )
    parser.add_argument("--realm", default="OceanBase Cloud")
    asyncio.run(serve(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
