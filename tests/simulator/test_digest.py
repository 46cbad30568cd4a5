"""Server-side digest: real clients, RFC 7616 vectors, every algorithm and qop, nonce rules."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
import requests
from requests.auth import HTTPDigestAuth

from ob_async.simulator import ManualClock, Simulator
from ob_async.simulator._config import KNOWN_ALGORITHMS
from ob_async.simulator._digest_server import AuthOutcome, DigestVerifier

from ._helpers import (
    RESTORE_PATH,
    ApiClient,
    Reply,
    authorization,
    digest_hash,
    raw_call,
    restore_body,
)

LIST = "/api/v2/instances/obxxx/tenants"

RFC_REALM = "http-auth@example.org"
RFC_NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
RFC_OPAQUE = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
# RFC 7616 §3.9.1, the two Authorization headers as printed (line folds joined).
RFC_AUTHORIZATIONS = {
    "MD5": (
        'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", '
        'algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, '
        'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, '
        'response="8ca523f5e9506fed4657c9700eebdbec", '
        'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
    ),
    "SHA-256": (
        'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", '
        'algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, '
        'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, '
        'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", '
        'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
    ),
}


def rfc_verifier(algorithm: str) -> DigestVerifier:
    return DigestVerifier(
        users={"Mufasa": "Circle of Life"},
        realm=RFC_REALM,
        algorithms=[algorithm],
        qops=["auth"],
        userhash=False,
        nonce_ttl=300,
        clock=ManualClock(),
        opaque=RFC_OPAQUE,
        nonce_factory=lambda now: RFC_NONCE,
    )


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_rfc7616_vectors_are_accepted(algorithm: str) -> None:
    verifier = rfc_verifier(algorithm)
    [challenge] = verifier.challenges()
    assert f'nonce="{RFC_NONCE}"' in challenge
    assert f'opaque="{RFC_OPAQUE}"' in challenge
    result = verifier.verify("GET", "/dir/index.html", RFC_AUTHORIZATIONS[algorithm], b"")
    assert result.outcome is AuthOutcome.OK, result
    assert result.user == "Mufasa"


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_rfc7616_vectors_with_one_character_changed_are_refused(algorithm: str) -> None:
    verifier = rfc_verifier(algorithm)
    verifier.challenges()
    header = RFC_AUTHORIZATIONS[algorithm]
    for original, changed in (
        ('response="8', 'response="9'),
        ('response="7', 'response="8'),
        ("Mufasa", "Mufasb"),
        ('cnonce="f', 'cnonce="g'),
    ):
        if original in header:
            result = verifier.verify(
                "GET", "/dir/index.html", header.replace(original, changed), b""
            )
            assert result.outcome is AuthOutcome.BAD_CREDENTIALS, (changed, result)
    assert verifier.verify("POST", "/dir/index.html", header, b"").outcome is (
        AuthOutcome.BAD_CREDENTIALS
    )


def _requests_call(url: str, user: str, secret: str) -> requests.Response:
    auth = HTTPDigestAuth(user, secret)
    return requests.get(url, auth=auth, headers={"X-Ob-Project-Id": "p1"}, timeout=10)


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
async def test_requests_digest_auth_is_accepted(algorithm: str) -> None:
    async with Simulator(digest_algorithms=algorithm) as sim:
        response = await asyncio.to_thread(
            _requests_call, sim.url + LIST, sim.access_key_id, sim.config.access_key_secret
        )
        assert response.status_code == 200, response.text
        assert response.json()["data"]["total"] == 3
        assert f'algorithm="{algorithm}"' in response.request.headers["Authorization"]


async def test_requests_with_a_wrong_secret_gets_401_and_an_envelope() -> None:
    async with Simulator(digest_algorithms="MD5") as sim:
        response = await asyncio.to_thread(
            _requests_call, sim.url + LIST, sim.access_key_id, "not-the-secret"
        )
        assert response.status_code == 401
        envelope = response.json()
        assert envelope["success"] is False
        assert envelope["errorCode"] == "Unauthorized"
        assert "WWW-Authenticate" in response.headers
        assert sim.stats()["authFailures"] == 1


async def test_default_challenges_strongest_first_sharing_one_nonce(
    session: aiohttp.ClientSession, sim: Simulator
) -> None:
    reply = await raw_call(session, sim, "GET", LIST)
    assert reply.status == 401
    assert reply.json["errorCode"] == "Unauthorized"
    challenges = reply.challenges
    assert [c["algorithm"] for c in challenges] == ["SHA-256", "MD5"]
    assert len({c["nonce"] for c in challenges}) == 1
    assert all(c["qop"] == "auth" and c["opaque"] and c["realm"] for c in challenges)
    assert "stale" not in challenges[0]


async def test_all_algorithms_are_offered_strongest_first(session: aiohttp.ClientSession) -> None:
    async with Simulator(
        digest_algorithms="md5,MD5-sess,SHA-256,sha-512-256-sess,SHA-512-256,SHA-256-sess"
    ) as sim:
        reply = await raw_call(session, sim, "GET", LIST)
        assert [c["algorithm"] for c in reply.challenges] == [
            "SHA-512-256-sess",
            "SHA-512-256",
            "SHA-256",
            "SHA-256-sess",
            "MD5",
            "MD5-sess",
        ]


@pytest.mark.parametrize("qop", ["auth", "auth-int"])
@pytest.mark.parametrize("algorithm", KNOWN_ALGORITHMS)
async def test_each_algorithm_and_qop(
    session: aiohttp.ClientSession, algorithm: str, qop: str
) -> None:
    async with Simulator(digest_algorithms=algorithm, qop=qop) as sim:
        api = ApiClient(session, sim, algorithm=algorithm, qop=qop)
        reply = await api.restore(restore_body(f"t_{len(qop)}"), request_id="x")
        assert reply.status == 200, reply.text
        listed = await api.call("GET", "/api/v2/instances/ob-dr-east/tenants")
        assert listed.status == 200, listed.text
        wrong = ApiClient(session, sim, algorithm=algorithm, qop=qop, password="nope")
        assert (await wrong.call("GET", LIST)).status == 401


async def test_auth_int_covers_the_body(session: aiohttp.ClientSession) -> None:
    async with Simulator(qop="auth-int") as sim:
        api = ApiClient(session, sim, qop="auth-int")
        challenge = await api.fetch_challenge()
        uri = RESTORE_PATH.format(instance="ob-dr-east") + "?requestId=x"
        signed = json.dumps(restore_body("t_signed")).encode()
        sent = json.dumps(restore_body("t_swapped")).encode()
        header = authorization(
            challenge,
            method="POST",
            uri=uri,
            user=sim.access_key_id,
            password=sim.config.access_key_secret,
            body=signed,
            qop="auth-int",
        )
        reply = await raw_call(
            session,
            sim,
            "POST",
            uri,
            data=sent,
            headers={
                "Authorization": header,
                "X-Ob-Project-Id": "p",
                "Content-Type": "application/json",
            },
        )
        assert reply.status == 401
        assert reply.json["errorCode"] == "Unauthorized"
        assert [t["tenantName"] for t in sim.tenants("ob-dr-east")] == ["dr_sentinel"]


async def test_expired_nonce_gets_stale_true(session: aiohttp.ClientSession) -> None:
    clock = ManualClock()
    async with Simulator(clock=clock, nonce_ttl=5) as sim:
        api = ApiClient(session, sim)
        assert (await api.call("GET", LIST)).status == 200
        clock.advance(6)
        old = api.challenge
        uri = LIST
        reply = await raw_call(
            session,
            sim,
            "GET",
            uri,
            headers={"Authorization": api.header("GET", uri), "X-Ob-Project-Id": "p"},
        )
        assert reply.status == 401
        assert reply.json["errorCode"] == "NonceExpired"
        assert all(c["stale"] == "true" for c in reply.challenges)
        assert reply.challenges[0]["nonce"] != old["nonce"]  # type: ignore[index]
        api._pick(reply)
        assert (await api.call("GET", LIST)).status == 200
        stats = sim.stats()
        assert stats["staleChallenges"] == 1
        assert stats["authFailures"] == 1


async def test_expired_nonce_with_a_wrong_secret_is_not_stale(
    session: aiohttp.ClientSession,
) -> None:
    clock = ManualClock()
    async with Simulator(clock=clock, nonce_ttl=5) as sim:
        api = ApiClient(session, sim, password="wrong")
        await api.fetch_challenge()
        clock.advance(6)
        reply = await raw_call(
            session,
            sim,
            "GET",
            LIST,
            headers={"Authorization": api.header("GET", LIST), "X-Ob-Project-Id": "p"},
        )
        assert reply.status == 401
        assert reply.json["errorCode"] == "Unauthorized"
        assert all("stale" not in c for c in reply.challenges)


async def test_forged_nonce_gets_a_fresh_non_stale_challenge(
    session: aiohttp.ClientSession, sim: Simulator
) -> None:
    api = ApiClient(session, sim)
    challenge = await api.fetch_challenge()
    forged = dict(challenge, nonce=challenge["nonce"][:-4] + "0000")
    header = authorization(
        forged,
        method="GET",
        uri=LIST,
        user=sim.access_key_id,
        password=sim.config.access_key_secret,
    )
    reply = await raw_call(session, sim, "GET", LIST, headers={"Authorization": header})
    assert reply.status == 401
    assert reply.json["errorCode"] == "Unauthorized"
    assert "nonce" in reply.json["errorMessage"]
    assert all("stale" not in c for c in reply.challenges)


async def _send_nc(
    session: aiohttp.ClientSession, sim: Simulator, api: ApiClient, nc: int
) -> Reply:
    assert api.challenge is not None
    header = authorization(
        api.challenge,
        method="GET",
        uri=LIST,
        user=sim.access_key_id,
        password=sim.config.access_key_secret,
        nc=nc,
    )
    return await raw_call(
        session, sim, "GET", LIST, headers={"Authorization": header, "X-Ob-Project-Id": "p"}
    )


async def test_replayed_nc_is_refused_out_of_order_is_not(
    session: aiohttp.ClientSession, sim: Simulator
) -> None:
    api = ApiClient(session, sim)
    await api.fetch_challenge()
    assert (await _send_nc(session, sim, api, 5)).status == 200
    assert (await _send_nc(session, sim, api, 3)).status == 200
    assert (await _send_nc(session, sim, api, 4)).status == 200
    for replayed in (5, 3):
        reply = await _send_nc(session, sim, api, replayed)
        assert reply.status == 401
        assert reply.json["errorCode"] == "NonceCountReplay"
        assert f"{replayed:08x}" in reply.json["errorMessage"]
    assert (await _send_nc(session, sim, api, 5000)).status == 200
    # Further back than the tracked window: cannot be told from a replay, so refused.
    too_old = await _send_nc(session, sim, api, 6)
    assert too_old.status == 401
    assert "too far back" in too_old.json["errorMessage"]
    assert (await _send_nc(session, sim, api, 5000 - 4000)).status == 200
    stats = sim.stats()
    assert stats["ncReplaysRefused"] == 3
    assert stats["requestsByStatus"]["200"] == 5


@pytest.mark.parametrize("nc_check", ["ordered", "strict"])
async def test_strict_nc_check_refuses_any_count_not_above_the_highest_with_a_new_nonce(
    session: aiohttp.ClientSession, clock: ManualClock, nc_check: str
) -> None:
    async with Simulator(clock=clock, seed=1, nc_check=nc_check) as strict:
        api = ApiClient(session, strict)
        await api.fetch_challenge()
        assert (await _send_nc(session, strict, api, 5)).status == 200
        for lower_or_equal in (3, 5):
            reply = await _send_nc(session, strict, api, lower_or_equal)
            assert reply.status == 401
            assert reply.json["errorCode"] == "NonceCountOutOfOrder"
            assert "not above" in reply.json["errorMessage"]
            # As Apache answers: a plain 401 with a fresh nonce, not stale=true.
            assert all("stale" not in challenge for challenge in reply.challenges)
            assert all(c["nonce"] != api.challenge["nonce"] for c in reply.challenges)  # type: ignore[index]
        assert (await _send_nc(session, strict, api, 6)).status == 200
        stats = strict.stats()
    assert stats["ncOutOfOrderRefused"] == 2
    assert stats["ncReplaysRefused"] == 0
    assert stats["requestsByStatus"]["200"] == 2


def test_nc_check_is_window_by_default_and_refuses_unknown_modes() -> None:
    from ob_async.simulator import SimulatorConfig
    from ob_async.simulator._config import ConfigError
    from ob_async.simulator._digest_server import NcCheck

    assert SimulatorConfig().nc_check is NcCheck.WINDOW
    assert SimulatorConfig(nc_check="STRICT").nc_check is NcCheck.STRICT
    with pytest.raises(ConfigError, match="unknown nonce-count check 'sorted'"):
        SimulatorConfig(nc_check="sorted")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "header",
    [
        "Digest",
        "Digest ",
        'Digest username="a" realm="b"',
        'Digest username="a",, realm="b"',
        'Digest username="unterminated',
        'Digest username="a", username="b"',
        'Digest realm="OceanBase Cloud", nonce="n", uri="/", response="r"',
        "Digest ===,,,",
        "Digest " + "a=b, " * 1000,
        'Digest username="a", realm="OceanBase Cloud", nonce="n", uri="/", response="r", qop=auth',
        'Digest username="a", realm="OceanBase Cloud", nonce="n", uri="/", response="r", '
        'qop=auth, nc=xyz, cnonce="c"',
        'Digest username*="latin-1\'\'x", realm="r", nonce="n", uri="/", response="r"',
    ],
)
async def test_malformed_authorization_is_a_401_not_a_500(
    session: aiohttp.ClientSession, sim: Simulator, header: str
) -> None:
    reply = await raw_call(session, sim, "GET", LIST, headers={"Authorization": header})
    assert reply.status == 401, reply.text
    assert reply.json["errorCode"] == "MalformedAuthorization"
    assert reply.challenges


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"realm": "elsewhere"}, "realm"),
        ({"opaque": "0000"}, "opaque"),
        ({"algorithm": "SHA-512-256"}, "algorithm"),
        ({"qop": "auth-int"}, "qop"),
        ({"uri": "/api/v2/instances/obxxx/tenants?pageSize=5"}, "uri"),
    ],
)
async def test_parameters_must_be_the_offered_ones(
    session: aiohttp.ClientSession, sim: Simulator, change: dict[str, str], message: str
) -> None:
    api = ApiClient(session, sim)
    challenge = dict(await api.fetch_challenge())
    options: dict[str, Any] = {"qop": change.get("qop", "auth")}
    if "algorithm" in change:
        options["algorithm"] = change["algorithm"]
    uri = change.get("uri", LIST)
    challenge.update({k: v for k, v in change.items() if k in ("realm", "opaque")})
    header = authorization(
        challenge,
        method="GET",
        uri=uri,
        user=sim.access_key_id,
        password=sim.config.access_key_secret,
        **options,
    )
    reply = await raw_call(session, sim, "GET", LIST, headers={"Authorization": header})
    assert reply.status == 401
    assert reply.json["errorCode"] == "Unauthorized"
    assert message in reply.json["errorMessage"]


async def test_basic_auth_is_refused(session: aiohttp.ClientSession, sim: Simulator) -> None:
    reply = await raw_call(
        session, sim, "GET", LIST, headers={"Authorization": "Basic ZGVtbzpkZW1v"}
    )
    assert reply.status == 401
    assert "Digest" in reply.json["errorMessage"]


async def test_userhash(session: aiohttp.ClientSession) -> None:
    async with Simulator(userhash=True, digest_algorithms="SHA-256") as sim:
        reply = await raw_call(session, sim, "GET", LIST)
        challenge = reply.challenges[0]
        assert challenge["userhash"] == "true"
        hashed = authorization(
            challenge,
            method="GET",
            uri=LIST,
            user=sim.access_key_id,
            password=sim.config.access_key_secret,
            userhash=True,
        )
        assert digest_hash("SHA-256", f"{sim.access_key_id}:{challenge['realm']}") in hashed
        ok = await raw_call(
            session, sim, "GET", LIST, headers={"Authorization": hashed, "X-Ob-Project-Id": "p"}
        )
        assert ok.status == 200, ok.text
    async with Simulator(digest_algorithms="SHA-256") as plain:
        challenge = (await raw_call(session, plain, "GET", LIST)).challenges[0]
        assert "userhash" not in challenge
        hashed = authorization(
            challenge,
            method="GET",
            uri=LIST,
            user=plain.access_key_id,
            password=plain.config.access_key_secret,
            userhash=True,
        )
        refused = await raw_call(session, plain, "GET", LIST, headers={"Authorization": hashed})
        assert refused.status == 401


async def test_extended_username(session: aiohttp.ClientSession) -> None:
    async with Simulator(access_key_id="Jäsøn Doe", access_key_secret="Secret, or not?") as sim:
        challenge = (await raw_call(session, sim, "GET", LIST)).challenges[0]
        header = authorization(
            challenge,
            method="GET",
            uri=LIST,
            user="Jäsøn Doe",
            password="Secret, or not?",
        ).replace('username="Jäsøn Doe"', "username*=UTF-8''J%C3%A4s%C3%B8n%20Doe")
        reply = await raw_call(
            session, sim, "GET", LIST, headers={"Authorization": header, "X-Ob-Project-Id": "p"}
        )
        assert reply.status == 200, reply.text


async def test_rfc2069_mode_without_qop(session: aiohttp.ClientSession) -> None:
    async with Simulator(qop="none", digest_algorithms="MD5") as sim:
        reply = await raw_call(session, sim, "GET", LIST)
        challenge = reply.challenges[0]
        assert "qop" not in challenge
        api = ApiClient(session, sim, qop=None)
        assert (await api.call("GET", LIST)).status == 200
        with_qop = ApiClient(session, sim, qop="auth")
        refused = await with_qop.call("GET", LIST)
        assert refused.status == 401
        assert "qop" in refused.json["errorMessage"]


def test_expired_and_excess_nonces_are_forgotten() -> None:
    clock = ManualClock()
    verifier = DigestVerifier(
        users={"u": "p"},
        realm="r",
        algorithms=["MD5"],
        qops=["auth"],
        userhash=False,
        nonce_ttl=10,
        clock=clock,
        max_nonces=3,
    )
    first = verifier.challenges()[0]
    for _ in range(5):
        verifier.challenges()
    assert verifier.live_nonces == 3
    challenge = {
        "realm": "r",
        "nonce": first.split('nonce="')[1].split('"')[0],
        "opaque": verifier.opaque,
    }
    header = authorization(challenge, method="GET", uri="/", user="u", password="p")
    # Evicted but genuine and young: the client is told to re-authenticate, not refused.
    assert verifier.verify("GET", "/", header, b"").outcome is AuthOutcome.STALE
    clock.advance(11)
    verifier.challenges()
    assert verifier.live_nonces == 1


async def test_both_qops_offered_either_is_accepted(session: aiohttp.ClientSession) -> None:
    async with Simulator(qop="auth,auth-int", digest_algorithms="SHA-512-256") as sim:
        challenge = (await raw_call(session, sim, "GET", LIST)).challenges[0]
        assert challenge["qop"] == "auth, auth-int"
        for qop in ("auth", "auth-int"):
            api = ApiClient(session, sim, qop=qop)
            assert (await api.call("GET", LIST)).status == 200, qop
