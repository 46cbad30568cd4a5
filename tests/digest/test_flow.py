"""DigestAuth.flow: the request/response rules, origin binding, and nonce-count uniqueness."""

from __future__ import annotations

import random
from collections.abc import Generator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ob_async._digest import DigestAuth, DigestResponse, FlowEnd
from ob_async._digest.compute import credentials_hash
from ob_async.errors import AuthenticationError, ChallengeError, InvalidInputError

from . import _reference as ref
from ._server import FakeDigestServer

ORIGIN = "https://api-cloud.oceanbase.com"
URL = f"{ORIGIN}/api/v2/instances/ob-1/tenants?pageNumber=1&pageSize=10"
TARGET = "/api/v2/instances/ob-1/tenants?pageNumber=1&pageSize=10"
PASSWORD = "right password"

Flow = Generator[str | None, DigestResponse, FlowEnd]


def make_auth(password: str = PASSWORD, **kwargs: object) -> DigestAuth:
    return DigestAuth("AK-test", password, origin=ORIGIN, **kwargs)  # type: ignore[arg-type]


def run(
    auth: DigestAuth,
    server: FakeDigestServer,
    method: str = "GET",
    url: str = URL,
    body: bytes = b"",
    target: str = TARGET,
) -> tuple[list[str | None], DigestResponse]:
    """Drive one flow against the server; the Authorization values sent and the final response."""
    flow = auth.flow(method, url, body)
    sent = [next(flow)]
    # Far above any legal flow length, so a looping flow fails instead of hanging.
    for _ in range(20):
        response = server.handle(method.upper(), target, sent[-1], body)
        try:
            sent.append(flow.send(response))
        except StopIteration:
            return sent, response
    pytest.fail(f"the flow kept going after {len(sent)} requests")


def stale_401(nonce: str) -> DigestResponse:
    return DigestResponse(
        401, (f'Digest realm="r", nonce="{nonce}", qop="auth", algorithm=SHA-256, stale=true',)
    )


def plain_401(nonce: str, realm: str = "r") -> DigestResponse:
    return DigestResponse(401, (f'Digest realm="{realm}", nonce="{nonce}", qop="auth"',))


# --- the basic exchange --------------------------------------------------------------


def test_first_request_without_credentials_then_answer_the_challenge() -> None:
    auth, server = make_auth(), FakeDigestServer()
    assert not auth.has_challenge()
    sent, final = run(auth, server)
    assert sent[0] is None
    assert sent[1] is not None
    assert sent[1].startswith("Digest ")
    assert len(sent) == 2
    assert final.status == 200
    assert auth.has_challenge()
    assert not auth.rejected


def test_pre_emptive_after_first_challenge_with_next_nc() -> None:
    auth, server = make_auth(), FakeDigestServer()
    run(auth, server)
    for expected_nc in ("00000002", "00000003"):
        sent, final = run(auth, server)
        assert len(sent) == 1
        assert sent[0] is not None
        assert ref.parse_authorization(sent[0])["nc"] == expected_nc
        assert final.status == 200
    assert server.requests == 4


@pytest.mark.parametrize("status", [200, 204, 403, 404, 429, 500])
def test_non_401_ends_the_flow(status: int) -> None:
    flow = make_auth().flow("GET", URL)
    assert next(flow) is None
    with pytest.raises(StopIteration):
        flow.send(DigestResponse(status, ('Digest realm="r", nonce="n"',)))


def test_401_without_digest_challenge_is_final() -> None:
    auth = make_auth()
    for headers in [(), ('Basic realm="x"',), ("Bearer abc", 'Newauth realm="n"')]:
        flow = auth.flow("GET", URL)
        assert next(flow) is None
        with pytest.raises(StopIteration):
            flow.send(DigestResponse(401, headers))
    assert not auth.has_challenge()
    assert not auth.rejected


def test_401_with_only_unusable_digest_raises() -> None:
    flow = make_auth().flow("GET", URL)
    next(flow)
    with pytest.raises(AuthenticationError, match="SHA-1") as caught:
        flow.send(DigestResponse(401, ('Digest realm="r", nonce="n", algorithm=SHA-1',)))
    assert caught.value.status == 401


def test_malformed_challenge_propagates_challenge_error() -> None:
    flow = make_auth().flow("GET", URL)
    next(flow)
    with pytest.raises(ChallengeError, match="unterminated"):
        flow.send(DigestResponse(401, ('Digest realm="r',)))


