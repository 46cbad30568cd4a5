"""Hostile server: whatever comes back, every API call ends as a typed ObError or a correct model.

A raw loopback server (``_hostile.RawHttpServer``) answers an ``ObClient`` with
small timeouts (read 1 s, total 3 s) and a 64 KiB body limit. Three layers:

- hypothesis-generated responses: random statuses, content types, framings and
  bodies (random bytes, arbitrary JSON, envelope-shaped objects with wrong types,
  near-valid data for the call), optionally behind a digest challenge. Every call
  ends in time as a model or an ObError consistent with what was sent; a
  well-framed response is never taken for a transport failure. Genuinely valid
  responses give the right model.
- hand-written bodies and framings: invalid JSON, HTML, empty bodies, wrong content
  types, garbage status lines, broken chunking, lying lengths, resets, a response
  that never starts, a byte every half second forever, bodies over the limit
  (declared, chunked, close-delimited, gzip-compressed) that are refused without
  being read to the end or buffered.
- wrong types inside ``data`` are refused naming the call, never coerced; a
  server that ignores ``pageNumber`` cannot keep ``iter_tenants`` going.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import math
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ob_async._api.operations
from ob_async._http.config import ClientConfig
from ob_async._wire.backups import BackupSet, RestorableTenant
from ob_async._wire.models import Envelope, Page
from ob_async._wire.tenants import DeletedTenant, TenantDetail, TenantSummary
from ob_async.errors import (
    ApiError,
    AuthenticationError,
    ClientError,
    InvalidInputError,
    ObError,
    ProtocolError,
    ServerError,
    ThrottledError,
    TransportError,
    TransportTimeout,
)

from ._hostile import (
    CALLS,
    FAST,
    HANG_AFTER,
    Outcome,
    RawHttpServer,
    Reply,
    Request,
    Responder,
    attempt,
    attempt_all,
    chunk,
    client_for,
    json_bytes,
    ok_envelope,
    response_bytes,
    sends,
    sends_json,
)

LIMIT = FAST.max_response_bytes
# A call that involves no digest round trip is one exchange: it must end within the
# total timeout; the margin absorbs scheduling on a loaded CI machine.
IN_TIME = FAST.total_timeout + 2.0
JSON_TYPES = ("application/json", "application/json; charset=utf-8", "text/json")
CHALLENGE = 'Digest realm="hostile", qop="auth", algorithm=MD5, nonce="n0nce-1", opaque="op"'


def expected_api_error(status: int) -> type[ApiError]:
    if status in (401, 403):
        return AuthenticationError
    if status == 429:
        return ThrottledError
    if status >= 500:
        return ServerError
    return ClientError


def is_json_type(content_type: str | None) -> bool:
    if content_type is None:
        return True  # an unlabelled body is read as JSON
    media = content_type.split(";", 1)[0].strip().lower()
    return media in ("application/json", "text/json") or media.endswith("+json")


def check_error_is_well_formed(error: ObError) -> None:
    """Every error renders, and names the requestId of the call it ended."""
    assert str(error)
    assert repr(error)
    request_id = getattr(error, "request_id", None)
    assert isinstance(request_id, str), f"{error!r} carries no requestId"
    assert request_id


def challenging(responder: Responder) -> Responder:
    """Answer a request without credentials with a digest challenge, others with ``responder``."""

    async def respond(request: Request, reply: Reply) -> None:
        if request.authorization is None:
            await reply.send(
                response_bytes(
                    401,
                    json_bytes({"success": False, "errorCode": "Unauthorized"}),
                    headers=[("WWW-Authenticate", CHALLENGE)],
                )
            )
            return
        await responder(request, reply)

    return respond


# --- strategies ------------------------------------------------------------------------

numbers = st.one_of(
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, 10**400, -(10**400), 0, -1]),
    st.floats(),
)
"""JSON numbers, with the ones no float or int64 can hold."""
json_scalars = st.none() | st.booleans() | numbers | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A valid value most of the time, any JSON value otherwise."""
    return st.one_of(valid, valid, json_values)


identifiers = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))


@st.composite
def wire_times(draw: st.DrawFn) -> tuple[str, datetime]:
    """A time in one of the documented wire forms, with the instant it stands for."""
    moment = draw(moments)
    form = draw(st.sampled_from(["z", "offset", "tenant"]))
    if form == "z":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ"), moment
    if form == "offset":
        return moment.astimezone(timezone(timedelta(hours=8))).isoformat(), moment
    return moment.strftime("%Y-%m-%d %H:%M:%S"), moment


def _optional(draw: st.DrawFn, target: dict[str, Any], key: str, value: Any) -> None:
    if draw(st.booleans()):
        target[key] = value


Expectation = Callable[[Any], None]


@st.composite
def valid_tenant_summary(draw: st.DrawFn) -> tuple[dict[str, Any], Expectation]:
    item = {
        "tenantId": draw(identifiers),
        "tenantName": draw(identifiers),
        "status": draw(st.sampled_from(["ONLINE", "CREATING", "RESTORING", "FAILED"])),
    }
    created: datetime | None = None
    if draw(st.booleans()):
        item["gmtCreate"], created = draw(wire_times())
    _optional(draw, item, "cpu", draw(st.integers(1, 64)))
    _optional(draw, item, "unitNum", draw(st.integers(1, 8)))
    _optional(draw, item, "primaryZone", draw(identifiers))

    def expect(value: TenantSummary) -> None:
        assert isinstance(value, TenantSummary)
        assert (value.tenant_id, value.tenant_name, value.status) == (
            item["tenantId"],
            item["tenantName"],
            item["status"],
        )
        assert value.gmt_create == created
        assert value.cpu == item.get("cpu")
        assert value.unit_num == item.get("unitNum")

    return item, expect


