"""The engine against strict nonce counting, flow by flow (no I/O): refusals told apart, lanes."""

from __future__ import annotations

import pytest

from ob_async._digest import DigestAuth, DigestResponse
from ob_async.errors import AuthenticationError

from . import _reference as ref
from .test_flow import URL, Flow, accepted, make_auth, plain_401

OK = DigestResponse(200)


def nonce_and_nc(header: str | None) -> tuple[str, str]:
    assert header is not None
    params = ref.parse_authorization(header)
    return params["nonce"], params["nc"]


def accepted_once(auth: DigestAuth, nonce: str = "n1") -> None:
    """One call: a 401 with ``nonce``, the answer accepted."""
    flow = auth.flow("GET", URL)
    assert next(flow) is None
    flow.send(plain_401(nonce))
    accepted(flow)


def started(auth: DigestAuth) -> tuple[Flow, str | None]:
    flow = auth.flow("GET", URL)
    return flow, next(flow)


def test_a_refusal_after_an_acceptance_is_a_count_refusal_answered_with_the_new_nonce() -> None:
    auth = make_auth()
    accepted_once(auth)
    flow, header = started(auth)
    assert nonce_and_nc(header) == ("n1", "00000002")
    answer = flow.send(plain_401("n2"))  # as Apache refuses a count: plain 401, new nonce
    assert nonce_and_nc(answer) == ("n2", "00000001")
    assert auth.strict_counts
    assert not auth.rejected
    accepted(flow)


def test_a_client_that_never_meets_a_refusal_keeps_one_shared_nonce() -> None:
    auth = make_auth()
    accepted_once(auth)
    flows = [started(auth) for _ in range(3)]
    assert [nonce_and_nc(header) for _, header in flows] == [
        ("n1", "00000002"),
        ("n1", "00000003"),
        ("n1", "00000004"),
    ]
    assert not auth.strict_counts


def test_a_strict_origin_lends_each_flow_a_nonce_of_its_own() -> None:
    auth = make_auth()
    accepted_once(auth)
    flow, _ = started(auth)
    flow.send(plain_401("n2"))  # learnt: strict; this flow now holds lane n2
    # No idle lane: the next flow fetches one, sending without credentials.
    other, header = started(auth)
    assert header is None
    assert nonce_and_nc(other.send(plain_401("n3"))) == ("n3", "00000001")
    accepted(flow)  # lane n2 given back
    accepted(other)  # lane n3 given back
    # Two idle lanes now; two flows in flight at once use one each, counts in order.
    first, first_header = started(auth)
    second, second_header = started(auth)
    assert {nonce_and_nc(first_header), nonce_and_nc(second_header)} == {
        ("n2", "00000002"),
        ("n3", "00000002"),
    }
    accepted(first)
    _, third_header = started(auth)
    assert nonce_and_nc(third_header) == (nonce_and_nc(first_header)[0], "00000003")
    second.close()  # abandoned (a transport failure): its lane is given back too
    _, fourth_header = started(auth)
    assert nonce_and_nc(fourth_header) == (nonce_and_nc(second_header)[0], "00000003")


def test_a_refused_first_count_of_a_nonce_of_its_own_means_refused_credentials() -> None:
    # Strictness cannot explain it: the credentials were revoked meanwhile.
    auth = make_auth()
    accepted_once(auth)
    flow, _ = started(auth)
    flow.send(plain_401("n2"))
    with pytest.raises(StopIteration):
        flow.send(plain_401("n3"))
    assert auth.rejected
    with pytest.raises(AuthenticationError, match="refused"):
        started(auth)


def test_count_refusals_in_a_row_are_bounded() -> None:
    # A server that refuses every count and reissues the same nonce: the counter is
    # shared, so each refusal stays a count's, and the bound is what ends the flow.
    auth = make_auth(max_order_retries=1)
    accepted_once(auth)
    flow, _ = started(auth)
    assert nonce_and_nc(flow.send(plain_401("n1"))) == ("n1", "00000003")
    assert nonce_and_nc(flow.send(plain_401("n1"))) == ("n1", "00000004")
    with pytest.raises(AuthenticationError, match="refused 3 nonce counts in a row"):
        flow.send(plain_401("n1"))


def test_before_any_acceptance_a_refused_shared_nonce_means_refused_credentials() -> None:
    # A cold burst: the first call's answer and a queued call both used n1, both refused.
    auth = make_auth(password="wrong")
    first = auth.flow("GET", URL)
    next(first)
    first.send(plain_401("n1"))
    queued, header = started(auth)
    assert nonce_and_nc(header) == ("n1", "00000002")
    with pytest.raises(StopIteration):
        queued.send(plain_401("n2"))  # judged first: no second request
    assert auth.rejected
    with pytest.raises(StopIteration):
        first.send(plain_401("n3"))  # a final 401 too, not another answer
