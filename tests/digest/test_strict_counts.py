"""The engine against strict nonce counting, flow by flow (no I/O): refusals told apart, lanes."""

from __future__ import annotations

import pytest

from ob_async._digest import DigestAuth, DigestResponse, FlowEnd
from ob_async._digest.contexts import INITIAL_LANES, Lane, LanePool
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


def challenge_401(nonce: str, opaque: str, *, stale: bool = False) -> DigestResponse:
    """As Apache answers: the record's opaque, a new nonce; stale for an expired or lost one."""
    tail = ", stale=true" if stale else ""
    return DigestResponse(
        401, (f'Digest realm="r", nonce="{nonce}", qop="auth", opaque="{opaque}"{tail}',)
    )


def accepted_in(auth: DigestAuth, nonce: str, opaque: str) -> None:
    flow = auth.flow("GET", URL)
    assert next(flow) is None
    flow.send(challenge_401(nonce, opaque))
    accepted(flow)


def ended(flow: Flow, response: DigestResponse) -> FlowEnd:
    with pytest.raises(StopIteration) as stop:
        flow.send(response)
    assert isinstance(stop.value.value, FlowEnd)
    return stop.value.value


def test_only_the_first_flow_refused_in_the_shared_context_answers_in_it() -> None:
    # At Apache a record has one live nonce: two flows answering two refusals of one
    # record would refuse each other. The second one opens a record of its own.
    auth = make_auth()
    accepted_in(auth, "n1", "o1")
    first, _ = started(auth)
    second, _ = started(auth)
    assert nonce_and_nc(first.send(challenge_401("n2", "o1"))) == ("n2", "00000001")
    assert second.send(challenge_401("n3", "o1")) is None  # no credentials: a new record
    answer = second.send(challenge_401("n4", "o2"))
    assert nonce_and_nc(answer) == ("n4", "00000001")
    assert ref.parse_authorization(answer)["opaque"] == "o2"
    accepted(first)
    accepted(second)
    assert not auth.rejected
    assert auth.lanes.live == 2


def test_a_refused_flow_with_no_lane_free_starts_over_when_one_is() -> None:
    auth = make_auth()
    accepted_in(auth, "n0", "o0")
    flows = [started(auth)[0] for _ in range(INITIAL_LANES + 1)]
    flows[0].send(challenge_401("c0", "o0"))  # takes the shared record
    for number, flow in enumerate(flows[1:INITIAL_LANES], start=1):
        assert flow.send(challenge_401(f"c{number}", "o0")) is None
        flow.send(challenge_401(f"l{number}", f"o{number}"))
    assert auth.lanes.live == INITIAL_LANES
    assert not auth.lane_free()
    assert ended(flows[-1], challenge_401("late", "o0")) is FlowEnd.RESTART
    accepted(flows[0])
    assert auth.lane_free()
    restarted, header = started(auth)
    assert nonce_and_nc(header) == ("c0", "00000002")  # the idle lane just given back
    accepted(restarted)


def test_a_lane_forgotten_by_the_server_is_answered_in_the_record_it_names() -> None:
    auth = make_auth()
    accepted_in(auth, "n1", "o1")
    flow, _ = started(auth)
    flow.send(challenge_401("n2", "o1"))  # strict now; this flow's lane is record o1
    accepted(flow)
    again, header = started(auth)
    assert nonce_and_nc(header) == ("n2", "00000002")
    answer = again.send(challenge_401("n3", "o9", stale=True))  # o1 purged: a new record
    assert nonce_and_nc(answer) == ("n3", "00000001")
    assert ref.parse_authorization(answer)["opaque"] == "o9"
    accepted(again)
    assert auth.lanes.ceiling == 1  # the server kept fewer records than the one lane


def test_a_lane_forgotten_twice_in_one_flow_is_given_up() -> None:
    auth = make_auth()
    accepted_in(auth, "n1", "o1")
    flow, _ = started(auth)
    flow.send(challenge_401("n2", "o1"))
    assert flow.send(challenge_401("n3", "o2", stale=True)) is not None
    assert ended(flow, challenge_401("n4", "o3", stale=True)) is FlowEnd.RESTART
    assert auth.lanes.live == 0
    assert not auth.rejected


def test_a_stale_nonce_in_a_lane_stays_in_its_record() -> None:
    auth = make_auth()
    accepted_in(auth, "n1", "o1")
    flow, _ = started(auth)
    flow.send(challenge_401("n2", "o1"))
    answer = flow.send(challenge_401("n3", "o1", stale=True))  # expired, same record
    assert nonce_and_nc(answer) == ("n3", "00000001")
    accepted(flow)
    assert auth.lanes.ceiling == INITIAL_LANES  # nothing was lost


def test_a_refusal_in_a_new_opaque_is_still_a_refusal() -> None:
    # httpbin sends a new opaque with every challenge: only stale=true marks a lost record.
    auth = make_auth(password="wrong")
    flow = auth.flow("GET", URL)
    assert next(flow) is None
    flow.send(challenge_401("n1", "o1"))
    assert ended(flow, challenge_401("n2", "o2")) is FlowEnd.DONE
    assert auth.rejected


def test_the_lane_ceiling_grows_by_one_per_new_lane_accepted_until_a_loss_halves_it() -> None:
    pool = LanePool(max_lanes=64)
    assert pool.ceiling == INITIAL_LANES == 4
    lanes = [pool.borrow() for _ in range(4)]
    for _ in lanes:
        pool.established()
    assert pool.ceiling == 8
    lanes += [pool.borrow() for _ in range(4)]
    assert pool.live == 8
    # One purge loses every lane: the first loss halves the ceiling, the others of the
    # same epoch do not; flows over the ceiling give their lanes up, the rest go on.
    assert [pool.lost(lane) for lane in lanes[:5]] == [True, True, True, True, False]
    assert (pool.ceiling, pool.live) == (4, 4)
    # A lane of the new epoch lost as well: the server keeps fewer still.
    assert pool.lost(lanes[4]) is True
    assert (pool.ceiling, pool.live) == (2, 3)
    pool.established()
    assert pool.ceiling == 2  # no growth after a loss
    assert pool.lost(lanes[5], again=True) is True  # lost twice in one flow: given up


def test_lanes_given_back_over_the_ceiling_are_dropped() -> None:
    pool = LanePool(max_lanes=8)
    lanes = [pool.borrow() for _ in range(6)]  # a driver that did not wait goes over
    assert pool.live == 6
    assert not pool.free()
    for lane in lanes:
        lane.state = object()  # type: ignore[assignment]
        pool.give_back(lane)
    assert pool.live == INITIAL_LANES
    assert pool.free()
    assert pool.borrow() is lanes[-1]  # the most recently used first


def test_an_empty_lane_given_back_is_dropped() -> None:
    pool = LanePool(max_lanes=8)
    pool.give_back(pool.borrow())
    assert pool.live == 0
    assert isinstance(pool.borrow(), Lane)