def test_method_is_upper_cased_and_body_is_covered_by_auth_int() -> None:
    auth, server = make_auth(), FakeDigestServer(qop="auth-int")
    body = b'{"tenantName": "t1"}'
    sent, final = run(auth, server, method="post", body=body)
    assert final.status == 200
    assert sent[-1] is not None
    assert ref.parse_authorization(sent[-1])["qop"] == "auth-int"
    # A different body with the same cached challenge is still verified correctly.
    sent, final = run(auth, server, method="post", body=b"other")
    assert (len(sent), final.status) == (1, 200)


@pytest.mark.parametrize(
    ("offered", "prefer", "chosen"),
    [
        ("auth, auth-int", True, "auth-int"),
        ("auth, auth-int", False, "auth"),
        ("auth-int", False, "auth-int"),
        ("auth", True, "auth"),
        (None, True, None),
    ],
)
def test_qop_choice(offered: str | None, prefer: bool, chosen: str | None) -> None:
    auth, server = make_auth(prefer_auth_int=prefer), FakeDigestServer(qop=offered)
    sent, final = run(auth, server, method="PUT", body=b"payload")
    assert final.status == 200
    assert sent[-1] is not None
    fields = ref.parse_authorization(sent[-1])
    assert fields.get("qop") == chosen
    if chosen is None:
        assert "nc" not in fields
        assert "cnonce" not in fields


@pytest.mark.parametrize("algorithm", ["MD5", "MD5-sess", "SHA-512-256", "SHA-256-sess"])
def test_each_algorithm_end_to_end(algorithm: str) -> None:
    auth, server = make_auth(), FakeDigestServer(algorithm=algorithm)
    for _ in range(3):
        _, final = run(auth, server, method="DELETE", body=b"x")
        assert final.status == 200


def test_cnonce_is_fresh_per_request() -> None:
    auth, server = make_auth(), FakeDigestServer()
    cnonces = set()
    for _ in range(20):
        sent, _ = run(auth, server)
        assert sent[-1] is not None
        cnonce = ref.parse_authorization(sent[-1])["cnonce"]
        assert len(cnonce) == 32
        int(cnonce, 16)
        cnonces.add(cnonce)
    assert len(cnonces) == 20


# --- stale, wrong credentials, and the bounds --------------------------------------


def test_stale_retries_with_the_new_nonce_and_is_not_a_failure() -> None:
    auth, server = make_auth(), FakeDigestServer()
    run(auth, server)
    server.rotate()
    sent, final = run(auth, server)
    assert final.status == 200
    assert len(sent) == 2
    assert sent[0] is not None
    assert sent[1] is not None
    first, second = ref.parse_authorization(sent[0]), ref.parse_authorization(sent[1])
    assert first["nonce"] != second["nonce"]
    assert second["nonce"] == server.nonce
    assert second["nc"] == "00000001"
    assert not auth.rejected


@pytest.mark.parametrize("max_stale", [0, 1, 3, 5])
def test_stale_forever_is_bounded(max_stale: int) -> None:
    auth = make_auth(max_stale_retries=max_stale)
    flow = auth.flow("GET", URL)
    assert next(flow) is None
    for serial in range(max_stale):
        assert flow.send(stale_401(f"n{serial}")) is not None
    with pytest.raises(AuthenticationError, match="server kept answering stale=true") as caught:
        flow.send(stale_401("last"))
    assert caught.value.status == 401
    assert not auth.rejected


def test_wrong_password_final_401_then_rejected_and_next_flow_raises() -> None:
    auth, server = make_auth(password="wrong password"), FakeDigestServer()
    sent, final = run(auth, server)
    assert final.status == 401
    assert len(sent) == 2
    assert auth.rejected
    requests_before = server.requests
    flow = auth.flow("GET", URL)
    with pytest.raises(AuthenticationError) as caught:
        next(flow)
    message = str(caught.value)
    assert "credentials were refused by realm 'OceanBase Cloud' at " + ORIGIN in message
    assert "not retrying" in message
    assert "wrong password" not in message
    assert caught.value.status == 401
    assert server.requests == requests_before