@st.composite
def valid_page(
    draw: st.DrawFn, items: st.SearchStrategy[tuple[dict[str, Any], Expectation]]
) -> tuple[dict[str, Any], Callable[[Any], None]]:
    drawn = draw(st.lists(items, max_size=5))
    data: dict[str, Any] = {"dataList": [item for item, _ in drawn]}
    if draw(st.booleans()):
        data["total"] = len(drawn) + draw(st.integers(0, 3))

    def expect(value: Page[Any] | list[Any]) -> None:
        listed = value.data_list if isinstance(value, Page) else tuple(value)
        assert len(listed) == len(drawn)
        for got, (_, check) in zip(listed, drawn, strict=True):
            check(got)
        if isinstance(value, Page):
            assert value.total == data.get("total")

    return data, expect


@st.composite
def valid_backup_set(draw: st.DrawFn) -> tuple[dict[str, Any], Expectation]:
    item: dict[str, Any] = {"backupSetId": draw(identifiers)}
    _optional(draw, item, "status", draw(st.sampled_from(["DONE", "RUNNING"])))
    started: datetime | None = None
    if draw(st.booleans()):
        item["startTime"], started = draw(wire_times())
    _optional(draw, item, "checkpoint", draw(json_values))

    def expect(value: BackupSet) -> None:
        assert isinstance(value, BackupSet)
        assert value.backup_set_id == item["backupSetId"]
        assert value.status == item.get("status")
        assert value.start_time == started

    return item, expect


@st.composite
def valid_restorable(draw: st.DrawFn) -> tuple[list[dict[str, Any]], Expectation]:
    tenants = []
    windows_of = []
    for _ in range(draw(st.integers(0, 3))):
        windows = []
        wire_windows = []
        for _ in range(draw(st.integers(0, 3))):
            start_text, start = draw(wire_times())
            end_text, end = draw(wire_times())
            windows.append((start, end))
            wire_windows.append({"startTime": start_text, "endTime": end_text})
        tenants.append({"tenantId": draw(identifiers), "timeIntervalList": wire_windows})
        windows_of.append(windows)

    def expect(value: list[RestorableTenant]) -> None:
        assert [tenant.tenant_id for tenant in value] == [t["tenantId"] for t in tenants]
        for tenant, windows in zip(value, windows_of, strict=True):
            got = [(window.start_time, window.end_time) for window in tenant.time_interval_list]
            assert got == windows

    return tenants, expect


@st.composite
def valid_detail(draw: st.DrawFn) -> tuple[dict[str, Any], Expectation]:
    data: dict[str, Any] = {
        "tenantId": draw(identifiers),
        "tenantName": draw(identifiers),
        "status": draw(st.sampled_from(["ONLINE", "RESTORING"])),
        "description": draw(st.one_of(st.none(), st.text(max_size=20))),
    }
    created: datetime | None = None
    if draw(st.booleans()):
        data["createTime"], created = draw(wire_times())
    _optional(draw, data, "tenantResource", {"cpu": {"unitCpu": 2.0}, "unitNum": 1})

    def expect(value: TenantDetail) -> None:
        assert isinstance(value, TenantDetail)
        assert (value.tenant_id, value.tenant_name, value.status, value.description) == (
            data["tenantId"],
            data["tenantName"],
            data["status"],
            data["description"],
        )
        assert value.create_time == created
        if "tenantResource" in data:
            assert value.tenant_resource is not None
            assert value.tenant_resource.unit_num == 1

    return data, expect


@st.composite
def valid_deleted(draw: st.DrawFn) -> tuple[dict[str, Any], Expectation]:
    tenant_id = draw(identifiers)

    def expect(value: DeletedTenant) -> None:
        assert value == DeletedTenant(tenant_id=tenant_id)

    return {"tenantId": tenant_id}, expect


@st.composite
def valid_any(draw: st.DrawFn) -> tuple[Any, Expectation]:
    data = draw(json_values)

    def expect(value: Envelope) -> None:
        assert isinstance(value, Envelope)
        assert value.success is True
        assert json.dumps(value.data) == json.dumps(data)

    return data, expect


VALID_DATA: dict[str, st.SearchStrategy[tuple[Any, Expectation]]] = {
    "create_restore_task": valid_any(),
    "describe_tenant": valid_detail(),
    "list_tenants": valid_page(valid_tenant_summary()),
    "iter_tenants": valid_page(valid_tenant_summary()),
    "list_restorable_tenants": valid_restorable(),
    "list_backup_sets": valid_page(valid_backup_set()),
    "delete_tenant": valid_deleted(),
}

_ITEM_KEYS = {
    "describe_tenant": (
        "tenantId",
        "tenantName",
        "status",
        "description",
        "createTime",
        "tenantResource",
    ),
    "delete_tenant": ("tenantId",),
    "list_restorable_tenants": ("tenantId", "timeIntervalList", "backupSetRestoreSummaries"),
    "page": ("tenantId", "tenantName", "status", "gmtCreate", "backupSetId", "startTime"),
}


