"""Each hand-unrolled fast path gives exactly what the general code it replaces gives.

Three shortcuts sit on the path of every submission; each is checked here against
the code it stands in for, on generated inputs:

- the written-out ``RestoreRequest`` unstructure hook (``ob_async/wire/codec.py``)
  against the hook cattrs generates for the same renamed fields;
- ``_with_description`` (``ob_async/restore/submit.py``) against ``attrs.evolve``;
- the inline body read in ``Session._send`` (``ob_async/http/session.py``) against
  the general ``Session._read_body``, on real HTTP answers from a local server.
"""

from __future__ import annotations

import asyncio
import gzip
import zlib
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from aiohttp import web
from cattrs.gen import make_dict_unstructure_fn, override
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from ob_async.errors import ProtocolError
from ob_async.http.config import ClientConfig
from ob_async.http.credentials import Credentials
from ob_async.http.session import Session
from ob_async.restore.submit import _with_description
from ob_async.wire import jsonwire
from ob_async.wire.codec import camel_case, converter, to_wire
from ob_async.wire.models import RestoreMode, RestoreObjectType, RestoreRequest, TenantResource

# --- RestoreRequest, generated ----------------------------------------------------------

names = st.text(min_size=1, max_size=12).filter(str.strip)
offsets = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
)
aware_times = st.datetimes(
    min_value=datetime(1971, 1, 2), max_value=datetime(2099, 12, 30), timezones=offsets
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
resources = st.builds(
    TenantResource,
    cpu=st.integers(1, 1024),
    memory=st.integers(1, 4096),
    unit_num=st.integers(1, 64),
)
requests = st.builds(
    RestoreRequest,
    source_instance_id=names,
    source_tenant_id=names,
    target_instance_id=names,
    target_tenant_name=names,
    target_tenant_primary_zone=names,
    restore_time=aware_times,
    tenant_resource=resources,
    target_tenant_description=st.text(max_size=40),
    from_remote=st.booleans(),
    restore_object_type=st.sampled_from(RestoreObjectType),
    restore_objects=st.lists(json_values, max_size=4),
    restore_mode=st.sampled_from(RestoreMode),
)

GENERATED_HOOK = make_dict_unstructure_fn(
    RestoreRequest,
    converter,
    **{f.name: override(rename=camel_case(f.name)) for f in attrs.fields(RestoreRequest)},
)
"""What cattrs builds for RestoreRequest from the converter's own rules."""


@given(requests)
def test_the_written_out_unstructure_hook_equals_the_generated_one(
    request: RestoreRequest,
) -> None:
    written = to_wire(request)
    generated = GENERATED_HOOK(request)
    # Same keys in the same order, and the same bytes on the wire (the generated hook
    # keeps restoreObjects a tuple where the written one makes a list: JSON is one).
    assert list(written) == list(generated)
    assert jsonwire.dumps(written) == jsonwire.dumps(generated)
    assert {k: v for k, v in written.items() if k != "restoreObjects"} == {
        k: v for k, v in generated.items() if k != "restoreObjects"
    }
    assert written["restoreObjects"] == list(generated["restoreObjects"])


def test_the_written_out_hook_is_the_one_in_use() -> None:
    # Otherwise the property above would compare the generated hook with itself.
    hook = converter.get_unstructure_hook(RestoreRequest)
    assert hook.__name__ == "unstructure_restore_request"


# --- _with_description -----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class AuditedRequest(RestoreRequest):
    """A subclass, whose __init__ may do more: it must go through evolve."""

    audited_by: str = "ops"


@given(requests, st.text(max_size=60))
def test_with_description_equals_attrs_evolve(request: RestoreRequest, description: str) -> None:
    shortcut = _with_description(request, description)
    reference = attrs.evolve(request, target_tenant_description=description)
    assert type(shortcut) is type(reference) is RestoreRequest
    assert shortcut == reference
    assert to_wire(shortcut) == to_wire(reference)
    assert request.target_tenant_description != description or shortcut == request


@given(requests, st.text(max_size=20))
def test_with_description_of_a_subclass_is_evolve_itself(
    request: RestoreRequest, description: str
) -> None:
    audited = AuditedRequest(**attrs.asdict(request, recurse=False), audited_by="dr-team")
    shortcut = _with_description(audited, description)
    assert type(shortcut) is AuditedRequest
    assert shortcut == attrs.evolve(audited, target_tenant_description=description)


@given(requests, st.sampled_from([None, 42, b"bytes"]))
def test_with_description_refuses_what_evolve_refuses(
    request: RestoreRequest, description: Any
) -> None:
    with pytest.raises(TypeError):
        attrs.evolve(request, target_tenant_description=description)
    with pytest.raises(TypeError):
        _with_description(request, description)


# --- the inline body read ---------------------------------------------------------------


@attrs.frozen
class Answer:
    """One HTTP answer the local server gives."""

    body: bytes
    encoding: str | None
    """None (identity), "gzip" or "deflate"."""
    chunked: bool
    """Without Content-Length, in chunks."""
    status: int


answers = st.builds(
    Answer,
    body=st.binary(max_size=3000) | st.builds(lambda n: b"x" * n, st.integers(0, 200_000)),
    encoding=st.sampled_from([None, "gzip", "deflate"]),
    chunked=st.booleans(),
    status=st.sampled_from([200, 404, 500]),
)


def encoded(answer: Answer) -> bytes:
    if answer.encoding == "gzip":
        return gzip.compress(answer.body)
    if answer.encoding == "deflate":
        return zlib.compress(answer.body)
    return answer.body


async def serve(answer: Answer) -> web.AppRunner:
    async def handle(request: web.Request) -> web.StreamResponse:
        payload = encoded(answer)
        headers = {"Content-Type": "application/json"}
        if answer.encoding is not None:
            headers["Content-Encoding"] = answer.encoding
        if not answer.chunked:
            return web.Response(body=payload, status=answer.status, headers=headers)
        response = web.StreamResponse(status=answer.status, headers=headers)
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(payload), 4096):
            await response.write(payload[start : start + 4096])
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/body", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


async def both_reads(answer: Answer, limit: int) -> tuple[object, object]:
    runner = await serve(answer)
    port = runner.addresses[0][1]
    session = Session(
        f"http://127.0.0.1:{port}",
        Credentials("AK", access_key_secret="sk"),
        "p1",
        ClientConfig(max_response_bytes=limit),
    )
    url = f"http://127.0.0.1:{port}/body?requestId=r1"
    try:
        await session.open()
        try:
            fast: object = (await session._send("GET", url, None, None, "r1")).body
        except ProtocolError as error:
            fast = str(error)
        assert session._http is not None
        try:
            async with session._http.request("GET", URL(url, encoded=True)) as response:
                general: object = await session._read_body(response, "r1")
        except ProtocolError as error:
            general = str(error)
        return fast, general
    finally:
        await session.close()
        await runner.cleanup()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers, st.integers(1, 300_000))
def test_the_inline_body_read_equals_the_general_one(answer: Answer, limit: int) -> None:
    fast, general = asyncio.run(both_reads(answer, limit))
    assert fast == general
    if isinstance(fast, bytes):
        assert fast == answer.body
    else:
        # Refused for its size: what it inflates to, or the length it declares.
        assert "ClientConfig.max_response_bytes" in str(fast)
        declared = None if answer.chunked else len(encoded(answer))
        assert len(answer.body) > limit or (declared is not None and declared > limit)
