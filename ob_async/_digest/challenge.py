"""Reading ``WWW-Authenticate``: every challenge of every scheme, then the Digest one we answer.

Two steps, kept apart so each can be tested on its own:

- :func:`parse_www_authenticate` turns header values into :class:`Challenge` objects,
  following the RFC 7235 grammar (``1#challenge``, ``challenge = auth-scheme
  [ 1*SP ( token68 / #auth-param ) ]``). It knows nothing about Digest. Empty list
  elements (``, ,``) are accepted as RFC 7230 §7 requires; everything else that
  does not fit the grammar (or a header over :data:`MAX_HEADER_CHARS`, or more than
  :data:`MAX_CHALLENGES` challenges) is a :class:`~ob_async.errors.ChallengeError`
  naming the header value and the character offset. The one leniency: an
  auth-param after a comma that follows a bare scheme (``Basic, realm="x"``)
  belongs to that scheme, because an auth-param can never start a challenge.
  Octets above 0x7F (``obs-text``) are accepted inside quoted strings, whatever
  code point they were decoded to.
- :func:`select_challenge` reads the Digest challenges among them (RFC 7616 §3.3)
  and picks the strongest one we can answer, as a :class:`DigestChallenge`.

Nothing here runs on the per-request hot path: both run only when a 401 arrives.
"""

from __future__ import annotations

import enum
import re
import types
from collections.abc import Iterable, Mapping

import attrs

from ob_async.errors import AuthenticationError, ChallengeError

MAX_HEADER_CHARS = 16 * 1024
MAX_CHALLENGES = 64

# The qop values RFC 7616 defines; any other is a future extension we cannot answer.
SUPPORTED_QOP = ("auth", "auth-int")


class Algorithm(enum.StrEnum):
    """A Digest algorithm, by its wire name (RFC 7616 §6.1)."""

    MD5 = "MD5"
    MD5_SESS = "MD5-sess"
    SHA_256 = "SHA-256"
    SHA_256_SESS = "SHA-256-sess"
    SHA_512_256 = "SHA-512-256"
    SHA_512_256_SESS = "SHA-512-256-sess"

    @property
    def is_session(self) -> bool:
        """True for the ``-sess`` variants, whose HA1 also covers nonce and cnonce."""
        return self.value.endswith("-sess")

    @property
    def strength(self) -> int:
        """Rank of the underlying hash: SHA-512/256 > SHA-256 > MD5."""
        return _STRENGTH[self.value.removesuffix("-sess")]

    @classmethod
    def from_wire(cls, token: str) -> Algorithm | None:
        """The algorithm a challenge names, matched case-insensitively; None if unknown."""
        return _BY_LOWER_NAME.get(token.lower())


_STRENGTH = {"MD5": 1, "SHA-256": 2, "SHA-512-256": 3}
_BY_LOWER_NAME = {algorithm.value.lower(): algorithm for algorithm in Algorithm}


def _frozen_params(params: Mapping[str, str]) -> Mapping[str, str]:
    # A read-only copy: a Challenge must not change after it was parsed.
    return types.MappingProxyType(dict(params))


@attrs.frozen
class Challenge:
    """One challenge of any scheme, as the server sent it."""

    scheme: str
    # Excluded from the hash (a mapping is not hashable); equality still compares it.
    params: Mapping[str, str] = attrs.field(converter=_frozen_params, hash=False)
    token68: str | None = None


@attrs.frozen
class DigestChallenge:
    """A Digest challenge this engine can answer.

    ``qop`` holds the offered qop values that this engine supports (``auth``,
    ``auth-int``), lower-cased, in the order offered; ``()`` means the challenge
    carried no qop at all, i.e. the RFC 2069 form.
    """

    realm: str
    nonce: str
    algorithm: Algorithm = Algorithm.MD5
    qop: tuple[str, ...] = ()
    opaque: str | None = None
    stale: bool = False
    userhash: bool = False
    charset: str | None = None
    domain: tuple[str, ...] = ()


# RFC 7230 §3.2.6 tchar, and RFC 7235 §2.1 token68.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_WS = " \t"