def near_valid_object(keys: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """An object with the model's keys, each holding a plausible or an arbitrary value."""
    plausible = st.one_of(identifiers, wire_times().map(lambda pair: pair[0]), json_values)
    return st.fixed_dictionaries({}, optional=dict.fromkeys(keys, plausible))


def near_valid_data(method: str) -> st.SearchStrategy[Any]:
    if method in ("list_tenants", "iter_tenants", "list_backup_sets"):
        return st.fixed_dictionaries(
            {},
            optional={
                "dataList": maybe(st.lists(near_valid_object(_ITEM_KEYS["page"]), max_size=3)),
                "total": json_values,
                "hasMore": json_values,
            },
        )
    if method == "list_restorable_tenants":
        return maybe(st.lists(near_valid_object(_ITEM_KEYS[method]), max_size=3))
    if method == "create_restore_task":
        return json_values
    return near_valid_object(_ITEM_KEYS[method])


def envelopes(method: str) -> st.SearchStrategy[dict[str, Any]]:
    """Envelope-shaped objects: each field absent, right, or of any JSON type."""
    return st.fixed_dictionaries(
        {},
        optional={
            "success": st.one_of(st.just(True), st.just(False), json_values),
            "data": st.one_of(near_valid_data(method), json_values),
            "errorCode": maybe(identifiers),
            "errorMessage": maybe(st.text(max_size=30)),
            "requestId": maybe(identifiers),
            "server": json_values,
            "cost": st.one_of(st.floats(0, 1e6), numbers, json_values),
            "totalCount": st.one_of(st.integers(0, 1000), numbers, json_values),
            "extra": json_values,
        },
    )


def _dumps(document: Any) -> bytes:
    return json.dumps(document).encode()


def bodies(method: str) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=300),
        json_values.map(_dumps),
        envelopes(method).map(_dumps),
        envelopes(method).map(_dumps),
        envelopes(method).map(_dumps).map(lambda body: body[: len(body) // 2]),
    )


statuses = st.one_of(
    st.just(200),
    st.sampled_from([201, 204, 301, 302, 400, 401, 403, 404, 409, 429, 500, 502, 503]),
    st.integers(200, 599),
)
content_types = st.one_of(
    st.sampled_from([*JSON_TYPES, "application/problem+json", None]),
    st.sampled_from(["text/html", "text/plain", "application/octet-stream", "application/xml", ""]),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30),
)
framings = st.sampled_from(["length", "chunked", "close"])


@attrs.frozen
class Generated:
    method: str
    status: int
    content_type: str | None
    body: bytes
    framing: str
    challenge_first: bool

    def responder(self) -> Responder:
        respond = sends(
            response_bytes(
                self.status, self.body, content_type=self.content_type, framing=self.framing
            )
        )
        return challenging(respond) if self.challenge_first else respond


@st.composite
def generated_responses(draw: st.DrawFn) -> Generated:
    method = draw(st.sampled_from(sorted(CALLS)))
    return Generated(
        method=method,
        status=draw(statuses),
        content_type=draw(content_types),
        body=draw(bodies(method)),
        framing=draw(framings),
        challenge_first=draw(st.booleans()),
    )


async def run_one(method: str, responder: Responder) -> tuple[Outcome, RawHttpServer]:
    async with RawHttpServer(responder) as server, client_for(server.url) as client:
        outcome = await attempt(CALLS[method], client)
    return outcome, server


def decoded(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


# --- generated responses ---------------------------------------------------------------


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=generated_responses())
def test_generated_responses_end_typed_and_consistent(case: Generated) -> None:
    outcome, server = asyncio.run(run_one(case.method, case.responder()))
    assert outcome.seconds < 2 * IN_TIME
    assert len(server.requests) <= 2
    document = decoded(case.body)
    if outcome.error is None:
        # A value came back: the response must have deserved it.
        assert 200 <= case.status < 300
        assert case.status != 204  # aiohttp drops a 204's body; no envelope can be there
        assert is_json_type(case.content_type)
        assert isinstance(document, dict)
        assert document.get("success") is True
        return
    error = outcome.error
    check_error_is_well_formed(error)
    assert not isinstance(error, TransportError), (
        f"a well-framed HTTP response was taken for a transport failure: {error!r}"
    )
    if isinstance(error, ApiError):
        assert isinstance(document, dict)
        assert document.get("success") is False
        assert error.status == case.status
        assert type(error) is expected_api_error(case.status)


@st.composite
def success_envelopes(draw: st.DrawFn) -> Generated:
    """A 200 JSON success envelope whose every other field may be of any type."""
    method = draw(st.sampled_from(sorted(CALLS)))
    envelope = draw(envelopes(method))
    envelope["success"] = True
    return Generated(
        method=method,
        status=200,
        content_type=draw(st.sampled_from([*JSON_TYPES, None])),
        body=_dumps(envelope),
        framing=draw(framings),
        challenge_first=draw(st.booleans()),
    )


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=success_envelopes())
def test_success_envelopes_with_wrong_types_give_a_model_or_a_protocol_error(
    case: Generated,
) -> None:
    outcome, _ = asyncio.run(run_one(case.method, case.responder()))
    assert outcome.seconds < 2 * IN_TIME
    if outcome.error is not None:
        assert type(outcome.error) is ProtocolError, repr(outcome.error)
        check_error_is_well_formed(outcome.error)
        return
    if case.method == "create_restore_task":
        envelope: Envelope = outcome.value
        assert envelope.request_id
        assert envelope.cost is None or math.isfinite(envelope.cost)
        assert json.dumps(envelope.data) == json.dumps(json.loads(case.body).get("data"))


