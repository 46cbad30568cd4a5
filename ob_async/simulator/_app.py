"""The aiohttp.web application: routes, envelopes, and the one middleware.

Every API request goes through :meth:`SimulatorApp.middleware`, in this order:

1. unknown route → 404 ``NotFound`` (405 ``MethodNotAllowed`` for a known path),
   without authentication;
2. the body is read (over ``max_body_bytes`` → 413);
3. digest authentication (:mod:`.digest_server`) → 401 with fresh challenges;
4. ``X-Ob-Project-Id`` present and not blank → else 400 ``MissingProjectId``;
   one of ``projects``, when set → else 404 ``ProjectNotFound``;
5. a restore POST naming a ``targetTenantName`` is recorded in the stats;
6. the ``rate_limit`` token bucket → 429 ``Throttling`` with ``Retry-After``;
7. with ``dedupe_request_ids``, a POST whose requestId was answered before gets
   that first answer again (the last :data:`MAX_REMEMBERED_REPLIES` are kept);
8. a fault may be drawn (:mod:`.faults`);
9. the route handler; a :class:`~.errors.Refusal` becomes a failure envelope.

Envelopes: success is HTTP 200 ``{"success": true, "data", "requestId",
"server": "host:port", "cost": <ms>}`` (list calls add ``totalCount``);
failure is the refusal's status with ``{"success": false, "errorCode",
"errorMessage", "requestId"}``. ``requestId`` echoes the query parameter, or
is a generated UUID when there is none. All bodies are
``application/json`` except the 502 HTML fault page. Every ``data`` is in the
contract's shapes, every documented field present (:mod:`.shapes`).

Read routes, beyond the documented fields:

- list calls take ``pageNumber`` (>= 1, default 1) and ``pageSize`` (1 to
  ``page_size_max``, default 10); anything else is 400
  ``InvalidParameterValue`` naming the parameter (a too-large size is refused,
  not clamped);
- tenant list: ``tenantName`` is a case-insensitive substring match; entries
  are in creation order;
- backup sets: ``startTime``/``endTime`` (``YYYY-MM-DDTHH:MM:SSZ``) keep the sets
  whose start lies within them; newest first;
- restorable tenants: the tenants of the instance with at least one window,
  filtered by ``tenantId`` and ``backupSetId``; ``restoreObjectType`` must be a
  known type and ``fromRemote`` ``true``/``false`` when given; not paged;
- tenant address: ``addressId`` is required (400 ``MissingParameter``) and must be
  the tenant's (404 ``AddressNotFound``);
- describe instance: its ``availableZones`` are the fixture's zones.

``GET /_simulator/stats`` needs no authentication but answers only a loopback
peer (else 403 ``Forbidden``); so does ``POST /_simulator/rate-limit?perSecond=N``,
which changes the rate limit of the running simulator (for benchmarks of a limit
that changes mid-drill).
"""

from __future__ import annotations

import asyncio
import calendar
import ipaddress
import logging
import math
import re
import socket
import struct
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

import attrs
import msgspec
from aiohttp import hdrs, web

from ob_async.simulator import _routes as routes
from ob_async.simulator import _shapes as shapes
from ob_async.simulator._config import SimulatorConfig
from ob_async.simulator._connections import TenantAddresses
from ob_async.simulator._digest_server import AuthOutcome, AuthResult, DigestVerifier
from ob_async.simulator._errors import ErrorCode, Refusal, clip
from ob_async.simulator._faults import Fault, FaultInjector, FaultKind
from ob_async.simulator._ratelimit import TokenBucket, retry_after_header
from ob_async.simulator._stats import Stats
from ob_async.simulator._validation import (
    RESTORE_OBJECT_TYPES,
    decode_json_object,
    parse_restore_body,
)
from ob_async.simulator._world import World

logger = logging.getLogger("ob_async.simulator")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_WIRE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_DIGITS = re.compile(r"[0-9]{1,9}")
_LINGER_RESET = struct.pack("ii", 1, 0)
_BAD_GATEWAY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
_RESET = "reset"