class _Parser:
    """A cursor over one header value; every error names the value and the offset."""

    __slots__ = ("count", "index", "pos", "text")

    def __init__(self, text: str, index: int, count: int) -> None:
        self.text = text
        self.index = index
        self.pos = 0
        self.count = count

    def fail(self, message: str, pos: int | None = None) -> ChallengeError:
        at = self.pos if pos is None else pos
        return ChallengeError(
            f"malformed WWW-Authenticate (value {self.index + 1}, offset {at}): {message}"
        )

    def found(self, pos: int | None = None) -> str:
        at = self.pos if pos is None else pos
        if at >= len(self.text):
            return "end of value"
        return f"{self.text[at]!r}"

    def skip_ws(self) -> None:
        text, pos, end = self.text, self.pos, len(self.text)
        while pos < end and text[pos] in _WS:
            pos += 1
        self.pos = pos

    def skip_separators(self) -> None:
        # Empty list elements and the whitespace around them (RFC 7230 §7).
        text, pos, end = self.text, self.pos, len(self.text)
        while pos < end and (text[pos] in _WS or text[pos] == ","):
            pos += 1
        self.pos = pos

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek_is_param(self) -> bool:
        """Whether the cursor stands on ``token BWS "="``, the start of an auth-param."""
        match = _TOKEN.match(self.text, self.pos)
        if match is None:
            return False
        pos, end = match.end(), len(self.text)
        while pos < end and self.text[pos] in _WS:
            pos += 1
        return pos < end and self.text[pos] == "="

    def parse(self, into: list[Challenge]) -> None:
        self.skip_separators()
        if self.at_end():
            raise self.fail("the value holds no challenge")
        while not self.at_end():
            into.append(self.challenge())
            self.count += 1
            if self.count > MAX_CHALLENGES:
                raise self.fail(f"more than {MAX_CHALLENGES} challenges")
            self.skip_separators()

    def challenge(self) -> Challenge:
        start = self.pos
        match = _TOKEN.match(self.text, start)
        if match is None:
            raise self.fail(f"expected an auth-scheme token, found {self.found()}")
        scheme = match.group().lower()
        self.pos = match.end()
        if self.at_end() or self.text[self.pos] == ",":
            return self.rest_of_bare(scheme)
        if self.text[self.pos] not in _WS:
            raise self.fail(
                f"expected a space or ',' after auth-scheme {scheme!r}, found {self.found()}"
            )
        self.skip_ws()
        if self.at_end() or self.text[self.pos] == ",":
            return self.rest_of_bare(scheme)
        token68 = _TOKEN68.match(self.text, self.pos)
        if token68 is not None:
            after = token68.end()
            while after < len(self.text) and self.text[after] in _WS:
                after += 1
            if after >= len(self.text) or self.text[after] == ",":
                self.pos = after
                self.refuse_params_after_token68(scheme)
                return Challenge(scheme, {}, token68.group())
        params: dict[str, str] = {}
        self.param(scheme, params)
        self.more_params(scheme, params)
        return Challenge(scheme, params)

    def rest_of_bare(self, scheme: str) -> Challenge:
        # A scheme followed by a comma may still own auth-params after it (see module doc).
        params: dict[str, str] = {}
        self.more_params(scheme, params)
        return Challenge(scheme, params)

    def more_params(self, scheme: str, params: dict[str, str]) -> None:
        """Read ``, auth-param`` items until the value ends or the next challenge starts."""
        while True:
            self.skip_ws()
            if self.at_end():
                return
            if self.text[self.pos] != ",":
                raise self.fail(f"expected ',' or end of value, found {self.found()}")
            self.skip_separators()
            if self.at_end() or not self.peek_is_param():
                return
            self.param(scheme, params)

    def refuse_params_after_token68(self, scheme: str) -> None:
        saved = self.pos
        self.skip_separators()
        if not self.at_end() and self.peek_is_param():
            raise self.fail(f"auth-param after the token68 of challenge {scheme!r}")
        self.pos = saved

    def param(self, scheme: str, params: dict[str, str]) -> None:
        start = self.pos
        match = _TOKEN.match(self.text, start)
        if match is None:
            raise self.fail(f"expected an auth-param name, found {self.found()}")
        name = match.group().lower()
        self.pos = match.end()
        self.skip_ws()
        if self.at_end() or self.text[self.pos] != "=":
            raise self.fail(f"expected '=' after parameter name {name!r}, found {self.found()}")
        self.pos += 1
        self.skip_ws()
        if self.at_end():
            raise self.fail(f"parameter {name!r} has no value")
        if self.text[self.pos] == '"':
            value = self.quoted_string()
        else:
            token = _TOKEN.match(self.text, self.pos)
            if token is None:
                raise self.fail(
                    f"expected a token or quoted-string for parameter {name!r}, "
                    f"found {self.found()}"
                )
            value = token.group()
            self.pos = token.end()
        if name in params:
            raise self.fail(f"parameter {name!r} repeated in challenge {scheme!r}", start)
        params[name] = value

    def quoted_string(self) -> str:
        text, start, end = self.text, self.pos, len(self.text)
        pos = start + 1
        out: list[str] = []
        while pos < end:
            char = text[pos]
            if char == '"':
                self.pos = pos + 1
                return "".join(out)
            if char == "\\":
                pos += 1
                if pos >= end:
                    break
                char = text[pos]
            if (char < " " and char != "\t") or char == "\x7f":
                raise self.fail(f"control character U+{ord(char):04X} in quoted-string", pos)
            out.append(char)
            pos += 1
        raise self.fail("unterminated quoted-string", start)