def test_non_stale_401_on_pre_emptive_gets_one_retry() -> None:
    auth, server = make_auth(), FakeDigestServer()
    run(auth, server)
    server.forget()
    sent, final = run(auth, server)
    assert final.status == 200
    assert len(sent) == 2
    assert not auth.rejected


def test_non_stale_401_on_pre_emptive_then_again_is_rejected() -> None:
    auth = make_auth()
    flow = auth.flow("GET", URL)
    next(flow)
    assert flow.send(plain_401("a")) is not None
    with pytest.raises(StopIteration):
        flow.send(DigestResponse(200))
    flow = auth.flow("GET", URL)
    assert next(flow) is not None  # pre-emptive with nonce a
    assert flow.send(plain_401("b")) is not None  # one retry with the new challenge
    with pytest.raises(StopIteration):
        flow.send(plain_401("c", realm="other"))
    assert auth.rejected
    with pytest.raises(AuthenticationError, match="realm 'r'"):
        next(auth.flow("GET", URL))


def test_stale_after_fresh_is_still_retried_then_rejection_counts_fresh() -> None:
    auth = make_auth()
    flow = auth.flow("GET", URL)
    assert next(flow) is None
    assert flow.send(plain_401("a")) is not None
    assert flow.send(stale_401("b")) is not None
    with pytest.raises(StopIteration):
        flow.send(plain_401("c"))
    assert auth.rejected


def test_rejection_by_another_flow_stops_a_flow_in_flight() -> None:
    auth, server = make_auth(password="wrong password"), FakeDigestServer()
    slow = auth.flow("GET", URL)
    assert next(slow) is None
    run(auth, server)
    assert auth.rejected
    with pytest.raises(AuthenticationError, match="not retrying"):
        slow.send(server.unauthorized())


@settings(max_examples=300)
@given(
    responses=st.lists(
        st.sampled_from(
            [
                DigestResponse(200),
                DigestResponse(500),
                DigestResponse(401),
                DigestResponse(401, ('Basic realm="b"',)),
                DigestResponse(401, ('Digest realm="r", nonce="x", algorithm=SHA-1',)),
                DigestResponse(401, ('Digest realm="r',)),
                plain_401("p1"),
                plain_401("p2"),
                stale_401("s1"),
                stale_401("s2"),
                stale_401("s3"),
            ]
        ),
        min_size=12,
        max_size=12,
    ),
    max_stale=st.integers(0, 4),
    warm=st.booleans(),
)
def test_fuzz_no_flow_loops_and_only_our_errors_escape(
    responses: list[DigestResponse], max_stale: int, warm: bool
) -> None:
    auth = make_auth(max_stale_retries=max_stale)
    if warm:
        warm_flow = auth.flow("GET", URL)
        next(warm_flow)
        warm_flow.send(plain_401("warm"))
    flow = auth.flow("GET", URL)
    requests = 1
    try:
        next(flow)
        for response in responses:
            flow.send(response)
            requests += 1
    except StopIteration:
        pass
    except (AuthenticationError, ChallengeError):
        pass
    else:
        pytest.fail("the flow asked for more than 12 responses")
    assert requests <= 2 + max_stale


# --- origin binding ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://api-cloud.oceanbase.com/api",
        "https://api-cloud.oceanbase.com:8443/api",
        "https://api-cloud.oceanbase.com.evil.example/api",
        "https://api-cloud.oceanbase.com@evil.example/api",
        "https://user:pw@api-cloud.oceanbase.com/api",
        "https://evil.example/?next=https://api-cloud.oceanbase.com/",
        "https://evil.example\\@api-cloud.oceanbase.com/",
        "ftp://api-cloud.oceanbase.com/",
        "/relative/path",
        "https://",
        "https://api-cloud.oceanbase.com:99999/",
        "https://api-cloud.oceanbase.com:44x/",
    ],
)
def test_other_origin_never_gets_credentials_nor_stores_challenges(url: str) -> None:
    auth, server = make_auth(), FakeDigestServer()
    run(auth, server)
    assert auth.has_challenge()
    cached_nonce = server.nonce
    flow = auth.flow("GET", url)
    assert next(flow) is None
    with pytest.raises(StopIteration):
        flow.send(DigestResponse(401, ('Digest realm="evil", nonce="evil-nonce", qop="auth"',)))
    # The cached challenge is still the server's, not the other origin's.
    sent, final = run(auth, server)
    assert sent[0] is not None
    assert ref.parse_authorization(sent[0])["nonce"] == cached_nonce
    assert final.status == 200


