"""parse_www_authenticate: the RFC 7235 grammar, its edge cases, its errors, and fuzzing."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ob_async._digest import Challenge, parse_www_authenticate
from ob_async._digest.challenge import MAX_CHALLENGES, MAX_HEADER_CHARS
from ob_async.errors import ChallengeError


def parse_one(value: str) -> list[Challenge]:
    return parse_www_authenticate([value])


def test_single_digest_challenge() -> None:
    [challenge] = parse_one('Digest realm="r", nonce="n", qop="auth,auth-int", algorithm=MD5')
    assert challenge == Challenge(
        "digest", {"realm": "r", "nonce": "n", "qop": "auth,auth-int", "algorithm": "MD5"}
    )
    assert challenge.token68 is None


def test_several_challenges_in_one_header() -> None:
    parsed = parse_one(
        'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple", '
        'Digest realm="d", nonce="x,y"'
    )
    assert parsed == [
        Challenge("newauth", {"realm": "apps", "type": "1", "title": 'Login to "apps"'}),
        Challenge("basic", {"realm": "simple"}),
        Challenge("digest", {"realm": "d", "nonce": "x,y"}),
    ]


def test_several_headers_keep_order() -> None:
    parsed = parse_www_authenticate(
        ['Basic realm="a"', "Bearer mF_9.B5f-4.1JqM", 'Digest realm="b", nonce="n"']
    )
    assert [c.scheme for c in parsed] == ["basic", "bearer", "digest"]
    assert parsed[1].token68 == "mF_9.B5f-4.1JqM"
    assert parsed[1].params == {}


@pytest.mark.parametrize(
    ("value", "token68"),
    [
        ("Bearer abc", "abc"),
        ("Bearer abc=", "abc="),
        ("Bearer abc==  ", "abc=="),
        ("Negotiate YIIB+/9q==", "YIIB+/9q=="),
        ("Bearer a~b.c_d-e+f/g", "a~b.c_d-e+f/g"),
        ("Digest realm", "realm"),
        ("Digest realm=", "realm="),
    ],
)
def test_token68(value: str, token68: str) -> None:
    assert parse_one(value) == [Challenge(value.split(maxsplit=1)[0].lower(), {}, token68)]


def test_token68_followed_by_another_challenge() -> None:
    assert parse_one('Bearer tok==, Digest realm="r"') == [
        Challenge("bearer", {}, "tok=="),
        Challenge("digest", {"realm": "r"}),
    ]


def test_quoted_commas_and_escapes() -> None:
    [challenge] = parse_one(r'Digest realm="a, b=c, \"d\" \\ e\f", nonce="x"')
    assert challenge.params["realm"] == 'a, b=c, "d" \\ ef'


def test_names_and_scheme_are_case_insensitive_values_are_not() -> None:
    [challenge] = parse_one('DIGEST Realm="R", NONCE="AbC", Algorithm=sha-256, StAlE=TRUE')
    assert challenge.scheme == "digest"
    assert dict(challenge.params) == {
        "realm": "R",
        "nonce": "AbC",
        "algorithm": "sha-256",
        "stale": "TRUE",
    }


@pytest.mark.parametrize(
    "value",
    [
        'Digest realm="r",nonce="n"',
        'Digest realm = "r" , nonce= "n"',
        'Digest   realm="r",\tnonce ="n"  ',
        'Digest\trealm="r", nonce="n"',
        '  , Digest realm="r", , nonce="n" ,,',
        'Digest realm=\t"r",nonce=n',
    ],
)
def test_whitespace_and_empty_elements(value: str) -> None:
    [challenge] = parse_one(value)
    assert challenge.scheme == "digest"
    assert challenge.params == {"realm": "r", "nonce": "n"}


def test_bare_schemes() -> None:
    assert parse_one("Negotiate, NTLM ,Basic") == [
        Challenge("negotiate", {}),
        Challenge("ntlm", {}),
        Challenge("basic", {}),
    ]


def test_param_after_bare_scheme_belongs_to_it() -> None:
    assert parse_one('Basic, realm="x"') == [Challenge("basic", {"realm": "x"})]


def test_empty_quoted_value_and_unicode_obs_text() -> None:
    [challenge] = parse_one('Digest realm="", opaque="caf\u00e9 \u2603"')
    assert challenge.params == {"realm": "", "opaque": "caf\u00e9 \u2603"}


def test_params_mapping_is_read_only() -> None:
    [challenge] = parse_one('Basic realm="x"')
    with pytest.raises(TypeError):
        challenge.params["realm"] = "y"  # type: ignore[index]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "value 1, offset 0): the value holds no challenge"),
        (" , ,", "holds no challenge"),
        ('Digest realm="abc', "offset 13): unterminated quoted-string"),
        ('Digest realm="abc\\', "unterminated quoted-string"),
        ('Digest realm="a\nb"', "offset 15): control character U+000A in quoted-string"),
        ('Digest realm="a\\\x00"', "control character U+0000"),
        ("Digest realm x", "offset 13): expected '=' after parameter name 'realm', found 'x'"),
        ('Digest realm="r" nonce="n"', "offset 17): expected ',' or end of value, found 'n'"),
        ('Digest realm="r", nonce=', "parameter 'nonce' has no value"),
        ("Digest realm=@", "expected a token or quoted-string for parameter 'realm'"),
        ('Digest realm="a", realm="b"', "offset 18): parameter 'realm' repeated"),
        ('Digest realm="a", REALM="b"', "parameter 'realm' repeated"),
        ('realm="x"', "expected a space or ',' after auth-scheme 'realm'"),
        ("=x", "offset 0): expected an auth-scheme token, found '='"),
        ('Basic "x"', "expected an auth-param name, found '\"'"),
        ("Bearer tok, a=b", "auth-param after the token68 of challenge 'bearer'"),
        ('Digest a="b", @', "expected an auth-scheme token, found '@'"),
        ("Digest r\x01", "expected '=' after parameter name 'r', found '\\x01'"),
        ('Digest realm="x"\x7f', "found '\\x7f'"),
    ],
)
def test_malformed_input_names_the_problem(value: str, fragment: str) -> None:
    with pytest.raises(ChallengeError) as caught:
        parse_one(value)
    message = str(caught.value)
    assert message.startswith("malformed WWW-Authenticate (value 1")
    assert fragment in message


def test_error_names_which_header_value() -> None:
    with pytest.raises(ChallengeError, match=r"value 2, offset 5"):
        parse_www_authenticate(['Basic realm="x"', "Basic\x00"])


def test_header_size_bound() -> None:
    filler = "a" * (MAX_HEADER_CHARS - len('Digest realm="", nonce="n"'))
    exactly = f'Digest realm="{filler}", nonce="n"'
    assert len(exactly) == MAX_HEADER_CHARS
    assert parse_one(exactly)[0].params["realm"] == filler
    with pytest.raises(ChallengeError, match=r"value 1\): 16385 characters, over the limit"):
        parse_one(exactly + " ")


def test_challenge_count_bound_across_headers() -> None:
    half = ", ".join(["Basic"] * (MAX_CHALLENGES // 2))
    assert len(parse_www_authenticate([half, half])) == MAX_CHALLENGES
    with pytest.raises(ChallengeError, match=f"more than {MAX_CHALLENGES} challenges"):
        parse_www_authenticate([half, half, "Basic"])


def test_empty_iterable_gives_no_challenges() -> None:
    assert parse_www_authenticate([]) == []


# --- fuzzing -----------------------------------------------------------------------

TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
TOKEN68_RE = re.compile(r"[A-Za-z0-9\-._~+/]+=*")

# Characters that matter to the grammar, so random strings hit its branches often.
GRAMMAR_TEXT = st.text(alphabet='aZ9=,"\\ \t/+-.~_!@\x00\n\u00e9Digest', max_size=80)


def parse_or_error(values: list[str]) -> list[Challenge] | ChallengeError:
    try:
        return parse_www_authenticate(values)
    except ChallengeError as error:
        return error


ERROR_PLACE = re.compile(r"malformed WWW-Authenticate \(value (\d+), offset (\d+)\): \S")


def check_outcome(values: list[str], result: list[Challenge] | ChallengeError) -> None:
    """What any input must come to: well-formed challenges, or an error that points
    at a real place in the input (no other exception: parse_or_error lets it escape)."""
    if isinstance(result, ChallengeError):
        place = ERROR_PLACE.match(str(result))
        assert place, str(result)
        value, offset = int(place.group(1)), int(place.group(2))
        assert 1 <= value <= len(values)
        assert 0 <= offset <= len(values[value - 1])
        return
    assert len(result) <= MAX_CHALLENGES
    text = " ".join(values).lower()
    for challenge in result:
        assert TOKEN_RE.fullmatch(challenge.scheme), challenge
        assert challenge.scheme == challenge.scheme.lower()
        assert challenge.scheme in text
        assert all(TOKEN_RE.fullmatch(name) and name == name.lower() for name in challenge.params)
        if challenge.token68 is not None:
            assert TOKEN68_RE.fullmatch(challenge.token68), challenge
            assert not challenge.params
            assert challenge.token68 in " ".join(values)


@given(st.text())
def test_fuzz_arbitrary_text_parses_or_raises_challenge_error(value: str) -> None:
    check_outcome([value], parse_or_error([value]))


@given(st.lists(st.one_of(st.text(), GRAMMAR_TEXT), max_size=6))
def test_fuzz_lists_of_values(values: list[str]) -> None:
    # Several values read as one list: what each gives alone, in order; the first
    # value that fails alone fails the whole, and is the one the error names.
    result = parse_or_error(values)
    check_outcome(values, result)
    alone = [parse_or_error([value]) for value in values]
    failed = [i for i, outcome in enumerate(alone) if isinstance(outcome, ChallengeError)]
    joined = [c for outcome in alone if isinstance(outcome, list) for c in outcome]
    if failed:
        assert isinstance(result, ChallengeError)
        first = failed[0]
        before = sum(len(o) for o in alone[:first] if isinstance(o, list))
        if before <= MAX_CHALLENGES:
            assert f"(value {first + 1}," in str(result), str(result)
    elif len(joined) > MAX_CHALLENGES:
        assert isinstance(result, ChallengeError)
        assert "more than" in str(result)
    else:
        assert result == joined


@given(GRAMMAR_TEXT)
def test_fuzz_grammar_alphabet_is_deterministic_and_typed(value: str) -> None:
    first = parse_or_error([value])
    second = parse_or_error([value])
    if isinstance(first, ChallengeError):
        assert isinstance(second, ChallengeError)
        assert str(first) == str(second)
        assert "offset" in str(first)
    else:
        assert first == second
        for challenge in first:
            assert challenge.scheme == challenge.scheme.lower()
            assert all(name == name.lower() for name in challenge.params)


@settings(deadline=None, max_examples=20)
@given(st.text(min_size=1, max_size=40))
def test_fuzz_oversized_values_are_refused(tail: str) -> None:
    # Valid up to the limit, so only the size can be what is refused.
    with pytest.raises(ChallengeError, match="over the limit"):
        parse_one("Basic " + "a" * (MAX_HEADER_CHARS - 6) + tail)


# --- round trip ----------------------------------------------------------------------

TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
TOKEN = st.text(alphabet=TCHAR, min_size=1, max_size=12)
TOKEN68 = st.builds(
    lambda body, pad: body + "=" * pad,
    st.text(
        alphabet="abcXYZ0189-._~+/",
        min_size=1,
        max_size=20,
    ),
    st.integers(0, 3),
)
# What a quoted-string can carry: HTAB, SP, VCHAR and anything above 0x7F.
QUOTABLE = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_characters="".join(map(chr, [*range(0x09), *range(0x0A, 0x20), 0x7F])),
    ),
    max_size=30,
)


@st.composite
def challenges(draw: st.DrawFn) -> tuple[str, Challenge]:
    """A challenge and one way of writing it, with random case, quoting and spacing."""
    scheme = draw(TOKEN)
    if draw(st.booleans()):
        token68 = draw(TOKEN68)
        return f"{scheme} {token68}", Challenge(scheme.lower(), {}, token68)
    names = draw(st.lists(TOKEN, max_size=5, unique_by=str.lower))
    parts = []
    params = {}
    for name in names:
        quote = draw(st.booleans())
        value = draw(QUOTABLE if quote else TOKEN)
        params[name.lower()] = value
        if quote:
            value = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        space = draw(st.sampled_from(["", " ", "\t", " \t "]))
        parts.append(f"{name}{space}={space}{value}")
    separator = draw(st.sampled_from([", ", ",", " , ", ",\t", ", , "]))
    text = f"{scheme} {separator.join(parts)}" if parts else scheme
    return text, Challenge(scheme.lower(), params)


@given(st.lists(st.lists(challenges(), min_size=1, max_size=4), min_size=1, max_size=4))
def test_round_trip(headers: list[list[tuple[str, Challenge]]]) -> None:
    values = [", ".join(text for text, _ in header) for header in headers]
    expected = [challenge for header in headers for _, challenge in header]
    assert parse_www_authenticate(values) == expected