MAX_REMEMBERED_REPLIES = 100_000
"""With ``dedupe_request_ids``, how many first answers are kept (the oldest are dropped)."""


@attrs.define(slots=True)
class Call:
    """What the middleware learned about one API request, for its handler."""

    request_id: str
    request_id_given: bool
    started: float
    body: bytes
    decoded: dict[str, Any] | Refusal | None = None


CALL = web.RequestKey("ob_async.simulator.call", Call)


_ENCODER = msgspec.json.Encoder()


def _dumps(value: object) -> bytes:
    return _ENCODER.encode(value)


class SimulatorApp:
    """The application and the state its handlers act on."""

    def __init__(
        self,
        config: SimulatorConfig,
        world: World,
        verifier: DigestVerifier,
        injector: FaultInjector,
        stats: Stats,
    ) -> None:
        self.config = config
        self.world = world
        self.verifier = verifier
        self.injector = injector
        self.stats = stats
        self.server_name = f"{config.host}:{config.port}"
        self._bucket = (
            TokenBucket(config.rate_limit, config.clock) if config.rate_limit is not None else None
        )
        if config.rate_limit is not None:
            stats.record_rate_limit(config.clock.time(), config.rate_limit)
        self._name_pattern = re.compile(config.tenant_name_pattern)
        self._replies: dict[str, tuple[int, bytes]] = {}
        self.addresses = TenantAddresses(config)
        self.app = self._build()

    def _build(self) -> web.Application:
        app = web.Application(
            middlewares=[self.middleware], client_max_size=self.config.max_body_bytes
        )
        handlers: dict[str, Handler] = {
            routes.RESTORE: self.restore,
            routes.RESTORABLE_TENANTS: self.restorable_tenants,
            routes.BACKUP_SETS: self.backup_sets,
            routes.LIST_TENANTS: self.list_tenants,
            routes.DESCRIBE_TENANT: self.describe_tenant,
            routes.DELETE_TENANT: self.delete_tenant,
            routes.TENANT_ADDRESS: self.tenant_address,
            routes.DESCRIBE_INSTANCE: self.describe_instance,
        }
        for name, (method, path) in routes.API_ROUTES.items():
            app.router.add_route(method, path, handlers[name], name=name)
        app.router.add_get(routes.STATS_PATH, self.stats_page, name=routes.STATS, allow_head=False)
        app.router.add_post(routes.RATE_LIMIT_PATH, self.rate_limit_page, name=routes.RATE_LIMIT)
        return app

    # --- envelopes ----------------------------------------------------------------------

    def success(self, call: Call, data: Any, total: int | None = None) -> web.Response:
        envelope: dict[str, Any] = {
            "success": True,
            "data": data,
            "requestId": call.request_id,
            "server": self.server_name,
            "cost": int((time.perf_counter() - call.started) * 1000),
        }
        if total is not None:
            envelope["totalCount"] = total
        return web.Response(body=_dumps(envelope), content_type="application/json")

    def failure(self, refusal: Refusal, request_id: str) -> web.Response:
        self.stats.refusals[refusal.code.value] += 1
        body = _dumps(
            {
                "success": False,
                "errorCode": refusal.code.value,
                "errorMessage": refusal.message,
                "requestId": request_id,
            }
        )
        response = web.Response(body=body, status=refusal.status, content_type="application/json")
        for name, value in refusal.headers:
            response.headers.add(name, value)
        return response

    def _unauthorized(self, result: AuthResult, request_id: str) -> web.Response:
        stats = self.stats
        outcome = result.outcome
        if outcome is AuthOutcome.MISSING:
            stats.auth_missing += 1
        else:
            stats.auth_failures += 1
        stale = outcome is AuthOutcome.STALE
        code = {
            AuthOutcome.MALFORMED: ErrorCode.MALFORMED_AUTHORIZATION,
            AuthOutcome.STALE: ErrorCode.NONCE_EXPIRED,
            AuthOutcome.REPLAY: ErrorCode.NONCE_COUNT_REPLAY,
            AuthOutcome.OUT_OF_ORDER: ErrorCode.NONCE_COUNT_OUT_OF_ORDER,
        }.get(outcome, ErrorCode.UNAUTHORIZED)
        if outcome is AuthOutcome.REPLAY:
            stats.nc_replays += 1
        elif outcome is AuthOutcome.OUT_OF_ORDER:
            stats.nc_out_of_order += 1
        stats.challenges_issued += 1
        if stale:
            stats.stale_challenges += 1
        challenges = self.verifier.challenges(stale=stale, client=result.client)
        return self.failure(
            Refusal(
                code,
                result.message,
                headers=[(hdrs.WWW_AUTHENTICATE, challenge) for challenge in challenges],
            ),
            request_id,
        )

    # --- the middleware -----------------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        stats = self.stats
        stats.requests += 1
        route = request.match_info.route.name
        if route in (routes.STATS, routes.RATE_LIMIT):
            stats.by_route[route] += 1
            response = await handler(request)
            stats.by_status[str(response.status)] += 1
            return response
        query_request_id = request.query.get("requestId")
        request_id = query_request_id or str(uuid.uuid4())
        stats.by_route[route or "unknown"] += 1
        try:
            response = await self._api(request, handler, route, request_id, query_request_id)
        except Refusal as refusal:
            response = self.failure(refusal, request_id)
        except Exception:
            logger.exception("simulator bug while serving %s %s", request.method, request.path)
            response = self.failure(
                Refusal(ErrorCode.INTERNAL_ERROR, "internal error in the simulator"), request_id
            )
        transport = request.transport
        stats.by_status[
            _RESET if transport is None or transport.is_closing() else str(response.status)
        ] += 1
        return response

    async def _api(
        self,
        request: web.Request,
        handler: Handler,
        route: str | None,
        request_id: str,
        query_request_id: str | None,
    ) -> web.StreamResponse:
        if route is None or request.match_info.http_exception is not None:
            raise _route_refusal(request)
        started = time.perf_counter()
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise Refusal(
                ErrorCode.REQUEST_TOO_LARGE,
                f"the request body exceeds {self.config.max_body_bytes} bytes",
            ) from None

        result = self.verifier.verify(
            request.method, request.raw_path, request.headers.get(hdrs.AUTHORIZATION), body
        )
        if result.outcome is not AuthOutcome.OK:
            return self._unauthorized(result, request_id)
        project = request.headers.get("X-Ob-Project-Id", "").strip()
        if not project:
            raise Refusal(ErrorCode.MISSING_PROJECT_ID, "X-Ob-Project-Id: the header is required")
        if self.config.projects and project not in self.config.projects:
            raise Refusal(
                ErrorCode.PROJECT_NOT_FOUND, f"X-Ob-Project-Id: no project {clip(project)!r}"
            )

        call = Call(request_id, query_request_id is not None, started, body)
        if route == routes.RESTORE:
            self._note_restore_attempt(call)
        self._take_token()
        dedupe = (
            self.config.dedupe_request_ids
            and query_request_id is not None
            and request.method == hdrs.METH_POST
        )
        if dedupe and request_id in self._replies:
            self.stats.dedupe_replays += 1
            status, replay = self._replies[request_id]
            return web.Response(status=status, body=replay, content_type="application/json")

        fault = self.injector.pick(route)
        if fault is not None:
            self.stats.faults[fault.kind.value] += 1
            early = self._early_fault(request, fault.kind)
            if early is not None:
                return early

        request[CALL] = call
        try:
            response = await handler(request)
        except Refusal as refusal:
            response = self.failure(refusal, request_id)
        if dedupe and isinstance(response, web.Response) and isinstance(response.body, bytes):
            self._remember_reply(request_id, response.status, response.body)
        if fault is None:
            return response
        return await _late_fault(request, fault, response)

    def _remember_reply(self, request_id: str, status: int, body: bytes) -> None:
        replies = self._replies
        replies[request_id] = (status, body)
        if len(replies) > MAX_REMEMBERED_REPLIES:
            # Oldest first: dicts keep insertion order.
            del replies[next(iter(replies))]

    def set_rate_limit(self, per_second: float) -> None:
        """Change the rate limit of the running simulator (one is created if there was none)."""
        if self._bucket is None:
            self._bucket = TokenBucket(per_second, self.config.clock)
        else:
            self._bucket.set_rate(per_second)
        self.stats.record_rate_limit(self.config.clock.time(), per_second)

    @property
    def rate_limit(self) -> float | None:
        return self._bucket.rate if self._bucket is not None else None

    def _take_token(self) -> None:
        if self._bucket is None:
            return
        wait = self._bucket.take()
        self.stats.record_answer(self.config.clock.time(), throttled=bool(wait))
        if wait:
            self.stats.rate_limited += 1
            raise Refusal(
                ErrorCode.THROTTLING,
                f"rate limit of {self._bucket.rate:g} requests per second exceeded",
                headers=[(hdrs.RETRY_AFTER, retry_after_header(wait))],
            )

    def _early_fault(self, request: web.Request, kind: FaultKind) -> web.StreamResponse | None:
        """The answer to a fault that stops the request before it is processed, if any."""
        if kind is FaultKind.RESET_BEFORE:
            return _reset(request)
        if kind is FaultKind.HTTP_500:
            raise Refusal(ErrorCode.INTERNAL_ERROR, "internal error (simulated fault)")
        if kind is FaultKind.HTTP_503:
            raise Refusal(ErrorCode.SERVICE_UNAVAILABLE, "service unavailable (simulated fault)")
        if kind is FaultKind.THROTTLE:
            raise Refusal(
                ErrorCode.THROTTLING,
                "too many requests (simulated fault)",
                headers=[(hdrs.RETRY_AFTER, "1")],
            )
        if kind is FaultKind.HTTP_502_HTML:
            return web.Response(status=502, body=_BAD_GATEWAY_PAGE, content_type="text/html")
        return None

    def _note_restore_attempt(self, call: Call) -> None:
        try:
            call.decoded = decode_json_object(call.body)
        except Refusal as refusal:
            call.decoded = refusal
            return
        name = call.decoded.get("targetTenantName")
        if isinstance(name, str):
            self.stats.record_restore_attempt(name, call.request_id)

    # --- handlers -----------------------------------------------------------------------

    async def restore(self, request: web.Request) -> web.Response:
        call = request[CALL]
        if self.config.require_request_id and not call.request_id_given:
            raise Refusal(ErrorCode.MISSING_PARAMETER, "requestId: the query parameter is required")
        # The media type alone, without aiohttp's full parse of the header's parameters.
        media_type = request.headers.get(hdrs.CONTENT_TYPE, "").partition(";")[0].strip()
        if media_type.lower() != "application/json":
            raise Refusal(
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                f"Content-Type: the body must be sent as application/json, not {media_type!r}",
            )
        decoded = call.decoded
        if isinstance(decoded, Refusal):
            raise decoded
        assert decoded is not None
        order = parse_restore_body(decoded, name_pattern=self._name_pattern)
        self.world.restore(order, request.match_info["instanceId"])
        self.stats.restores_accepted += 1
        return self.success(call, {})

    async def restorable_tenants(self, request: web.Request) -> web.Response:
        call = request[CALL]
        query = request.query
        object_type = query.get("restoreObjectType")
        if object_type is not None and object_type not in RESTORE_OBJECT_TYPES:
            raise Refusal(
                ErrorCode.INVALID_PARAMETER_VALUE,
                f"restoreObjectType: unknown value {object_type!r}; "
                f"expected one of {', '.join(RESTORE_OBJECT_TYPES)}",
            )
        from_remote = query.get("fromRemote")
        if from_remote is not None and from_remote not in ("true", "false"):
            raise Refusal(
                ErrorCode.INVALID_PARAMETER_VALUE,
                f"fromRemote: must be true or false, got {from_remote!r}",
            )
        tenant_id = query.get("tenantId")
        backup_set_id = query.get("backupSetId")
        now = self.world.now()
        entries = [
            shapes.restorable_tenant(tenant, now)
            for tenant in self.world.tenants(request.match_info["instanceId"])
            if tenant.windows
            and (tenant_id is None or tenant.tenant_id == tenant_id)
            and (
                backup_set_id is None
                or any(item.backup_set_id == backup_set_id for item in tenant.backup_sets)
            )
        ]
        return self.success(call, entries, total=len(entries))

    async def backup_sets(self, request: web.Request) -> web.Response:
        call = request[CALL]
        query = request.query
        start = _query_time(query.get("startTime"), "startTime")
        end = _query_time(query.get("endTime"), "endTime")
        page_number, page_size = self._paging(query)
        now = self.world.now()
        found = [
            (backup_set.start.resolve(now), tenant, backup_set)
            for tenant in self.world.tenants(request.match_info["instanceId"])
            for backup_set in tenant.backup_sets
        ]
        selected = sorted(
            (
                item
                for item in found
                if (start is None or item[0] >= start) and (end is None or item[0] <= end)
            ),
            key=lambda item: (-item[0], item[2].backup_set_id),
        )
        offset = (page_number - 1) * page_size
        page = [
            shapes.backup_set(tenant, backup_set, now)
            for _, tenant, backup_set in selected[offset : offset + page_size]
        ]
        return self.success(call, {"dataList": page, "total": len(selected)}, total=len(selected))

    async def list_tenants(self, request: web.Request) -> web.Response:
        call = request[CALL]
        instance_id = request.match_info["instanceId"]
        self.stats.list_calls[instance_id] += 1
        query = request.query
        page_number, page_size = self._paging(query)
        name = query.get("tenantName")
        self.world.churn(instance_id, page_number=page_number, name_prefix=name or "")
        tenants = self.world.tenants(instance_id)
        if name:
            needle = name.casefold()
            tenants = [tenant for tenant in tenants if needle in tenant.folded_name]
        offset = (page_number - 1) * page_size
        page = [shapes.listed_tenant(tenant) for tenant in tenants[offset : offset + page_size]]
        data = {
            "dataList": page,
            "total": len(tenants),
            "hasMore": offset + len(page) < len(tenants),
        }
        return self.success(call, data, total=len(tenants))

    async def describe_tenant(self, request: web.Request) -> web.Response:
        call = request[CALL]
        self.stats.describe_calls += 1
        tenant = self.world.tenant(request.match_info["instanceId"], request.match_info["tenantId"])
        connections = await self.addresses.connections(tenant, self.world.now())
        return self.success(call, shapes.described_tenant(tenant, connections))

    async def tenant_address(self, request: web.Request) -> web.Response:
        call = request[CALL]
        address_id = request.query.get("addressId")
        if not address_id:
            raise Refusal(ErrorCode.MISSING_PARAMETER, "addressId: the query parameter is required")
        tenant = self.world.tenant(request.match_info["instanceId"], request.match_info["tenantId"])
        if address_id != shapes.address_id(tenant):
            raise Refusal(
                ErrorCode.ADDRESS_NOT_FOUND,
                f"addressId: no address {clip(address_id)!r} of tenant {tenant.tenant_id!r}",
            )
        return self.success(call, await self.addresses.address(tenant, self.world.now()))

    async def describe_instance(self, request: web.Request) -> web.Response:
        call = request[CALL]
        instance = self.world.instance(request.match_info["instanceId"])
        self.world.settle()
        data = shapes.instance(
            instance,
            created=self.world.started_at,
            project_id=request.headers.get("X-Ob-Project-Id", "").strip(),
        )
        return self.success(call, data)

    async def delete_tenant(self, request: web.Request) -> web.Response:
        call = request[CALL]
        tenant = self.world.delete(request.match_info["instanceId"], request.match_info["tenantId"])
        await self.addresses.forget(tenant)
        self.stats.record_delete(self.config.clock.time())
        return self.success(call, shapes.deleted_tenant(tenant))

    async def stats_page(self, request: web.Request) -> web.Response:
        if not _is_loopback(request):
            return self.failure(
                Refusal(ErrorCode.FORBIDDEN, "the stats page answers loopback peers only"),
                request.query.get("requestId") or str(uuid.uuid4()),
            )
        return web.Response(
            body=_dumps(self.stats.snapshot(self.world)), content_type="application/json"
        )

    async def rate_limit_page(self, request: web.Request) -> web.Response:
        request_id = request.query.get("requestId") or str(uuid.uuid4())
        if not _is_loopback(request):
            return self.failure(
                Refusal(ErrorCode.FORBIDDEN, "the rate-limit page answers loopback peers only"),
                request_id,
            )
        text = request.query.get("perSecond", "")
        try:
            per_second = float(text)
        except ValueError:
            per_second = math.nan
        if not math.isfinite(per_second) or per_second <= 0:
            return self.failure(
                Refusal(
                    ErrorCode.INVALID_PARAMETER_VALUE,
                    f"perSecond: must be a positive number, got {text[:32]!r}",
                ),
                request_id,
            )
        self.set_rate_limit(per_second)
        return web.Response(body=_dumps({"rateLimit": per_second}), content_type="application/json")

    def _paging(self, query: Any) -> tuple[int, int]:
        number = _query_int(query.get("pageNumber"), "pageNumber", 1, None)
        size = _query_int(query.get("pageSize"), "pageSize", 10, self.config.page_size_max)
        return number, size