def test_other_origin_ignores_rejection_too() -> None:
    auth, server = make_auth(password="wrong password"), FakeDigestServer()
    run(auth, server)
    assert auth.rejected
    flow = auth.flow("GET", "https://elsewhere.example/")
    assert next(flow) is None


@pytest.mark.parametrize(
    ("url", "target"),
    [
        (f"{ORIGIN}/a/b?c=d&e=%2F%20", "/a/b?c=d&e=%2F%20"),
        (f"{ORIGIN}", "/"),
        (f"{ORIGIN}/", "/"),
        (f"{ORIGIN}?x=1", "/?x=1"),
        (f"{ORIGIN}/p#fragment", "/p"),
        (f"{ORIGIN}/p?q#f?g", "/p?q"),
        ("HTTPS://API-Cloud.OceanBase.com:443/Case/Kept?Q=V", "/Case/Kept?Q=V"),
        ("https://api-cloud.oceanbase.com:/x", "/x"),
        (f"{ORIGIN}/caf\u00e9?x=%E2", "/caf\u00e9?x=%E2"),
    ],
)
def test_digest_uri_is_the_request_target_as_given(url: str, target: str) -> None:
    auth, server = make_auth(), FakeDigestServer()
    sent, final = run(auth, server, url=url, target=target)
    assert final.status == 200
    assert sent[-1] is not None
    assert ref.parse_authorization(sent[-1])["uri"] == target


@pytest.mark.parametrize(
    ("origin", "normalised"),
    [
        ("https://api-cloud.oceanbase.com", "https://api-cloud.oceanbase.com"),
        ("HTTPS://API-Cloud.OceanBase.com:443/", "https://api-cloud.oceanbase.com"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://localhost:80", "http://localhost"),
        ("https://host:80", "https://host:80"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("http://[::1]:80", "http://[::1]"),
    ],
)
def test_origin_is_normalised(origin: str, normalised: str) -> None:
    auth = DigestAuth("u", "p", origin=origin)
    assert auth.origin == normalised
    flow = auth.flow("GET", f"{normalised}/x")
    next(flow)
    assert flow.send(plain_401("n")) is not None


def test_bound_to_local_simulator_origin() -> None:
    auth = DigestAuth("AK-test", PASSWORD, origin="http://127.0.0.1:8765")
    server = FakeDigestServer()
    _, final = run(auth, server, url="http://127.0.0.1:8765/api/v2/x", target="/api/v2/x")
    assert final.status == 200
    flow = auth.flow("GET", "http://127.0.0.1:8766/api/v2/x")
    assert next(flow) is None


@pytest.mark.parametrize(
    "origin",
    [
        "api-cloud.oceanbase.com",
        "ftp://host",
        "https://host/path",
        "https://host?q",
        "https://user@host",
        "https://host:port",
        "https://",
        "http://[::1",
        "http://[::1]x",
        "https://ho st",
    ],
)
def test_bad_origin_is_refused(origin: str) -> None:
    with pytest.raises(InvalidInputError, match="is not an origin"):
        DigestAuth("u", "p", origin=origin)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"username": ""}, "the username is empty"),
        ({"username": "\ud800"}, "username is not encodable"),
        ({"password": "\udc80"}, "password is not encodable"),
        ({"max_stale_retries": -1}, "max_stale_retries must be >= 0"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], fragment: str) -> None:
    arguments: dict[str, object] = {"username": "u", "password": "p", "origin": ORIGIN}
    arguments.update(kwargs)
    with pytest.raises(InvalidInputError, match=fragment):
        DigestAuth(**arguments)  # type: ignore[arg-type]


# --- state -----------------------------------------------------------------------------


def test_repr_hides_the_password() -> None:
    auth = make_auth(password="hunter2-secret")
    for text in (repr(auth), str(auth)):
        assert "hunter2-secret" not in text
        assert "AK-test" in text
        assert ORIGIN in text
    assert not hasattr(auth, "__dict__")


