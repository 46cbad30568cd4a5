"""select_challenge and Algorithm: which Digest challenge we answer, and what we refuse."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ob_async._digest import (
    Algorithm,
    Challenge,
    DigestChallenge,
    parse_www_authenticate,
    select_challenge,
)
from ob_async.errors import AuthenticationError


def select(*values: str) -> DigestChallenge:
    return select_challenge(parse_www_authenticate(values))


def digest(algorithm: str | None, nonce: str = "n", extra: str = 'qop="auth"') -> str:
    parts = ['realm="r"', f'nonce="{nonce}"']
    if algorithm is not None:
        parts.append(f"algorithm={algorithm}")
    if extra:
        parts.append(extra)
    return "Digest " + ", ".join(parts)


def test_algorithm_properties() -> None:
    assert [a.value for a in Algorithm] == [
        "MD5",
        "MD5-sess",
        "SHA-256",
        "SHA-256-sess",
        "SHA-512-256",
        "SHA-512-256-sess",
    ]
    assert [a for a in Algorithm if a.is_session] == [
        Algorithm.MD5_SESS,
        Algorithm.SHA_256_SESS,
        Algorithm.SHA_512_256_SESS,
    ]
    assert Algorithm.MD5.strength == Algorithm.MD5_SESS.strength
    assert Algorithm.SHA_256.strength == Algorithm.SHA_256_SESS.strength
    assert Algorithm.SHA_512_256.strength == Algorithm.SHA_512_256_SESS.strength
    assert Algorithm.MD5.strength < Algorithm.SHA_256.strength < Algorithm.SHA_512_256.strength
    assert Algorithm.from_wire("sha-512-256-SESS") is Algorithm.SHA_512_256_SESS
    assert Algorithm.from_wire("SHA-1") is None
    assert str(Algorithm.SHA_256_SESS) == "SHA-256-sess"


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (["MD5", "SHA-256", "SHA-512-256"], Algorithm.SHA_512_256),
        (["SHA-512-256", "MD5", "SHA-256"], Algorithm.SHA_512_256),
        (["MD5-sess", "SHA-256"], Algorithm.SHA_256),
        (["SHA-256-sess", "MD5"], Algorithm.SHA_256_SESS),
        (["SHA-1", "MD5"], Algorithm.MD5),
        ([None, "SHA-1"], Algorithm.MD5),
        (["md5-sess"], Algorithm.MD5_SESS),
        (["SHA-512-256-sess", "SHA-256"], Algorithm.SHA_512_256_SESS),
    ],
)
def test_strongest_wins(offered: list[str | None], chosen: Algorithm) -> None:
    assert select(*(digest(a) for a in offered)).algorithm is chosen


def test_first_offered_wins_a_tie() -> None:
    chosen = select(digest("SHA-256", nonce="first"), digest("SHA-256-sess", nonce="second"))
    assert chosen.nonce == "first"
    chosen = select(digest("SHA-256-sess", nonce="first"), digest("SHA-256", nonce="second"))
    assert chosen.nonce == "first"


def test_missing_algorithm_is_md5() -> None:
    assert select(digest(None)).algorithm is Algorithm.MD5


def test_all_fields_are_read() -> None:
    chosen = select(
        'Basic realm="b", Digest realm="api", nonce="abc", algorithm=SHA-256, '
        'qop="auth-int, auth, auth-conf", opaque="op", stale=TRUE, userhash=True, '
        'charset=UTF-8, domain="/a /b  http://x/c"'
    )
    assert chosen == DigestChallenge(
        realm="api",
        nonce="abc",
        algorithm=Algorithm.SHA_256,
        qop=("auth-int", "auth"),
        opaque="op",
        stale=True,
        userhash=True,
        charset="UTF-8",
        domain=("/a", "/b", "http://x/c"),
    )


def test_defaults_when_params_are_absent() -> None:
    assert select('Digest realm="r", nonce="n"') == DigestChallenge(realm="r", nonce="n")


@pytest.mark.parametrize("value", ["false", "no", "1", ""])
def test_only_true_means_true(value: str) -> None:
    chosen = select(f'Digest realm="r", nonce="n", stale="{value}", userhash="{value}"')
    assert (chosen.stale, chosen.userhash) == (False, False)


def test_qop_keeps_offered_order_lowercased() -> None:
    assert select(digest("MD5", extra='qop=" AUTH , Auth-Int "')).qop == ("auth", "auth-int")


def test_unusable_challenges_are_skipped_for_a_usable_one() -> None:
    chosen = select(
        'Digest nonce="no-realm", algorithm=SHA-512-256, qop="auth"',
        'Digest realm="r", algorithm=SHA-512-256, qop="auth"',
        'Digest realm="r", nonce="", algorithm=SHA-512-256, qop="auth"',
        'Digest realm="r", nonce="n", algorithm=SHA-512-256, qop="auth-conf"',
        'Digest realm="r", nonce="n", algorithm=SHA-256-sess',
        'Digest realm="r", nonce="ok", algorithm=MD5, qop="auth"',
    )
    assert (chosen.nonce, chosen.algorithm) == ("ok", Algorithm.MD5)


@pytest.mark.parametrize(
    ("values", "fragments"),
    [
        (['Basic realm="b"'], ["offered: basic)"]),
        (["Bearer tok", "Negotiate"], ["offered: bearer; negotiate)"]),
        ([digest("SHA-1")], ["digest(algorithm='SHA-1'): unsupported algorithm 'SHA-1'"]),
        (['Digest nonce="n"'], ["digest(algorithm='MD5'): no realm"]),
        (['Digest realm="r"'], ["no nonce"]),
        ([digest("MD5", extra='qop="auth-conf"')], ["no supported qop in 'auth-conf'"]),
        ([digest("MD5-sess", extra="")], ["algorithm MD5-sess without qop"]),
        (['Basic realm="b"', digest("SHA-1")], ["basic; digest(algorithm='SHA-1')"]),
    ],
)
def test_nothing_usable_raises_naming_what_was_offered(
    values: list[str], fragments: list[str]
) -> None:
    with pytest.raises(AuthenticationError) as caught:
        select(*values)
    assert caught.value.status == 401
    message = str(caught.value)
    assert message.startswith("the server offered no Digest challenge we can answer")
    for fragment in fragments:
        assert fragment in message


def test_no_challenges_at_all() -> None:
    with pytest.raises(AuthenticationError, match=r"offered: nothing"):
        select_challenge([])


def test_message_bounds_long_server_values() -> None:
    with pytest.raises(AuthenticationError) as caught:
        select(digest("X" * 5000))
    assert len(str(caught.value)) < 300


@given(
    st.lists(
        st.builds(
            Challenge,
            st.sampled_from(["digest", "basic", "bearer"]),
            st.dictionaries(
                st.sampled_from(["realm", "nonce", "algorithm", "qop", "stale", "userhash"]),
                st.sampled_from(["", "r", "MD5", "sha-256", "SHA-512-256-sess", "auth", "true"]),
            ),
        ),
        max_size=5,
    )
)
def test_fuzz_select_returns_usable_or_raises_authentication_error(
    challenges: list[Challenge],
) -> None:
    # The usability rules restated independently: realm, nonce, known algorithm,
    # a supported qop if qop is given, and qop whenever the algorithm is -sess.
    def usable(c: Challenge) -> Algorithm | None:
        p = c.params
        algorithm = Algorithm.from_wire(p.get("algorithm", "MD5"))
        if c.scheme != "digest" or "realm" not in p or not p.get("nonce") or algorithm is None:
            return None
        if "qop" in p:
            if not {"auth", "auth-int"} & {q.strip().lower() for q in p["qop"].split(",")}:
                return None
        elif algorithm.is_session:
            return None
        return algorithm

    strengths = [a.strength for a in map(usable, challenges) if a is not None]
    try:
        chosen = select_challenge(challenges)
    except AuthenticationError:
        assert not strengths
        return
    assert chosen.algorithm.strength == max(strengths)
    assert set(chosen.qop) <= {"auth", "auth-int"}