def parse_www_authenticate(headers: Iterable[str]) -> list[Challenge]:
    """Every challenge in every given ``WWW-Authenticate`` value, in order.

    Raises :class:`~ob_async.errors.ChallengeError` for input that does not fit the
    grammar, a value over :data:`MAX_HEADER_CHARS` characters, or more than
    :data:`MAX_CHALLENGES` challenges in all.
    """
    challenges: list[Challenge] = []
    for index, value in enumerate(headers):
        if len(value) > MAX_HEADER_CHARS:
            raise ChallengeError(
                f"malformed WWW-Authenticate (value {index + 1}): "
                f"{len(value)} characters, over the limit of {MAX_HEADER_CHARS}"
            )
        _Parser(value, index, len(challenges)).parse(challenges)
    return challenges


def _describe(challenge: Challenge) -> str:
    """A short, bounded description of an offered challenge for error messages."""
    if challenge.scheme != "digest":
        return challenge.scheme
    algorithm = challenge.params.get("algorithm", "MD5")
    return f"digest(algorithm={algorithm[:40]!r})"


def _to_digest(challenge: Challenge) -> DigestChallenge | str:
    """The usable DigestChallenge, or the reason this Digest challenge cannot be answered."""
    params = challenge.params
    realm = params.get("realm")
    nonce = params.get("nonce")
    if realm is None:
        return "no realm"
    if not nonce:
        return "no nonce"
    algorithm = Algorithm.from_wire(params.get("algorithm", "MD5"))
    if algorithm is None:
        return f"unsupported algorithm {params['algorithm'][:40]!r}"
    qop: tuple[str, ...] = ()
    if "qop" in params:
        offered = [value.strip().lower() for value in params["qop"].split(",")]
        qop = tuple(value for value in SUPPORTED_QOP if value in offered)
        # Keep the server's order: it lists what it prefers first.
        qop = tuple(sorted(qop, key=offered.index))
        if not qop:
            return f"no supported qop in {params['qop'][:40]!r}"
    elif algorithm.is_session:
        # A -sess HA1 needs a cnonce, and without qop there is no cnonce to send.
        return f"algorithm {algorithm.value} without qop"
    return DigestChallenge(
        realm=realm,
        nonce=nonce,
        algorithm=algorithm,
        qop=qop,
        opaque=params.get("opaque"),
        stale=params.get("stale", "").lower() == "true",
        userhash=params.get("userhash", "").lower() == "true",
        charset=params.get("charset"),
        domain=tuple(params.get("domain", "").split()),
    )


def select_challenge(challenges: Iterable[Challenge]) -> DigestChallenge:
    """The strongest Digest challenge we can answer; the first offered wins a tie.

    Raises :class:`~ob_async.errors.AuthenticationError` (status 401), naming what
    was offered and why none of it is usable, when there is nothing to answer.
    """
    best: DigestChallenge | None = None
    offered: list[str] = []
    for challenge in challenges:
        if challenge.scheme != "digest":
            offered.append(_describe(challenge))
            continue
        usable = _to_digest(challenge)
        if isinstance(usable, str):
            offered.append(f"{_describe(challenge)}: {usable}")
        elif best is None or usable.algorithm.strength > best.algorithm.strength:
            best = usable
    if best is None:
        listed = "; ".join(offered) if offered else "nothing"
        raise AuthenticationError(
            f"the server offered no Digest challenge we can answer (offered: {listed})",
            status=401,
        )
    return best
