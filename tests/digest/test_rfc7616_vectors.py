"""The worked examples of RFC 7616 §3.9, through every layer of the engine.

§3.9.1 (MD5 and SHA-256) is checked against the numbers exactly as printed.

§3.9.2 (SHA-512-256, charset, userhash) is not: the printed userhash and response
were computed with SHA-512 truncated to 256 bits, which is not SHA-512/256 (FIPS
180-4 gives SHA-512/256 its own initial hash values). RFC erratum 4897 reports
this and gives the values real SHA-512/256 produces. We use real SHA-512/256, so
these tests assert the erratum's corrected values, recompute them with a tiny
reference written directly from the RFC formulas, and assert that the printed
(wrong) values are NOT what we produce. The example's request-target is
``/doe.json`` (the RFC's URL is http://api.example.org/doe.json).
"""

from __future__ import annotations

import hashlib

import pytest

from ob_async._digest import (
    Algorithm,
    DigestAuth,
    DigestResponse,
    build_authorization,
    compute_response,
    parse_www_authenticate,
    select_challenge,
)

# §3.9.1
MUFASA = "Mufasa"
MUFASA_PASSWORD = "Circle of Life"
REALM_1 = "http-auth@example.org"
NONCE_1 = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
CNONCE_1 = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
OPAQUE_1 = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
PRINTED_1 = {
    "MD5": "8ca523f5e9506fed4657c9700eebdbec",
    "SHA-256": "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
}

# §3.9.2
JASON = "J\u00e4s\u00f8n Doe"
JASON_PASSWORD = "Secret, or not?"
REALM_2 = "api@example.org"
NONCE_2 = "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK"
CNONCE_2 = "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v"
OPAQUE_2 = "HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS"
URI_2 = "/doe.json"
# As printed in RFC 7616 (truncated SHA-512 — wrong):
PRINTED_USERHASH_2 = "488869477bf257147b804c45308cd62ac4e25eb717b12b298c79e62dcea254ec"
PRINTED_RESPONSE_2 = "ae66e67d6b427bd3f120414a82e4acff38e8ecd9101d6c861229025f607a79dd"
# As corrected by erratum 4897 (real SHA-512/256):
ERRATUM_USERHASH_2 = "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b"
ERRATUM_RESPONSE_2 = "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5"


def challenge_header_1(algorithm: str) -> str:
    # §3.9.1's WWW-Authenticate, folded onto one line.
    return (
        f'Digest realm="{REALM_1}", qop="auth, auth-int", algorithm={algorithm}, '
        f'nonce="{NONCE_1}", opaque="{OPAQUE_1}"'
    )


