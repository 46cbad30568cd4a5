"""Each hand-unrolled fast path gives exactly what the general code it replaces gives.

Three shortcuts sit on the path of every submission; each is checked here against
the code it stands in for, on generated inputs:

- ``_with_description`` (``ob_async/_restore/submit.py``) against ``attrs.evolve``;
- the inline body read in ``Session._send`` (``ob_async/_http/session.py``) against
  the general ``Session._read_body``, on real HTTP answers from a local server;
- the retry machine's ``iter`` (``ob_async/_restore/retry.py``), which answers a call
  not yet tried and an attempt that returned itself, against tenacity's own ``iter``
  given the same strategies, over generated runs of attempts (also on the lowest
  tenacity allowed: ``tests/test_dependency_floor.py``).
"""

from __future__ import annotations

import asyncio
import gzip
import zlib
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
import tenacity
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from ob_async._http.config import ClientConfig
from ob_async._http.credentials import Credentials
from ob_async._http.session import Session
from ob_async._restore.retry import Backoff, RetryPolicy, RetryQuota, RetryRun, _CallState
from ob_async._restore.submit import _with_description
from ob_async._wire.codec import to_wire
from ob_async._wire.models import RestoreMode, RestoreObjectType, RestoreRequest, TenantResource
from ob_async.errors import ProtocolError, ServerError, TransportTimeout
from tests.support.fakes import FakeClock

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


# --- the retry machine's iter -----------------------------------------------------------

attempt_outcomes = st.lists(
    st.sampled_from(["ok", "again", "busy", "timeout", "refused", "bug", "try-again"]),
    min_size=1,
    max_size=8,
)


def outcome_of(kind: str) -> object:
    """A fresh result or error for one attempt: its kind, as the generated run says."""
    errors: dict[str, BaseException] = {
        "busy": ServerError("busy", status=503),
        "timeout": TransportTimeout("read timed out", may_have_reached_server=True),
        "refused": ServerError("bad request", status=400),
        "bug": KeyError("not an ObError"),
        "try-again": tenacity.TryAgain(),
    }
    return errors.get(kind, kind)


def drive(retrying: tenacity.Retrying, run: RetryRun, kinds: list[str]) -> list[tuple[Any, ...]]:
    """Ask ``retrying`` what to do until it returns or raises, as ``RetryRun.call`` does."""
    retrying.begin()
    state = _CallState(retrying, run)
    run._started = run._clock.monotonic()
    answers: list[tuple[Any, ...]] = []
    for kind in [*kinds, *["ok"] * 20]:
        try:
            action = retrying.iter(retry_state=state)
        except BaseException as error:
            return [*answers, ("raised", type(error), str(error))]
        while isinstance(action, tenacity.DoSleep):
            answers.append(("sleep", float(action), state.idle_for))
            state.prepare_for_next_attempt()
            run._clock.elapsed += float(action)
            action = retrying.iter(retry_state=state)
        if not isinstance(action, tenacity.DoAttempt):
            return [*answers, ("returned", action)]
        answers.append(("attempt", state.attempt_number))
        outcome = outcome_of(kind)
        if isinstance(outcome, BaseException):
            state.set_exception((type(outcome), outcome, None))
        else:
            state.set_result(outcome)
    raise AssertionError("the machine never returned nor raised")


def tenacitys_own(retrying: tenacity.Retrying) -> tenacity.Retrying:
    """A stock tenacity Retrying with the same strategies as ``retrying``."""
    return tenacity.Retrying(
        retry=retrying.retry,
        stop=retrying.stop,
        wait=retrying.wait,
        before=retrying.before,
        after=retrying.after,
        before_sleep=retrying.before_sleep,
        reraise=retrying.reraise,
    )


@given(
    attempt_outcomes,
    st.integers(1, 6),
    st.sampled_from([None, 0.3, 5.0]),
    st.integers(0, 12),
    st.booleans(),
    st.booleans(),
)
def test_the_retry_machines_iter_answers_as_tenacitys_own(
    kinds: list[str],
    max_attempts: int,
    deadline: float | None,
    capacity: int,
    retry_results: bool,
    with_before: bool,
) -> None:
    policy = RetryPolicy(
        max_attempts=max_attempts, deadline=deadline, backoff=Backoff(base=0.1, cap=1.0)
    )
    ours = policy._machine.retrying
    heard: list[str] = []
    if retry_results or with_before:
        # The machine with other strategies than the policy's: a result that is retried
        # (never answered by the shortcut) and a before (no shortcut for a first try).
        retry = ours.retry
        if retry_results:
            retry = retry | tenacity.retry_if_result(lambda value: value == "again")
        ours = type(ours)(
            retry=retry,
            stop=ours.stop,
            wait=ours.wait,
            before=(lambda _: heard.append("before")) if with_before else None,
            before_sleep=ours.before_sleep,
            reraise=True,
        )
    results = []
    for machine in (ours, tenacitys_own(ours)):
        heard.clear()
        quota = RetryQuota(capacity)
        notes: list[tuple[int, float]] = []
        run = policy.start(
            quota=quota,
            clock=FakeClock(),
            rng=lambda: 0.5,
            before_sleep=lambda pending, notes=notes: notes.append((pending.attempt, pending.wait)),
        )
        answers = drive(machine, run, kinds)
        results.append((answers, notes, list(heard), quota.available, quota.refused))
    assert results[0] == results[1]


def test_the_retry_machines_iter_is_the_one_in_use() -> None:
    retrying = RetryPolicy()._machine.retrying
    assert type(retrying).iter is not tenacity.Retrying.iter
    assert retrying.before is None  # so a first try is answered by the shortcut
    state = _CallState(retrying, RetryPolicy().start())
    assert isinstance(retrying.iter(retry_state=state), tenacity.DoAttempt)
    assert retrying.iter_state.actions == []  # tenacity's action list was not built


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
