"""build_authorization and compute_response against the independent reference in _reference."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ob_async._digest import Algorithm, DigestChallenge, build_authorization, compute_response
from ob_async._digest.compute import AuthorizationTemplate, credentials_hash, hash_hex, userhash
from ob_async.errors import InvalidInputError

from . import _reference as ref

CNONCE = "0a4f113b"
BODY = b'{"instanceId": "ob-1", "tenant": "t\\u00e9"}\r\n'


def challenge_for(
    algorithm: Algorithm,
    qop: str | None,
    *,
    userhash: bool = False,
    opaque: str | None = None,
    charset: str | None = None,
    realm: str = "OceanBase Cloud",
    nonce: str = "dcd98b7102dd2f0e8b11d0f600bfb0c093",
) -> DigestChallenge:
    return DigestChallenge(
        realm=realm,
        nonce=nonce,
        algorithm=algorithm,
        qop=() if qop is None else (qop,),
        opaque=opaque,
        userhash=userhash,
        charset=charset,
    )


MATRIX = [
    (algorithm, qop)
    for algorithm in Algorithm
    for qop in ("auth", "auth-int", None)
    if not (algorithm.is_session and qop is None)
]


@pytest.mark.parametrize(("algorithm", "qop"), MATRIX)
@pytest.mark.parametrize("use_userhash", [False, True])
@pytest.mark.parametrize("opaque", [None, "5ccc069c403ebaf9f0171e9517f40e41"])
@pytest.mark.parametrize("username", ["AK1234567890", "J\u00e4s\u00f8n Doe"])
def test_every_algorithm_and_qop_against_reference(
    algorithm: Algorithm, qop: str | None, use_userhash: bool, opaque: str | None, username: str
) -> None:
    challenge = challenge_for(algorithm, qop, userhash=use_userhash, opaque=opaque)
    header = build_authorization(
        challenge,
        username=username,
        password="s3cr3t:with colon",
        method="POST",
        uri="/api/v2/instances/ob-1/tenants?dryRun=true&a=%20b",
        body=BODY,
        nc=0x1A,
        cnonce=CNONCE,
        qop=qop,
    )
    fields = ref.parse_authorization(header)
    expected = ref.response(
        algorithm.value,
        username=username,
        password="s3cr3t:with colon",
        realm=challenge.realm,
        nonce=challenge.nonce,
        method="POST",
        uri="/api/v2/instances/ob-1/tenants?dryRun=true&a=%20b",
        qop=qop,
        nc="0000001a",
        cnonce=CNONCE,
        body=BODY,
    )
    assert fields.pop("response") == expected
    assert fields.pop("realm") == challenge.realm
    assert fields.pop("nonce") == challenge.nonce
    assert fields.pop("uri") == "/api/v2/instances/ob-1/tenants?dryRun=true&a=%20b"
    assert fields.pop("algorithm") == algorithm.value
    assert f"algorithm={algorithm.value}," in header  # a token, not a quoted-string
    if qop is None:
        assert not {"nc", "cnonce", "qop"} & fields.keys()
    else:
        assert (fields.pop("nc"), fields.pop("cnonce"), fields.pop("qop")) == (
            "0000001a",
            CNONCE,
            qop,
        )
        assert "nc=0000001a, " in header
        assert f"qop={qop}, " in header
    if opaque is not None:
        assert fields.pop("opaque") == opaque
    if use_userhash:
        assert fields.pop("userhash") == "true"
        assert ", userhash=true" in header
        assert fields.pop("username") == ref.h(algorithm.value, f"{username}:{challenge.realm}")
    elif username.isascii():
        assert fields.pop("username") == username
    else:
        assert ref.decode_ext_value(fields.pop("username*")) == username
    assert fields == {}


def test_non_ascii_username_uses_rfc_8187_form_as_in_rfc_7616() -> None:
    # RFC 7616 §3.9.2 prints this very username* for the non-userhash case.
    header = build_authorization(
        challenge_for(Algorithm.SHA_256, "auth"),
        username="J\u00e4s\u00f8n Doe",
        password="p",
        method="GET",
        uri="/",
        body=b"",
        nc=1,
        cnonce=CNONCE,
        qop="auth",
    )
    assert header.startswith("Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm=")
    assert 'username="' not in header


def test_ascii_control_character_in_username_uses_ext_value() -> None:
    header = build_authorization(
        challenge_for(Algorithm.MD5, "auth"),
        username="a\x01b",
        password="p",
        method="GET",
        uri="/",
        body=b"",
        nc=1,
        cnonce=CNONCE,
        qop="auth",
    )
    assert header.startswith("Digest username*=UTF-8''a%01b, ")


def test_auth_int_hashes_exactly_the_body() -> None:
    def response(body: bytes) -> str:
        header = build_authorization(
            challenge_for(Algorithm.SHA_256, "auth-int"),
            username="u",
            password="p",
            method="PUT",
            uri="/x",
            body=body,
            nc=1,
            cnonce=CNONCE,
            qop="auth-int",
        )
        return ref.parse_authorization(header)["response"]

    for body in (b"", b"x", b"x ", b"\x00\xff" * 100):
        assert response(body) == ref.response(
            "SHA-256",
            username="u",
            password="p",
            realm="OceanBase Cloud",
            nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
            method="PUT",
            uri="/x",
            qop="auth-int",
            nc="00000001",
            cnonce=CNONCE,
            body=body,
        )
    assert response(b"x") != response(b"x ")


def test_quoted_values_are_escaped() -> None:
    challenge = challenge_for(
        Algorithm.MD5,
        "auth",
        realm='r"e\\al,m',
        nonce='n"\\',
        opaque='o\\"',
    )
    header = build_authorization(
        challenge,
        username='u"s\\er',
        password="p",
        method="GET",
        uri='/a"b\\c',
        body=b"",
        nc=1,
        cnonce='c"n',
        qop="auth",
    )
    assert 'realm="r\\"e\\\\al,m"' in header
    assert 'username="u\\"s\\\\er"' in header
    fields = ref.parse_authorization(header)
    assert (fields["realm"], fields["nonce"], fields["opaque"], fields["username"]) == (
        'r"e\\al,m',
        'n"\\',
        'o\\"',
        'u"s\\er',
    )
    assert (fields["uri"], fields["cnonce"]) == ('/a"b\\c', 'c"n')
    assert fields["response"] == ref.response(
        "MD5",
        username='u"s\\er',
        password="p",
        realm='r"e\\al,m',
        nonce='n"\\',
        method="GET",
        uri='/a"b\\c',
        qop="auth",
        nc="00000001",
        cnonce='c"n',
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("realm", "a\r\nX-Injected: 1"), ("nonce", "a\nb"), ("opaque", "\x7f"), ("uri", "/a\rb")],
)
def test_control_characters_cannot_reach_the_header(field: str, value: str) -> None:
    kwargs = {"realm": "r", "nonce": "n", "opaque": "o", "uri": "/"}
    kwargs[field] = value
    challenge = challenge_for(
        Algorithm.MD5,
        "auth",
        realm=kwargs["realm"],
        nonce=kwargs["nonce"],
        opaque=kwargs["opaque"],
    )
    with pytest.raises(InvalidInputError, match="control character"):
        build_authorization(
            challenge,
            username="u",
            password="p",
            method="GET",
            uri=kwargs["uri"],
            body=b"",
            nc=1,
            cnonce=CNONCE,
            qop="auth",
        )


def test_tab_and_non_ascii_are_allowed_in_quoted_values() -> None:
    header = build_authorization(
        challenge_for(Algorithm.MD5, "auth", realm="a\tb \u00e9\u00a0"),
        username="u",
        password="p",
        method="GET",
        uri="/",
        body=b"",
        nc=1,
        cnonce=CNONCE,
        qop="auth",
    )
    assert 'realm="a\tb \u00e9\u00a0"' in header


@pytest.mark.parametrize(
    ("nc", "text"), [(1, "00000001"), (0xABC, "00000abc"), (2**32 - 1, "ffffffff")]
)
def test_nc_is_eight_lowercase_hex_digits(nc: int, text: str) -> None:
    header = build_authorization(
        challenge_for(Algorithm.MD5, "auth"),
        username="u",
        password="p",
        method="GET",
        uri="/",
        body=b"",
        nc=nc,
        cnonce=CNONCE,
        qop="auth",
    )
    assert f"nc={text}, " in header


@pytest.mark.parametrize("nc", [0, -1, 2**32])
def test_nc_out_of_range_is_refused(nc: int) -> None:
    with pytest.raises(InvalidInputError, match=r"outside 1\.\.0xffffffff"):
        build_authorization(
            challenge_for(Algorithm.MD5, "auth"),
            username="u",
            password="p",
            method="GET",
            uri="/",
            body=b"",
            nc=nc,
            cnonce=CNONCE,
            qop="auth",
        )


@pytest.mark.parametrize(
    ("offered", "qop", "fragment"),
    [
        ("auth", "auth-int", "qop 'auth-int' was not offered (offered: auth)"),
        ("auth", None, "qop None was not offered"),
        (None, "auth", "(offered: none (RFC 2069))"),
        ("auth", "auth-conf", "qop 'auth-conf' was not offered"),
    ],
)
def test_qop_must_match_the_offer(offered: str | None, qop: str | None, fragment: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        build_authorization(
            challenge_for(Algorithm.MD5, offered),
            username="u",
            password="p",
            method="GET",
            uri="/",
            body=b"",
            nc=1,
            cnonce=CNONCE,
            qop=qop,
        )
    assert fragment in str(caught.value)


def test_charset_utf8_normalises_credentials_to_nfc() -> None:
    composed, decomposed = "J\u00e4s\u00f8n", "Ja\u0308s\u00f8n"
    password_composed, password_decomposed = "p\u00e9", "pe\u0301"

    def header(username: str, password: str, charset: str | None) -> dict[str, str]:
        return ref.parse_authorization(
            build_authorization(
                challenge_for(Algorithm.SHA_256, "auth", charset=charset, userhash=True),
                username=username,
                password=password,
                method="GET",
                uri="/",
                body=b"",
                nc=1,
                cnonce=CNONCE,
                qop="auth",
            )
        )

    nfc = header(composed, password_composed, "utf-8")
    assert header(decomposed, password_decomposed, "UTF-8") == nfc
    assert header(decomposed, password_decomposed, None) != nfc
    assert nfc["response"] == ref.response(
        "SHA-256",
        username=decomposed,
        password=password_decomposed,
        realm="OceanBase Cloud",
        nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
        method="GET",
        uri="/",
        qop="auth",
        nc="00000001",
        cnonce=CNONCE,
        nfc=True,
    )


@pytest.mark.parametrize(("algorithm", "qop"), MATRIX)
def test_compute_response_matches_reference(algorithm: Algorithm, qop: str | None) -> None:
    value = compute_response(
        algorithm,
        username="u",
        password="p",
        realm="r",
        nonce="n",
        method="DELETE",
        uri="/t?x=1",
        qop=qop,
        nc=None if qop is None else 7,
        cnonce=None if qop is None else "cn",
        body=b"body",
    )
    assert value == ref.response(
        algorithm.value,
        username="u",
        password="p",
        realm="r",
        nonce="n",
        method="DELETE",
        uri="/t?x=1",
        qop=qop,
        nc="00000007",
        cnonce="cn",
        body=b"body",
    )


@pytest.mark.parametrize(
    ("algorithm", "qop", "nc", "cnonce", "fragment"),
    [
        (Algorithm.MD5, "auth-conf", 1, "c", "unsupported qop 'auth-conf'"),
        (Algorithm.MD5, "auth", None, "c", "qop=auth needs both nc and cnonce"),
        (Algorithm.MD5, "auth", 1, None, "qop=auth needs both nc and cnonce"),
        (Algorithm.MD5, "auth", 0, "c", "outside"),
        (Algorithm.SHA_256_SESS, None, None, None, "SHA-256-sess needs a qop and a cnonce"),
    ],
)
def test_compute_response_refuses_incoherent_inputs(
    algorithm: Algorithm, qop: str | None, nc: int | None, cnonce: str | None, fragment: str
) -> None:
    with pytest.raises(InvalidInputError, match=fragment):
        compute_response(
            algorithm,
            username="u",
            password="p",
            realm="r",
            nonce="n",
            method="GET",
            uri="/",
            qop=qop,
            nc=nc,
            cnonce=cnonce,
        )


def test_unencodable_text_is_invalid_input_not_unicode_error() -> None:
    with pytest.raises(InvalidInputError, match="not encodable"):
        compute_response(
            Algorithm.MD5,
            username="\ud800",
            password="p",
            realm="r",
            nonce="n",
            method="GET",
            uri="/",
            qop=None,
        )
    for username, uri in (("\ud800", "/"), ("u", "/\udcff")):
        with pytest.raises(InvalidInputError, match="not encodable"):
            build_authorization(
                challenge_for(Algorithm.MD5, "auth"),
                username=username,
                password="p",
                method="GET",
                uri=uri,
                body=b"",
                nc=1,
                cnonce=CNONCE,
                qop="auth",
            )


def test_helpers_against_reference() -> None:
    for algorithm in Algorithm:
        assert hash_hex(algorithm, "abc") == ref.h(algorithm.value, "abc")
        assert hash_hex(algorithm, b"abc") == ref.h(algorithm.value, b"abc")
        assert userhash(algorithm, username="u", realm="r") == ref.h(algorithm.value, "u:r")
        assert credentials_hash(algorithm, username="u", realm="r", password="p") == ref.h(
            algorithm.value, "u:r:p"
        )


def test_template_reuses_a_given_secret_hash() -> None:
    # A wrong cached value must change the answer: proof that the template uses it.
    challenge = challenge_for(Algorithm.MD5, "auth")
    plain = AuthorizationTemplate(challenge, username="u", password="p")
    cached = AuthorizationTemplate(
        challenge, username="u", password="p", secret_hash=ref.h("MD5", "u:OceanBase Cloud:p")
    )
    wrong = AuthorizationTemplate(challenge, username="u", password="p", secret_hash="0" * 32)
    args = ("GET", "/", b"")
    first = plain.render(*args, nc=1, cnonce="c", qop="auth")
    assert cached.render(*args, nc=1, cnonce="c", qop="auth") == first
    assert wrong.render(*args, nc=1, cnonce="c", qop="auth") != first


QUOTABLE = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_characters="".join(map(chr, [*range(0x09), *range(0x0A, 0x20), 0x7F])),
    ),
    max_size=20,
)


@given(
    algorithm=st.sampled_from(list(Algorithm)),
    qop=st.sampled_from(["auth", "auth-int"]),
    realm=QUOTABLE,
    nonce=QUOTABLE.filter(bool),
    opaque=st.none() | QUOTABLE,
    username=st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=12),
    password=st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
    uri=QUOTABLE.map(lambda s: "/" + s),
    body=st.binary(max_size=64),
    nc=st.integers(1, 2**32 - 1),
    use_userhash=st.booleans(),
)
def test_fuzz_header_parses_back_and_verifies(
    algorithm: Algorithm,
    qop: str,
    realm: str,
    nonce: str,
    opaque: str | None,
    username: str,
    password: str,
    uri: str,
    body: bytes,
    nc: int,
    use_userhash: bool,
) -> None:
    challenge = DigestChallenge(
        realm=realm,
        nonce=nonce,
        algorithm=algorithm,
        qop=(qop,),
        opaque=opaque,
        userhash=use_userhash,
    )
    header = build_authorization(
        challenge,
        username=username,
        password=password,
        method="POST",
        uri=uri,
        body=body,
        nc=nc,
        cnonce=CNONCE,
        qop=qop,
    )
    fields = ref.parse_authorization(header)
    assert (fields["realm"], fields["nonce"], fields["uri"]) == (realm, nonce, uri)
    assert fields.get("opaque") == opaque
    if use_userhash:
        assert fields["username"] == ref.h(algorithm.value, f"{username}:{realm}")
    elif "username*" in fields:
        assert ref.decode_ext_value(fields["username*"]) == username
    else:
        assert fields["username"] == username
    assert fields["response"] == ref.response(
        algorithm.value,
        username=username,
        password=password,
        realm=realm,
        nonce=nonce,
        method="POST",
        uri=uri,
        qop=qop,
        nc=f"{nc:08x}",
        cnonce=CNONCE,
        body=body,
    )