@st.composite
def valid_responses(draw: st.DrawFn) -> tuple[Generated, Expectation]:
    method = draw(st.sampled_from(sorted(CALLS)))
    data, expect = draw(VALID_DATA[method])
    envelope = ok_envelope(data)
    if draw(st.booleans()):
        envelope["unknownField"] = draw(json_values)  # a newer server's extra field
    case = Generated(
        method=method,
        status=200,
        content_type=draw(st.sampled_from([*JSON_TYPES, None])),
        body=_dumps(envelope),
        framing=draw(framings),
        challenge_first=draw(st.booleans()),
    )
    return case, expect


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=valid_responses())
def test_genuinely_valid_responses_give_the_right_model(
    drawn: tuple[Generated, Expectation],
) -> None:
    case, expect = drawn
    outcome, _ = asyncio.run(run_one(case.method, case.responder()))
    assert outcome.error is None, f"{case.method} refused a valid response: {outcome.error!r}"
    expect(outcome.value)


# --- hand-written: every call against one hostile answer -------------------------------


def body(status: int, payload: bytes, content_type: str | None = "application/json") -> Responder:
    return sends(response_bytes(status, payload, content_type=content_type))


HTML_502 = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
)

CONTENT_CASES: dict[str, tuple[Responder, type[ObError]]] = {
    "invalid JSON": (body(200, b'{"success": true, "data": '), ProtocolError),
    "JSON with a trailing comma": (body(200, b'{"success": true,}'), ProtocolError),
    "HTML gateway page under 502": (body(502, HTML_502, "text/html"), ProtocolError),
    "HTML page under 200": (body(200, HTML_502, "text/html"), ProtocolError),
    "HTML page labelled JSON": (body(200, HTML_502), ProtocolError),
    "empty body under 200": (body(200, b""), ProtocolError),
    "whitespace body": (body(200, b" \r\n\t "), ProtocolError),
    "204 No Content": (body(204, b""), ProtocolError),
    "empty body under 503": (body(503, b""), ProtocolError),
    "JSON array": (body(200, b"[1, 2, 3]"), ProtocolError),
    "JSON string": (body(200, b'"success"'), ProtocolError),
    "JSON null": (body(200, b"null"), ProtocolError),
    "object without success": (body(200, b'{"data": {"tenantId": "t1"}}'), ProtocolError),
    "success as a string": (body(200, b'{"success": "true", "data": {}}'), ProtocolError),
    "success as a number": (body(200, b'{"success": 1, "data": {}}'), ProtocolError),
    "success under 500": (sends_json(500, ok_envelope({"tenantId": "t1"})), ProtocolError),
    "success under 302": (sends_json(302, ok_envelope({"tenantId": "t1"})), ProtocolError),
    "success as text/plain": (
        sends_json(200, ok_envelope({"tenantId": "t1"}), content_type="text/plain"),
        ProtocolError,
    ),
    "success as octet-stream": (
        sends_json(200, ok_envelope({"tenantId": "t1"}), content_type="application/octet-stream"),
        ProtocolError,
    ),
    "invalid UTF-8": (body(200, b'{"success": true, "data": "\xff\xfe\xc0"}'), ProtocolError),
    "UTF-16 body": (body(200, json.dumps({"success": 1}).encode("utf-16")), ProtocolError),
    "deeply nested JSON": (body(200, b"[" * 30_000 + b"]" * 30_000), ProtocolError),
    "number with 5000 digits": (
        body(200, b'{"success": true, "cost": 1' + b"0" * 5000 + b"}"),
        ProtocolError,
    ),
    "failure envelope with wrong types": (
        sends_json(
            400,
            {"success": False, "errorCode": 17, "errorMessage": ["a"], "requestId": {"x": 1}},
        ),
        ClientError,
    ),
    "failure envelope under 200": (
        sends_json(200, {"success": False, "errorCode": "Nope"}),
        ClientError,
    ),
    "failure envelope under 999": (
        sends_json(999, {"success": False, "errorCode": "Odd"}),
        ServerError,
    ),
    "failure envelope as HTML with 429": (
        sends(
            response_bytes(
                429,
                json_bytes({"success": False, "errorCode": "Throttling"}),
                content_type="text/html",
                headers=[("Retry-After", "99999999999999999999999")],
            )
        ),
        ThrottledError,
    ),
    "garbage 429 with a hostile Retry-After": (
        sends(
            response_bytes(
                429, b"slow down", content_type="text/plain", headers=[("Retry-After", "nan")]
            )
        ),
        ProtocolError,
    ),
}


@pytest.mark.parametrize("case", sorted(CONTENT_CASES))
async def test_hostile_bodies_end_as_the_right_error_for_every_call(case: str) -> None:
    responder, expected = CONTENT_CASES[case]
    async with RawHttpServer(responder) as server:
        outcomes = await attempt_all(server.url)
    assert len(server.requests) == len(CALLS)
    for method, outcome in outcomes.items():
        assert type(outcome.error) is expected, f"{method}: {outcome!r}"
        assert outcome.error is not None
        check_error_is_well_formed(outcome.error)
        assert outcome.seconds < IN_TIME
        retry_after = getattr(outcome.error, "retry_after", None)
        assert retry_after is None or (math.isfinite(retry_after) and retry_after >= 0)


