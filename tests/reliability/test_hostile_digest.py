"""Hostile digest: every bad challenge ends in a bounded number of requests with a clear error.

Servers answer with malformed or enormous ``WWW-Authenticate`` headers, only
schemes or algorithms we cannot answer, ``stale=true`` forever, a fresh 401 after
every answer, challenges without nonce or realm, and redirects to another origin
or the same one. Each server counts the requests it receives; each call must end
with an AuthenticationError or a ProtocolError after a bounded number of them. A
second server plays "another origin" and must receive nothing at all, so no
``Authorization`` header can ever have reached it.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Callable, Sequence

import pytest

from ob_async._restore.retry import Backoff, RetryPolicy
from ob_async._restore.submit import SubmissionOutcome
from ob_async.errors import (
    AuthenticationError,
    ChallengeError,
    ObError,
    ProtocolError,
    TransportError,
)

from ._hostile import (
    CALLS,
    HANG_AFTER,
    RawHttpServer,
    Reply,
    Request,
    Responder,
    attempt,
    client_for,
    json_bytes,
    ok_envelope,
    response_bytes,
    restore_request,
)

FAILURE = json_bytes({"success": False, "errorCode": "Unauthorized", "errorMessage": "no"})
TENANT = {"tenantId": "t1", "tenantName": "a", "status": "ONLINE", "description": ""}
# Per call: one request without credentials, one answer, and at most three stale renewals.
MAX_REQUESTS_PER_CALL = 5
_nonces = itertools.count()


def fresh_nonce() -> str:
    return f"nonce-{next(_nonces):08d}"


def digest(nonce: str | None = None, **params: str) -> str:
    fields = {"realm": '"hostile"', "qop": '"auth"', "algorithm": "MD5", **params}
    fields["nonce"] = f'"{nonce or fresh_nonce()}"'
    return "Digest " + ", ".join(f"{key}={value}" for key, value in fields.items())


def unauthorized(
    challenges: Callable[[], Sequence[str]], body: bytes = FAILURE, status: int = 401
) -> Responder:
    """Answer every request with ``status`` and the ``WWW-Authenticate`` values given."""

    async def respond(request: Request, reply: Reply) -> None:
        headers = [("WWW-Authenticate", value) for value in challenges()]
        await reply.send(response_bytes(status, body, headers=headers))

    return respond


def then(first: Responder, after_authorization: Responder) -> Responder:
    """``first`` for requests without credentials, ``after_authorization`` for the others."""

    async def respond(request: Request, reply: Reply) -> None:
        await (first if request.authorization is None else after_authorization)(request, reply)

    return respond


def ok() -> Responder:
    async def respond(request: Request, reply: Reply) -> None:
        await reply.send(response_bytes(200, json_bytes(ok_envelope(TENANT))))

    return respond


def redirect(status: int, location: str) -> Responder:
    async def respond(request: Request, reply: Reply) -> None:
        await reply.send(
            response_bytes(status, b"", content_type=None, headers=[("Location", location)])
        )

    return respond


async def one_call(
    responder: Responder, method: str = "describe_tenant"
) -> tuple[ObError, RawHttpServer]:
    async with RawHttpServer(responder) as server, client_for(server.url) as client:
        outcome = await attempt(CALLS[method], client)
    assert outcome.error is not None, f"a value came back: {outcome.value!r}"
    assert outcome.seconds < HANG_AFTER
    return outcome.error, server


# --- malformed and enormous challenges -------------------------------------------------

MALFORMED = {
    "unterminated quoted string": 'Digest realm="hostile, nonce="n1"',
    "missing comma between params": 'Digest realm="hostile" nonce="n1"',
    "a parameter without a value": 'Digest realm="hostile", nonce=',
    "a parameter without a name": 'Digest ="hostile"',
    "a repeated parameter": 'Digest realm="a", realm="b", nonce="n1"',
    "a control character in a value": 'Digest realm="hos\x01tile", nonce="n1"',
    "only commas and equals": ", , =,= ,",
    "a scheme of punctuation": '"Digest" realm="x"',
    "a token68 followed by a parameter": 'Digest abc==, realm="x"',
    "an empty value": "",
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
async def test_a_malformed_challenge_is_a_challenge_error_after_one_request(case: str) -> None:
    error, server = await one_call(unauthorized(lambda: [MALFORMED[case]]))
    assert isinstance(error, ChallengeError), repr(error)
    assert "malformed WWW-Authenticate" in str(error)
    assert len(server.requests) == 1
    assert server.requests[0].authorization is None


async def test_a_one_megabyte_challenge_is_refused_by_the_http_layer_as_a_protocol_error() -> None:
    # aiohttp refuses any header line over 8190 bytes before ob_async sees it; what
    # reaches the caller is still a ProtocolError, after a single request.
    enormous = 'Digest realm="hostile", nonce="n1", opaque="' + "o" * (1024 * 1024) + '"'
    error, server = await one_call(unauthorized(lambda: [enormous]))
    assert type(error) is ProtocolError, repr(error)
    assert "malformed HTTP response" in str(error)
    assert len(server.requests) == 1


async def test_a_submission_meeting_a_one_megabyte_challenge_fails_and_is_never_unknown() -> None:
    # The challenge answers a request without credentials, which the API cannot have
    # acted on: nothing can exist, so the submission fails (it used to end `unknown`
    # after a dozen requests, each retry looking the target up first).
    enormous = 'Digest realm="hostile", nonce="n1", opaque="' + "o" * (1024 * 1024) + '"'
    async with (
        RawHttpServer(unauthorized(lambda: [enormous])) as server,
        client_for(server.url) as client,
    ):
        submission = await client.submit_restore(
            "ob1",
            restore_request(),
            policy=RetryPolicy(max_attempts=3, backoff=Backoff(base=0, cap=0)),
        )
    assert submission.outcome is SubmissionOutcome.FAILED, submission.outcome
    assert isinstance(submission.error, ProtocolError)
    assert not any(attempt.ambiguous for attempt in submission.attempts)
    assert not any(attempt.looked_up for attempt in submission.attempts)
    assert len(server.requests) <= 3


async def test_a_hundred_challenge_headers_of_8_kb_each_are_refused() -> None:
    # 800 KB of challenges in headers that each pass aiohttp's per-line limit.
    padding = "p" * 8000
    values = [f'Basic realm="{padding}{n}"' for n in range(100)]
    error, server = await one_call(unauthorized(lambda: values))
    assert isinstance(error, ChallengeError), repr(error)
    assert "more than 64 challenges" in str(error)
    assert len(server.requests) == 1


async def test_a_thousand_challenges_in_one_header_are_refused() -> None:
    value = ", ".join(f"Scheme{n} realm=x" for n in range(1000))[:8000]
    error, server = await one_call(unauthorized(lambda: [value]))
    assert isinstance(error, ChallengeError), repr(error)
    assert len(server.requests) == 1


# --- challenges we cannot answer -------------------------------------------------------

UNANSWERABLE = {
    "SHA-1 only": [digest(algorithm="SHA-1")],
    "an unknown algorithm": [digest(algorithm="BLAKE3")],
    "SHA-1 and Basic": [digest(algorithm="SHA-1"), 'Basic realm="hostile"'],
    "auth-conf only": [digest(qop='"auth-conf"')],
    "MD5-sess without qop": [
        'Digest realm="hostile", nonce="n1", algorithm=MD5-sess',
    ],
    "no nonce": ['Digest realm="hostile", qop="auth", algorithm=MD5'],
    "an empty nonce": ['Digest realm="hostile", nonce="", qop="auth"'],
    "no realm": ['Digest nonce="n1", qop="auth", algorithm=MD5'],
    "neither nonce nor realm": ["Digest qop=auth"],
}


@pytest.mark.parametrize("case", sorted(UNANSWERABLE))
async def test_an_unanswerable_digest_challenge_is_an_authentication_error(case: str) -> None:
    error, server = await one_call(unauthorized(lambda: UNANSWERABLE[case]))
    assert type(error) is AuthenticationError, repr(error)
    assert "no Digest challenge we can answer" in str(error)
    assert error.status == 401
    assert len(server.requests) == 1
    assert server.requests[0].authorization is None


OTHER_SCHEMES = {
    "Basic only": ['Basic realm="hostile"'],
    "Bearer only": ['Bearer realm="hostile", error="invalid_token"'],
    "Negotiate only": ["Negotiate"],
    "Basic and Bearer": ['Basic realm="a"', 'Bearer realm="b"'],
    "no WWW-Authenticate at all": [],
}


@pytest.mark.parametrize("case", sorted(OTHER_SCHEMES))
@pytest.mark.parametrize(
    ("body", "expected"),
    [(FAILURE, AuthenticationError), (b"", ProtocolError), (b"<html>401</html>", ProtocolError)],
    ids=["failure envelope", "empty body", "html body"],
)
async def test_a_401_offering_no_digest_is_final_after_one_request(
    case: str, body: bytes, expected: type[ObError]
) -> None:
    error, server = await one_call(unauthorized(lambda: OTHER_SCHEMES[case], body))
    assert type(error) is expected, repr(error)
    assert error.status == 401  # type: ignore[attr-defined]
    assert "401" in str(error)
    assert len(server.requests) == 1
    assert server.requests[0].authorization is None


# --- loops: stale forever, 401 after every answer --------------------------------------


@pytest.mark.parametrize("same_nonce", [False, True], ids=["fresh nonces", "the same nonce"])
async def test_stale_forever_gives_up_after_a_bounded_number_of_requests(same_nonce: bool) -> None:
    nonce = fresh_nonce()
    responder = unauthorized(lambda: [digest(nonce if same_nonce else None, stale="true")])
    error, server = await one_call(responder)
    assert type(error) is AuthenticationError, repr(error)
    assert "stale=true" in str(error)
    assert 2 <= len(server.requests) <= MAX_REQUESTS_PER_CALL


async def test_a_401_after_every_answer_means_refused_credentials_and_no_more_requests() -> None:
    async with RawHttpServer(unauthorized(lambda: [digest()])) as server:
        async with client_for(server.url) as client:
            outcomes = [await attempt(CALLS[name], client) for name in sorted(CALLS)]
    for outcome in outcomes:
        assert type(outcome.error) is AuthenticationError, repr(outcome)
    # The first call: once without credentials, once answering the challenge. Every
    # later call knows the credentials were refused and sends nothing.
    assert len(server.requests) == 2
    assert [request.authorization is not None for request in server.requests] == [False, True]
    assert "refused" in str(outcomes[-1].error)


BURSTS: dict[str, tuple[Callable[[], Sequence[str]], int]] = {
    # what the server offers on every 401: (challenge values, the most requests allowed)
    # A usable first challenge lets the queued calls go out with the first call's answer,
    # so refused credentials cost each call at most one request of its own (and one more
    # confirms the refusal); a first challenge that fails the handshake costs one
    # handshake's worth in all.
    "a fresh challenge after every answer": (lambda: [digest()], 1 + 200 + 1),
    "stale=true forever": (lambda: [digest(stale="true")], MAX_REQUESTS_PER_CALL),
    "SHA-1 only": (lambda: [digest(algorithm="SHA-1")], 1),
    "a malformed challenge": (lambda: ['Digest realm="x'], 1),
}


@pytest.mark.parametrize("case", sorted(BURSTS))
async def test_200_concurrent_calls_against_401_forever_cost_one_handshake(case: str) -> None:
    challenge, bound = BURSTS[case]
    async with RawHttpServer(unauthorized(challenge)) as server:
        async with client_for(server.url) as client:
            outcomes = await asyncio.gather(
                *(attempt(CALLS["list_tenants"], client) for _ in range(200))
            )
    kinds = {type(outcome.error) for outcome in outcomes}
    assert kinds <= {AuthenticationError, ChallengeError}, kinds
    for outcome in outcomes:
        assert outcome.error is not None
        assert outcome.error.request_id  # type: ignore[attr-defined]
    # The calls queued behind a failed handshake share its failure without a request
    # each; refused credentials cost no call more than one request of its own.
    assert len(server.requests) <= bound, len(server.requests)


async def test_200_concurrent_calls_against_a_basic_only_401_cost_one_request_each() -> None:
    # A 401 offering no Digest challenge is the API's final answer to that call (it may
    # carry a failure envelope): each call gets its own, and nothing is ever retried.
    responder = unauthorized(lambda: ['Basic realm="x"'])
    async with RawHttpServer(responder) as server, client_for(server.url) as client:
        outcomes = await asyncio.gather(
            *(attempt(CALLS["list_tenants"], client) for _ in range(200))
        )
    assert all(type(outcome.error) is AuthenticationError for outcome in outcomes)
    assert len(server.requests) == 200
    assert all(request.authorization is None for request in server.requests)


# --- a resent answer is not a refusal ---------------------------------------------------


def _nonce_and_count(authorization: str) -> tuple[str, str]:
    nonce = re.search(r'nonce="([^"]*)"', authorization)
    count = re.search(r"nc=([0-9a-fA-F]{8})", authorization)
    assert nonce, authorization
    assert count, authorization
    return nonce.group(1), count.group(1)


@pytest.mark.parametrize("method", ["describe_tenant", "delete_tenant"])
async def test_a_dropped_answer_to_a_fresh_challenge_does_not_condemn_the_credentials(
    method: str,
) -> None:
    # A keep-alive server that records every (nonce, nc) and refuses a repeated one with
    # a fresh challenge, as RFC 7616 servers do. It processes the answer to its first
    # challenge and then drops the connection without replying (a lost response). An
    # HTTP client that silently resends the request on a new connection repeats the
    # (nonce, nc): the server must call that a replay, and the client must not take
    # the replay refusal for a refusal of its credentials.
    seen: set[tuple[str, str]] = set()
    dropped: list[str] = []

    async def respond(request: Request, reply: Reply) -> bool | None:
        if request.authorization is None:
            await reply.send(
                response_bytes(
                    401, FAILURE, headers=[("WWW-Authenticate", digest())], keep_alive=True
                )
            )
            return True
        key = _nonce_and_count(request.authorization)
        if key in seen:  # a replay
            await reply.send(
                response_bytes(
                    401, FAILURE, headers=[("WWW-Authenticate", digest())], keep_alive=True
                )
            )
            return True
        seen.add(key)
        if not dropped:
            dropped.append(request.target)
            return None  # processed; the answer is lost with the connection
        await reply.send(response_bytes(200, json_bytes(ok_envelope(TENANT)), keep_alive=True))
        return True

    async with RawHttpServer(respond, keep_alive=True) as server:
        async with client_for(server.url) as client:
            first = await attempt(CALLS[method], client)
            second = await attempt(CALLS[method], client)
    # The lost answer is a transport failure that may have reached the server ...
    assert isinstance(first.error, TransportError), repr(first)
    assert first.error.may_have_reached_server
    # ... and the credentials still work for the next call.
    assert second.error is None, repr(second.error)
    repeated = [_nonce_and_count(r.authorization) for r in server.requests if r.authorization]
    assert len(repeated) == len(set(repeated)), "a (nonce, nc) pair was sent twice"


# --- redirects: refused, and nothing reaches another origin ----------------------------

REDIRECTS = (301, 302, 303, 307, 308)


def _nothing_reached(other: RawHttpServer) -> None:
    assert other.connections == [], "another origin was contacted"


@pytest.mark.parametrize("status", REDIRECTS)
@pytest.mark.parametrize("when", ["before the challenge", "after the challenge", "when warm"])
async def test_a_redirect_to_another_origin_is_refused_and_the_other_origin_hears_nothing(
    status: int, when: str
) -> None:
    async with RawHttpServer(ok()) as other:
        target = f"{other.url}/api/v2/steal"
        bounce = redirect(status, target)
        if when == "before the challenge":
            responder = bounce
        else:
            responder = then(unauthorized(lambda: [digest()]), bounce)
        async with RawHttpServer(responder) as server, client_for(server.url) as client:
            if when == "when warm":
                # Warm the client (its calls now carry Authorization pre-emptively)
                # against a well-behaved phase of the same server.
                server.respond = then(unauthorized(lambda: [digest()]), ok())
                warm = await attempt(CALLS["describe_tenant"], client)
                assert warm.error is None, repr(warm.error)
                server.respond = bounce
            outcomes = {name: await attempt(CALLS[name], client) for name in sorted(CALLS)}
    for name, outcome in outcomes.items():
        assert type(outcome.error) is ProtocolError, f"{name}: {outcome!r}"
        assert f"redirect to '{target}' refused" in str(outcome.error)
        assert outcome.error.status == status
    _nothing_reached(other)
    assert all(request.target.startswith("/api/v2/instances/") for request in server.requests)


@pytest.mark.parametrize(
    "location",
    [
        "//{host}/api/v2/steal",
        "http://user:pass@{host}/x",
        "http://{host}",
        "  http://{host}/x  ",
        "HTTP://{host}/x",
    ],
)
async def test_odd_locations_to_another_origin_are_refused_too(location: str) -> None:
    async with RawHttpServer(ok()) as other:
        host = other.url.removeprefix("http://")
        responder = then(
            unauthorized(lambda: [digest()]), redirect(302, location.format(host=host))
        )
        error, server = await one_call(responder)
    assert type(error) is ProtocolError, repr(error)
    assert "redirect" in str(error)
    assert len(server.requests) == 2
    _nothing_reached(other)


@pytest.mark.parametrize("status", REDIRECTS)
async def test_a_same_origin_redirect_is_refused_and_not_followed(status: int) -> None:
    responder = then(unauthorized(lambda: [digest()]), redirect(status, "/api/v2/elsewhere"))
    error, server = await one_call(responder)
    assert type(error) is ProtocolError, repr(error)
    assert "/api/v2/elsewhere" in str(error)
    assert len(server.requests) == 2
    assert not any("elsewhere" in request.target for request in server.requests)


async def test_a_challenge_whose_domain_names_another_origin_does_not_widen_the_credentials() -> (
    None
):
    async with RawHttpServer(ok()) as other:
        challenge = digest(domain=f'"{other.url}/ /"')
        responder = then(unauthorized(lambda: [challenge]), redirect(307, f"{other.url}/x"))
        error, _ = await one_call(responder)
    assert type(error) is ProtocolError, repr(error)
    _nothing_reached(other)


async def test_redirects_with_a_huge_location_stay_bounded() -> None:
    location = "http://127.0.0.1:1/" + "a" * 8000
    error, server = await one_call(redirect(302, location))
    assert type(error) is ProtocolError, repr(error)
    assert len(str(error)) < 16 * 1024
    assert len(server.requests) == 1