def _query_int(text: str | None, name: str, default: int, maximum: int | None) -> int:
    if text is None:
        return default
    value = int(text) if _DIGITS.fullmatch(text) else 0
    if value < 1 or (maximum is not None and value > maximum):
        bound = f" from 1 to {maximum}" if maximum is not None else ""
        raise Refusal(
            ErrorCode.INVALID_PARAMETER_VALUE,
            f"{name}: must be an integer{bound} (>= 1), got {text[:32]!r}",
        )
    return value


def _query_time(text: str | None, name: str) -> float | None:
    if text is None:
        return None
    if _WIRE_TIME.fullmatch(text):
        with suppress(ValueError):
            return float(calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")))
    raise Refusal(
        ErrorCode.INVALID_PARAMETER_VALUE,
        f"{name}: {text[:40]!r} is not a time of the form YYYY-MM-DDTHH:MM:SSZ",
    )


def _is_loopback(request: web.Request) -> bool:
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    if not isinstance(peer, tuple) or not peer:
        return False
    try:
        return ipaddress.ip_address(str(peer[0]).split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _route_refusal(request: web.Request) -> Refusal:
    error = request.match_info.http_exception
    if error is not None and error.status == 405:
        return Refusal(
            ErrorCode.METHOD_NOT_ALLOWED, f"{request.method} is not allowed on {request.path}"
        )
    return Refusal(ErrorCode.NOT_FOUND, f"no route for {request.method} {request.path}")


async def _late_fault(
    request: web.Request, fault: Fault, response: web.StreamResponse
) -> web.StreamResponse:
    """Spoil the answer to a request that was processed."""
    if fault.kind is FaultKind.RESET_AFTER:
        return _reset(request)
    if fault.kind is FaultKind.TRUNCATED:
        return _truncated(response)
    if fault.kind is FaultKind.SLOW:
        await asyncio.sleep(fault.seconds)
    return response


def _reset(request: web.Request) -> web.Response:
    """Abort the connection with an RST; the response returned is never delivered."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        transport.abort()
    return web.Response(status=500)


def _truncated(response: web.StreamResponse) -> web.StreamResponse:
    if not isinstance(response, web.Response) or not isinstance(response.body, bytes):
        return response
    body = response.body
    cut = web.Response(
        status=response.status,
        body=body[: max(1, len(body) // 2)] if len(body) > 1 else b"{",
        content_type="application/json",
    )
    for name, value in response.headers.items():
        if name in (hdrs.WWW_AUTHENTICATE, hdrs.RETRY_AFTER):
            cut.headers.add(name, value)
    return cut