async def test_gateway_html_keeps_its_status_and_title() -> None:
    async with RawHttpServer(body(502, HTML_502, "text/html")) as server:
        async with client_for(server.url) as client:
            outcome = await attempt(CALLS["describe_tenant"], client)
    assert isinstance(outcome.error, ProtocolError)
    assert outcome.error.is_gateway_failure
    assert "502 Bad Gateway" in str(outcome.error)


def _raw(data: bytes) -> Responder:
    return sends(data)


TENANT = {"tenantId": "t1", "tenantName": "a", "status": "ONLINE", "description": ""}
GOOD = json_bytes(ok_envelope(TENANT))

MALFORMED_HTTP: dict[str, Responder] = {
    "garbage status line": _raw(b"HELLO WORLD\r\n\r\n"),
    "non-numeric status": _raw(b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n"),
    "HTTP/0.9 (a bare body)": _raw(GOOD),
    "binary junk": _raw(bytes(range(256)) * 4),
    "negative Content-Length": _raw(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"),
    "two Content-Lengths": _raw(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"
    ),
    "Content-Length and chunked": _raw(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunk(GOOD)
        + b"0\r\n\r\n"
    ),
    "invalid chunk size": _raw(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"
    ),
    "chunk longer than announced": _raw(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n" + GOOD + b"\r\n0\r\n\r\n"
    ),
    "chunked body cut short": _raw(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100\r\n" + GOOD[:20]
    ),
    "Content-Length shorter than the body": _raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n" + GOOD
    ),
    "connection closed mid-body": _raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        + GOOD[:30]
    ),
    "connection closed mid-headers": _raw(b"HTTP/1.1 200 OK\r\nContent-Type: appl"),
    "connection closed before answering": _raw(b""),
    "a header line of 100 KB": _raw(
        b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 100_000 + b"\r\nContent-Length: 0\r\n\r\n"
    ),
    "a thousand headers": _raw(
        b"HTTP/1.1 200 OK\r\n"
        + b"".join(b"X-H%d: v\r\n" % n for n in range(1000))
        + b"Content-Length: 0\r\n\r\n"
    ),
    "NUL in a header": _raw(b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n"),
    "gzip that is not gzip": _raw(
        response_bytes(200, b"not gzip at all", headers=[("Content-Encoding", "gzip")])
    ),
    "100 Continue and then nothing": _raw(b"HTTP/1.1 100 Continue\r\n\r\n"),
    "101 Switching Protocols": _raw(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n"
        + GOOD
    ),
}


async def _reset_mid_body(request: Request, reply: Reply) -> None:
    await reply.send(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        + GOOD[:30]
    )
    reply.reset()


async def _reset_at_once(request: Request, reply: Reply) -> None:
    reply.reset()


MALFORMED_HTTP["reset mid-body"] = _reset_mid_body
MALFORMED_HTTP["reset before answering"] = _reset_at_once


@pytest.mark.parametrize("case", sorted(MALFORMED_HTTP))
async def test_malformed_http_ends_as_protocol_or_transport_error(case: str) -> None:
    async with RawHttpServer(MALFORMED_HTTP[case]) as server:
        outcomes = await attempt_all(server.url)
    for method, outcome in outcomes.items():
        assert isinstance(outcome.error, ProtocolError | TransportError), f"{method}: {outcome!r}"
        check_error_is_well_formed(outcome.error)
        assert outcome.seconds < IN_TIME
        if isinstance(outcome.error, TransportError):
            # The request was sent: the server may have acted on it.
            assert outcome.error.may_have_reached_server


async def test_a_garbage_status_line_is_a_protocol_error_not_a_transport_failure() -> None:
    async with RawHttpServer(MALFORMED_HTTP["garbage status line"]) as server:
        async with client_for(server.url) as client:
            outcome = await attempt(CALLS["list_tenants"], client)
    assert isinstance(outcome.error, ProtocolError)
    assert "malformed HTTP response" in str(outcome.error)


WELL_FORMED_ODDITIES: dict[str, Responder] = {
    "100 Continue before the answer": _raw(
        b"HTTP/1.1 100 Continue\r\n\r\n" + response_bytes(200, GOOD)
    ),
    "bare LF line endings": _raw(
        b"HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Length: %d\n\n" % len(GOOD)
        + GOOD
    ),
    "HTTP/1.0, close-delimited": _raw(
        b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + GOOD
    ),
    "chunks of one byte": _raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(chunk(GOOD[at : at + 1]) for at in range(len(GOOD)))
        + b"0\r\n\r\n"
    ),
    "gzip-compressed": _raw(
        response_bytes(200, gzip.compress(GOOD), headers=[("Content-Encoding", "gzip")])
    ),
    "an unknown Content-Encoding left as is": _raw(
        response_bytes(200, GOOD, headers=[("Content-Encoding", "x-identity")])
    ),
}


@pytest.mark.parametrize("case", sorted(WELL_FORMED_ODDITIES))
async def test_odd_but_valid_http_still_gives_the_model(case: str) -> None:
    async with RawHttpServer(WELL_FORMED_ODDITIES[case]) as server:
        async with client_for(server.url) as client:
            outcome = await attempt(CALLS["describe_tenant"], client)
    assert outcome.error is None, repr(outcome.error)
    assert outcome.value == TenantDetail(
        tenant_id="t1", tenant_name="a", status="ONLINE", description=""
    )


# --- time: nothing waits longer than the configured timeouts ---------------------------


async def _never_answers(request: Request, reply: Reply) -> None:
    await reply.hold()


async def _headers_then_silence(request: Request, reply: Reply) -> None:
    await reply.send(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"
    )
    await reply.hold()