def test_ha1_is_computed_once_per_realm_and_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []
    original = credentials_hash

    def counting(algorithm: object, **kwargs: str) -> str:
        calls.append((str(algorithm), kwargs["realm"]))
        return original(algorithm, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("ob_async._digest.auth.credentials_hash", counting)
    auth, server = make_auth(), FakeDigestServer()
    for _ in range(50):
        run(auth, server)
    for _ in range(5):
        server.rotate()
        run(auth, server)
    assert calls == [("SHA-256", "OceanBase Cloud")]
    # -sess shares the inner hash with its plain algorithm; another realm needs its own.
    server.algorithm = "SHA-256-sess"
    server.rotate()
    run(auth, server)
    server.realm = "Other"
    server.rotate()
    run(auth, server)
    assert calls == [("SHA-256", "OceanBase Cloud"), ("SHA-256-sess", "Other")]


def test_a_reissued_nonce_continues_its_count() -> None:
    auth = make_auth()

    def answer(nonce: str) -> str:
        flow = auth.flow("GET", URL)
        next(flow)
        header = flow.send(plain_401(nonce))
        assert header is not None
        accepted(flow)
        return ref.parse_authorization(header)["nc"]

    # Each later flow first spends one count pre-emptively on the cached nonce.
    assert answer("a") == "00000001"  # a:1
    assert answer("b") == "00000001"  # a:2 pre-emptive, then b:1
    assert answer("a") == "00000003"  # b:2 pre-emptive, then a continues at 3


def accepted(flow: Flow) -> None:
    """Feed the flow the server's acceptance of its last answer, which ends it."""
    with pytest.raises(StopIteration):
        flow.send(DigestResponse(200))


def test_stale_flag_does_not_split_the_cached_challenge() -> None:
    auth = make_auth()
    flow = auth.flow("GET", URL)
    next(flow)
    flow.send(DigestResponse(401, ('Digest realm="r", nonce="n", qop="auth"',)))
    accepted(flow)
    flow = auth.flow("GET", URL)
    next(flow)
    header = flow.send(DigestResponse(401, ('Digest realm="r", nonce="n", qop="auth", stale=1',)))
    assert header is not None
    assert ref.parse_authorization(header)["nc"] == "00000003"


def test_exhausted_nonce_count(monkeypatch: pytest.MonkeyPatch) -> None:
    # 2**32 - 1 requests cannot be made in a test; start the counter at its end instead.
    monkeypatch.setattr("ob_async._digest.auth._FIRST_NC", 2**32 - 1)
    auth = make_auth()
    flow = auth.flow("GET", URL)
    next(flow)
    header = flow.send(plain_401("n"))
    assert header is not None
    assert ref.parse_authorization(header)["nc"] == "ffffffff"
    # The pre-emptive path falls back to no credentials and forgets the used-up nonce.
    flow = auth.flow("GET", URL)
    assert next(flow) is None
    assert not auth.has_challenge()
    # The same nonce handed out again cannot be answered.
    with pytest.raises(AuthenticationError, match="counts are used up"):
        flow.send(plain_401("n"))


def test_interleaved_flows_never_repeat_a_nonce_count() -> None:
    rng = random.Random(7616)
    auth, server = make_auth(), FakeDigestServer(qop="auth")
    produced: list[tuple[str, int]] = []
    pending: list[tuple[Flow, DigestResponse]] = []
    finals: list[int] = []

    def submit(flow: Flow, authorization: str | None) -> None:
        if authorization is not None:
            fields = ref.parse_authorization(authorization)
            produced.append((fields["nonce"], int(fields["nc"], 16)))
        pending.append((flow, server.handle("GET", TARGET, authorization)))

    started = 0
    while started < 1000 or pending:
        if started < 1000 and (not pending or rng.random() < 0.5):
            flow = auth.flow("GET", URL)
            started += 1
            submit(flow, next(flow))
            continue
        if rng.random() < 0.005:
            server.rotate()
        flow, response = pending.pop(rng.randrange(len(pending)))
        try:
            submit(flow, flow.send(response))
        except StopIteration:
            finals.append(response.status)

    assert len(finals) == 1000
    assert set(finals) == {200}
    assert not auth.rejected
    assert len(produced) == len(set(produced))
    last: dict[str, int] = {}
    for nonce, nc in produced:
        assert nc > last.get(nonce, 0), (nonce, nc)
        last[nonce] = nc
    assert len(last) > 5  # the server rotated nonces while flows were in flight
    assert server.log == [(nonce, f"{nc:08x}") for nonce, nc in produced]