CHALLENGE_HEADER_2 = (
    f'Digest realm="{REALM_2}", qop="auth", algorithm=SHA-512-256, nonce="{NONCE_2}", '
    f'opaque="{OPAQUE_2}", charset=UTF-8, userhash=true'
)


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_391_response_by_hand_matches_print(algorithm: str) -> None:
    # The RFC's arithmetic done with hashlib alone, to pin the printed numbers themselves.
    def h(text: str) -> str:
        return hashlib.new(algorithm.replace("-", "").lower(), text.encode()).hexdigest()

    ha1 = h(f"{MUFASA}:{REALM_1}:{MUFASA_PASSWORD}")
    ha2 = h("GET:/dir/index.html")
    assert h(f"{ha1}:{NONCE_1}:00000001:{CNONCE_1}:auth:{ha2}") == PRINTED_1[algorithm]


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_391_compute_response(algorithm: str) -> None:
    value = compute_response(
        Algorithm(algorithm),
        username=MUFASA,
        password=MUFASA_PASSWORD,
        realm=REALM_1,
        nonce=NONCE_1,
        method="GET",
        uri="/dir/index.html",
        qop="auth",
        nc=1,
        cnonce=CNONCE_1,
    )
    assert value == PRINTED_1[algorithm]


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_391_authorization_header_exactly_as_printed(algorithm: str) -> None:
    challenge = select_challenge(parse_www_authenticate([challenge_header_1(algorithm)]))
    assert challenge.qop == ("auth", "auth-int")
    header = build_authorization(
        challenge,
        username=MUFASA,
        password=MUFASA_PASSWORD,
        method="GET",
        uri="/dir/index.html",
        body=b"",
        nc=1,
        cnonce=CNONCE_1,
        qop="auth",
    )
    # The RFC's Authorization, its lines joined with ", ".
    assert header == (
        f'Digest username="{MUFASA}", realm="{REALM_1}", uri="/dir/index.html", '
        f'algorithm={algorithm}, nonce="{NONCE_1}", nc=00000001, cnonce="{CNONCE_1}", '
        f'qop=auth, response="{PRINTED_1[algorithm]}", opaque="{OPAQUE_1}"'
    )


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_391_through_the_flow(algorithm: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ob_async._digest.contexts.new_cnonce", lambda: CNONCE_1)
    auth = DigestAuth(
        MUFASA, MUFASA_PASSWORD, origin="http://www.example.org", prefer_auth_int=False
    )
    flow = auth.flow("get", "http://www.example.org/dir/index.html")
    assert next(flow) is None
    header = flow.send(DigestResponse(401, (challenge_header_1(algorithm),)))
    assert header is not None
    assert f'response="{PRINTED_1[algorithm]}"' in header
    assert "nc=00000001" in header
    with pytest.raises(StopIteration):
        flow.send(DigestResponse(200))


def test_392_reference_computation_with_real_sha512_256() -> None:
    # Written from the RFC formulas with hashlib only; shares nothing with the engine.
    def h(text: str) -> str:
        return hashlib.new("sha512_256", text.encode("utf-8")).hexdigest()

    userhash = h(f"{JASON}:{REALM_2}")
    ha1 = h(f"{JASON}:{REALM_2}:{JASON_PASSWORD}")
    ha2 = h(f"GET:{URI_2}")
    response = h(f"{ha1}:{NONCE_2}:00000001:{CNONCE_2}:auth:{ha2}")
    assert (userhash, response) == (ERRATUM_USERHASH_2, ERRATUM_RESPONSE_2)

    # The printed values come from SHA-512 cut to 256 bits: the erratum's diagnosis.
    def truncated(text: str) -> str:
        return hashlib.sha512(text.encode("utf-8")).hexdigest()[:64]

    assert truncated(f"{JASON}:{REALM_2}") == PRINTED_USERHASH_2
    t_ha1 = truncated(f"{JASON}:{REALM_2}:{JASON_PASSWORD}")
    t_ha2 = truncated(f"GET:{URI_2}")
    assert truncated(f"{t_ha1}:{NONCE_2}:00000001:{CNONCE_2}:auth:{t_ha2}") == PRINTED_RESPONSE_2


def test_392_authorization_header_with_erratum_values() -> None:
    challenge = select_challenge(parse_www_authenticate([CHALLENGE_HEADER_2]))
    assert challenge.algorithm is Algorithm.SHA_512_256
    assert challenge.userhash
    assert challenge.charset == "UTF-8"
    header = build_authorization(
        challenge,
        username=JASON,
        password=JASON_PASSWORD,
        method="GET",
        uri=URI_2,
        body=b"",
        nc=1,
        cnonce=CNONCE_2,
        qop="auth",
    )
    assert header == (
        f'Digest username="{ERRATUM_USERHASH_2}", realm="{REALM_2}", uri="{URI_2}", '
        f'algorithm=SHA-512-256, nonce="{NONCE_2}", nc=00000001, cnonce="{CNONCE_2}", '
        f'qop=auth, response="{ERRATUM_RESPONSE_2}", opaque="{OPAQUE_2}", userhash=true'
    )
    # Real SHA-512/256 cannot reproduce the RFC's printed (truncated-SHA-512) numbers.
    assert PRINTED_USERHASH_2 not in header
    assert PRINTED_RESPONSE_2 not in header


def test_392_compute_response_is_not_the_printed_value() -> None:
    value = compute_response(
        Algorithm.SHA_512_256,
        username=JASON,
        password=JASON_PASSWORD,
        realm=REALM_2,
        nonce=NONCE_2,
        method="GET",
        uri=URI_2,
        qop="auth",
        nc=1,
        cnonce=CNONCE_2,
        charset="UTF-8",
    )
    assert value == ERRATUM_RESPONSE_2
    assert value != PRINTED_RESPONSE_2