def trickling(head: bytes, piece: Callable[[int], bytes], every: float = 0.4) -> Responder:
    """Send ``head``, then ``piece(n)`` every ``every`` seconds, forever."""

    async def respond(request: Request, reply: Reply) -> None:
        await reply.send(head)
        sent = 0
        while True:
            await asyncio.sleep(every)  # the hostile behaviour itself, not synchronisation
            await reply.send(piece(sent))
            sent += 1

    return respond


SLOW_CASES: dict[str, tuple[Responder, float]] = {
    # (responder, the timeout that must end it)
    "a response that never starts": (_never_answers, FAST.read_timeout),
    "headers, then silence": (_headers_then_silence, FAST.read_timeout),
    "a byte every 0.4 s of a declared body, forever": (
        trickling(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n",
            lambda _: b" ",
        ),
        FAST.total_timeout,
    ),
    "a one-byte chunk every 0.4 s, forever": (
        trickling(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n",
            lambda _: chunk(b" "),
        ),
        FAST.total_timeout,
    ),
    "a header line every 0.4 s, forever": (
        trickling(b"HTTP/1.1 200 OK\r\n", lambda n: b"X-Slow-%d: 1\r\n" % n),
        FAST.total_timeout,
    ),
}


@pytest.mark.parametrize("case", sorted(SLOW_CASES))
async def test_stalls_and_endless_slow_answers_end_at_the_configured_timeout(case: str) -> None:
    responder, limit = SLOW_CASES[case]
    async with RawHttpServer(responder) as server:
        outcomes = await attempt_all(server.url)
        await server.settled()  # the client hung up: every server handler saw it go
    for method, outcome in outcomes.items():
        assert isinstance(outcome.error, TransportTimeout), f"{method}: {outcome!r}"
        assert "timed out" in str(outcome.error)
        assert outcome.error.may_have_reached_server
        check_error_is_well_formed(outcome.error)
        assert limit - 0.1 <= outcome.seconds < limit + 2.0, f"{method}: {outcome.seconds:.2f}s"
    assert all(conn.client_hung_up for conn in server.connections)


async def test_without_a_read_timeout_a_stall_still_ends_at_the_total_timeout() -> None:
    # ClientConfig's default has no read timeout; total_timeout alone must bound a stall.
    config = attrs.evolve(FAST, read_timeout=None)
    assert ClientConfig().read_timeout is None
    async with RawHttpServer(_headers_then_silence) as server:
        async with client_for(server.url, config) as client:
            outcome = await attempt(CALLS["create_restore_task"], client, hang_after=HANG_AFTER)
        await server.settled()
    assert isinstance(outcome.error, TransportTimeout), repr(outcome)
    assert "timed out" in str(outcome.error)
    assert FAST.total_timeout - 0.1 <= outcome.seconds < FAST.total_timeout + 2.0


@pytest.mark.parametrize("value", [0, -1.0])
def test_a_read_timeout_must_be_positive_when_set(value: float) -> None:
    with pytest.raises(InvalidInputError, match="read_timeout"):
        ClientConfig(read_timeout=value)


# --- size: a body over the limit is refused before it is buffered ----------------------

HUNDRED_MB = 100 * 1024 * 1024
BLOCK = b"x" * 65536


def huge(head: bytes, framed: Callable[[bytes], bytes] = lambda block: block) -> Responder:
    async def respond(request: Request, reply: Reply) -> None:
        await reply.send(head)
        for _ in range(HUNDRED_MB // len(BLOCK)):
            await reply.send(framed(BLOCK))

    return respond


HUGE_BODIES: dict[str, Responder] = {
    "declared 100 MB": huge(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % HUNDRED_MB
    ),
    "chunked 100 MB": huge(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        chunk,
    ),
    "close-delimited 100 MB": huge(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"),
}


@pytest.mark.parametrize("case", sorted(HUGE_BODIES))
async def test_a_100_mb_body_is_refused_without_being_read_or_buffered(case: str) -> None:
    async with RawHttpServer(HUGE_BODIES[case]) as server, client_for(server.url) as client:
        tracemalloc.start()
        try:
            outcome = await attempt(CALLS["list_tenants"], client)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        await server.settled()
    assert isinstance(outcome.error, ProtocolError), repr(outcome.error)
    assert f"the limit is {LIMIT} bytes" in str(outcome.error)
    check_error_is_well_formed(outcome.error)
    assert outcome.seconds < IN_TIME
    [conn] = server.connections
    assert not conn.finished, "the client read the whole 100 MB"
    # What the kernel's socket buffers absorbed, at most; never the body.
    assert conn.bytes_written < 32 * 1024 * 1024
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB allocated while refusing"


async def test_a_gzip_bomb_is_refused_at_the_limit_of_decompressed_bytes() -> None:
    # 50 MB of JSON that compresses to about 50 KB: the declared length is under the limit.
    inflated = b'{"success": true, "data": "' + b"x" * 50_000_000 + b'"}'
    bomb = gzip.compress(inflated, compresslevel=9)
    assert len(bomb) < LIMIT
    responder = sends(response_bytes(200, bomb, headers=[("Content-Encoding", "gzip")]))
    async with RawHttpServer(responder) as server, client_for(server.url) as client:
        tracemalloc.start()
        try:
            outcome = await attempt(CALLS["describe_tenant"], client)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert isinstance(outcome.error, ProtocolError), repr(outcome.error)
    assert f"the limit is {LIMIT} bytes" in str(outcome.error)
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB allocated while refusing"


async def test_a_body_exactly_at_the_limit_is_read() -> None:
    envelope = ok_envelope({**TENANT, "description": ""})
    padding = LIMIT - len(json_bytes(envelope))
    envelope["data"]["description"] = "d" * padding
    payload = json_bytes(envelope)
    assert len(payload) == LIMIT
    for framing in ("length", "chunked", "close"):
        responder = sends(response_bytes(200, payload, framing=framing))
        async with RawHttpServer(responder) as server, client_for(server.url) as client:
            outcome = await attempt(CALLS["describe_tenant"], client)
        assert outcome.error is None, f"{framing}: {outcome.error!r}"
        assert outcome.value.description == "d" * padding


# --- wrong types where the client decides are refused, never coerced ---------------------

WRONG_DATA: list[tuple[str, Any]] = [
    ("describe_tenant", None),
    ("describe_tenant", []),
    ("describe_tenant", "t1"),
    ("describe_tenant", {**TENANT, "tenantId": None}),
    ("describe_tenant", {**TENANT, "tenantName": True}),
    ("describe_tenant", {**TENANT, "status": {"s": 1}}),
    ("describe_tenant", {**TENANT, "description": {"marker": 1}}),
    ("describe_tenant", {**TENANT, "createTime": 1700000000}),
    ("describe_tenant", {**TENANT, "createTime": "yesterday"}),
    ("describe_tenant", {**TENANT, "unitNum": 1.5}),
    ("describe_tenant", {**TENANT, "tenantConnections": "10.0.0.1:3306"}),
    ("describe_tenant", {**TENANT, "tenantConnections": [{"intranetPort": "3306"}]}),
    ("describe_tenant", {**TENANT, "tenantConnections": [{"useSSL": "yes"}]}),
    ("describe_tenant", {"tenantName": "a", "status": "ONLINE", "description": ""}),
    ("describe_tenant", {"tenantId": "t1", "tenantName": "a", "status": "ONLINE"}),
    ("delete_tenant", [{"tenantId": "t1"}]),
    ("list_tenants", {"dataList": "abc"}),
    ("list_tenants", {"dataList": {"tenantId": "t1"}}),
    ("list_tenants", {"dataList": None}),
    ("list_tenants", {"dataList": [1]}),
    ("list_tenants", {"dataList": [TENANT], "total": "1"}),
    ("list_tenants", {"dataList": [TENANT], "total": 1.5}),
    ("list_tenants", {"dataList": [TENANT], "total": True}),
    ("list_tenants", {"dataList": [TENANT], "hasMore": "no"}),
    ("list_tenants", {"dataList": [{**TENANT, "status": None}]}),
    ("list_tenants", [TENANT]),
    ("iter_tenants", {"dataList": "abc"}),
    ("iter_tenants", {"dataList": [{**TENANT, "tenantName": 1.5}]}),
    ("list_backup_sets", {"dataList": [{"backupSetId": None}]}),
    ("list_backup_sets", {"dataList": "b1"}),
    ("list_restorable_tenants", {"tenantId": "t1"}),
    ("list_restorable_tenants", "t1"),
    ("list_restorable_tenants", [{"tenantId": "t1", "timeIntervalList": "abc"}]),
    ("list_restorable_tenants", [{"tenantId": "t1", "timeIntervalList": {"a": 1}}]),
    (
        "list_restorable_tenants",
        [{"tenantId": "t1", "timeIntervalList": [{"startTime": "2026-01-01T00:00:00Z"}]}],
    ),
]
"""Answers whose fields the client decides on are missing or malformed."""

TOLERATED_DATA: list[tuple[str, Any, Callable[[Any], Any]]] = [
    ("describe_tenant", {**TENANT, "tenantResource": "big"}, lambda v: v.tenant_resource),
    (
        "describe_tenant",
        {**TENANT, "tenantResource": {"cpu": "2"}},
        lambda v: v.tenant_resource.cpu,
    ),
    (
        "describe_tenant",
        {**TENANT, "tenantResource": {"unitNum": 1.5}},
        lambda v: v.tenant_resource.unit_num,
    ),
    (
        "describe_tenant",
        {**TENANT, "tenantResource": {"cpu": {"totalCpu": 10**400}}},
        lambda v: v.tenant_resource.cpu.total_cpu,
    ),
    ("describe_tenant", {**TENANT, "tenantZones": [1, "a"]}, lambda v: v.tenant_zones or None),
    ("describe_tenant", {**TENANT, "gmtCreate": "yesterday"}, lambda v: v.gmt_create),
    ("delete_tenant", {"tenantId": None}, lambda v: v.tenant_id),
    ("delete_tenant", {}, lambda v: v.tenant_id),
    ("delete_tenant", {"tenantId": ["t1"]}, lambda v: v.tenant_id),
    (
        "list_tenants",
        {"dataList": [{**TENANT, "gmtCreate": []}]},
        lambda v: v.data_list[0].gmt_create,
    ),
    (
        "list_tenants",
        {"dataList": [{**TENANT, "unitNum": "1"}]},
        lambda v: v.data_list[0].unit_num,
    ),
    ("iter_tenants", {"dataList": [{**TENANT, "cpu": "many"}]}, lambda v: v[0].cpu),
    (
        "list_backup_sets",
        {"dataList": [{"backupSetId": "b1", "startTime": 5}]},
        lambda v: v.data_list[0].start_time,
    ),
    (
        "list_restorable_tenants",
        [{"tenantId": "t1", "backupSetRestoreSummaries": "abc"}],
        lambda v: v[0].backup_set_restore_summaries or None,
    ),
    (
        "list_restorable_tenants",
        [{"tenantId": "t1", "backupSetRestoreSummaries": {"a": 1}}],
        lambda v: v[0].backup_set_restore_summaries or None,
    ),
]
"""Answers with an informative field (or an unknown one) of another type: read, the
field left out. (contract/openapi.yaml names what the client decides on.)"""


@pytest.mark.parametrize(
    ("method", "data", "field"), TOLERATED_DATA, ids=[repr(d)[:60] for _, d, _ in TOLERATED_DATA]
)
async def test_a_field_the_client_decides_nothing_on_never_fails_a_call(
    method: str, data: Any, field: Callable[[Any], Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("DEBUG", logger="ob_async.wire"):
        outcome, _ = await run_one(method, sends_json(200, ok_envelope(data)))
    assert outcome.error is None, f"{method} refused {data!r}: {outcome.error!r}"
    assert field(outcome.value) is None
    if data not in ({}, {"tenantId": None}):  # absent or null is "not given": nothing to log
        assert "left out" in caplog.text


@pytest.mark.parametrize(("method", "data"), WRONG_DATA, ids=[repr(d)[:60] for _, d in WRONG_DATA])
async def test_wrong_types_in_data_are_refused_naming_the_call(method: str, data: Any) -> None:
    outcome, _ = await run_one(method, sends_json(200, ok_envelope(data)))
    assert isinstance(outcome.error, ProtocolError), f"{method} accepted {data!r}: {outcome!r}"
    operation = "list_tenants" if method == "iter_tenants" else method
    assert str(outcome.error).startswith(f"{operation}: unexpected response data")
    check_error_is_well_formed(outcome.error)


ENVELOPE_METADATA: list[dict[str, Any]] = [
    {"cost": 10**400},
    {"cost": -(10**400)},
    {"cost": "3"},
    {"cost": [1]},
    {"cost": True},
    {"totalCount": "many"},
    {"totalCount": 10**400},
    {"requestId": 5},
    {"requestId": ["x"]},
    {"requestId": None},
    {"server": {"name": "s"}},
    {"extra": [1, 2]},
]


@pytest.mark.parametrize("metadata", ENVELOPE_METADATA, ids=repr)
async def test_odd_envelope_metadata_never_breaks_a_valid_answer(metadata: dict[str, Any]) -> None:
    envelope = {**ok_envelope(TENANT), **metadata}
    async with RawHttpServer(sends_json(200, envelope)) as server:
        outcomes = await attempt_all(server.url, ["describe_tenant", "create_restore_task"])
    detail, created = outcomes["describe_tenant"], outcomes["create_restore_task"]
    assert detail.error is None, repr(detail.error)
    assert detail.value == TenantDetail(
        tenant_id="t1", tenant_name="a", status="ONLINE", description=""
    )
    assert created.error is None, repr(created.error)
    result: Envelope = created.value
    assert result.success is True
    assert result.request_id  # the server's (as text) or ours
    assert result.cost is None or math.isfinite(result.cost)
    assert result.total_count is None or isinstance(result.total_count, int)


# --- paging: a hostile server cannot keep iter_tenants going ---------------------------


def full_page(first: int, size: int = ob_async._api.operations.MAX_PAGE_SIZE) -> dict[str, Any]:
    return {
        "dataList": [
            {"tenantId": f"t{n}", "tenantName": f"n{n}", "status": "ONLINE"}
            for n in range(first, first + size)
        ]
    }


async def test_a_server_that_ignores_page_number_cannot_keep_iteration_going() -> None:
    responder = sends_json(200, ok_envelope(full_page(0)))
    async with RawHttpServer(responder) as server, client_for(server.url) as client:
        outcome = await attempt(CALLS["iter_tenants"], client)
    assert isinstance(outcome.error, ProtocolError), repr(outcome)
    assert "pageNumber" in str(outcome.error)
    assert len(server.requests) == 2


async def test_endless_distinct_full_pages_stop_at_the_page_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ob_async._api.operations, "MAX_PAGES", 5)

    async def respond(request: Request, reply: Reply) -> None:
        number = int(request.target.split("pageNumber=")[1].split("&")[0])
        page = full_page(number * 1000)
        await reply.send(response_bytes(200, json_bytes(ok_envelope(page))))

    async with RawHttpServer(respond) as server, client_for(server.url) as client:
        outcome = await attempt(CALLS["iter_tenants"], client)
    assert isinstance(outcome.error, ProtocolError), repr(outcome)
    assert "past page 5" in str(outcome.error)
    assert len(server.requests) == 5


async def test_a_total_that_lies_low_or_high_still_ends() -> None:
    pages = {1: {**full_page(0, 2), "total": 10**9}, 2: {**full_page(2, 1), "total": 0}}

    async def respond(request: Request, reply: Reply) -> None:
        number = int(request.target.split("pageNumber=")[1].split("&")[0])
        await reply.send(response_bytes(200, json_bytes(ok_envelope(pages[number]))))

    async with RawHttpServer(respond) as server, client_for(server.url) as client:
        tenants = [t.tenant_id async for t in client.iter_tenants("ob1", page_size=2)]
    assert tenants == ["t0", "t1", "t2"]
    assert len(server.requests) == 2
