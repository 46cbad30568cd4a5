"""Pure Digest arithmetic (RFC 7616 §3.4) and the ``Authorization`` value built from it.

- :func:`compute_response` is the §3.4.1 response value written out in full, for
  callers (and tests) that want one number from plain inputs.
- :class:`AuthorizationTemplate` is what the hot path uses: everything that depends
  only on the challenge and the credentials (HA1 or the inner -sess hash, the
  userhash, the quoted realm/nonce/opaque, the header's fixed parts) is computed
  once, so each request costs one cnonce, two or three hashes and one string format.
- :func:`build_authorization` is the one-shot form: a template used once.

Encoding: every string is hashed as UTF-8. When the challenge says
``charset=UTF-8``, the username and password are first put in Unicode NFC
(RFC 7616 §4). Quoted-string values are escaped (``\\`` and ``"``); a value holding a
control character cannot be sent in a header and is refused with
:class:`~ob_async.errors.InvalidInputError` rather than risking header injection.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
import urllib.parse
from collections.abc import Callable
from typing import Protocol

from ob_async._digest.challenge import SUPPORTED_QOP, Algorithm, DigestChallenge
from ob_async.errors import InvalidInputError

MAX_NC = 0xFFFFFFFF  # nc is 8LHEX (RFC 7616 §3.4)


class _HashObject(Protocol):
    def hexdigest(self) -> str: ...


_Digest = Callable[[bytes], _HashObject]

# MD5 is what the protocol's oldest algorithm is defined with, not our choice of hash.
_DIGESTS: dict[str, _Digest] = {
    "MD5": hashlib.md5,
    "SHA-256": hashlib.sha256,
    # Real SHA-512/256 (FIPS 180-4: its own initial values), not truncated SHA-512.
    "SHA-512-256": functools.partial(hashlib.new, "sha512_256"),
}

# RFC 8187 attr-char, the characters an ext-value may carry unencoded.
_ATTR_CHAR_EXTRA = "!#$&+-.^_`|~"


def digest_function(algorithm: Algorithm) -> _Digest:
    """The hash constructor behind ``algorithm`` (the -sess variants share their hash's)."""
    return _DIGESTS[algorithm.value.removesuffix("-sess")]


def hash_hex(algorithm: Algorithm, data: str | bytes) -> str:
    """``H(data)`` as lower-case hex; strings are hashed as UTF-8."""
    raw = data.encode() if isinstance(data, str) else data
    return digest_function(algorithm)(raw).hexdigest()


def _uses_nfc(charset: str | None) -> bool:
    return charset is not None and charset.lower() == "utf-8"


def _prepare(text: str, nfc: bool) -> str:
    return unicodedata.normalize("NFC", text) if nfc else text


def credentials_hash(
    algorithm: Algorithm, *, username: str, realm: str, password: str, charset: str | None = None
) -> str:
    """``H(username ":" realm ":" password)``: HA1 for plain algorithms, the inner hash of -sess."""
    return _credentials_hash_nfc(algorithm, username, realm, password, _uses_nfc(charset))


def userhash(algorithm: Algorithm, *, username: str, realm: str, charset: str | None = None) -> str:
    """``H(username ":" realm)``, what replaces the username when ``userhash=true`` (§3.4.4)."""
    return hash_hex(algorithm, f"{_prepare(username, _uses_nfc(charset))}:{realm}")


def _check_qop_inputs(
    algorithm: Algorithm, qop: str | None, nc: int | None, cnonce: str | None
) -> None:
    if qop is not None and qop not in SUPPORTED_QOP:
        raise InvalidInputError(f"unsupported qop {qop!r}", where="digest")
    if qop is not None and (nc is None or cnonce is None):
        raise InvalidInputError(f"qop={qop} needs both nc and cnonce", where="digest")
    if nc is not None and not 0 < nc <= MAX_NC:
        raise InvalidInputError(f"nc {nc} is outside 1..{MAX_NC:#x}", where="digest")
    if algorithm.is_session and (qop is None or cnonce is None):
        raise InvalidInputError(f"{algorithm.value} needs a qop and a cnonce", where="digest")


def compute_response(
    algorithm: Algorithm,
    *,
    username: str,
    password: str,
    realm: str,
    nonce: str,
    method: str,
    uri: str,
    qop: str | None,
    nc: int | None = None,
    cnonce: str | None = None,
    body: bytes = b"",
    charset: str | None = None,
) -> str:
    """The ``response`` value of RFC 7616 §3.4.1 (RFC 2069 form when ``qop`` is None).

    ``uri`` is the digest-uri exactly as it will appear in the header; ``body`` is
    hashed only for ``qop="auth-int"``.
    """
    _check_qop_inputs(algorithm, qop, nc, cnonce)
    try:
        ha1 = credentials_hash(
            algorithm, username=username, realm=realm, password=password, charset=charset
        )
        if algorithm.is_session:
            ha1 = hash_hex(algorithm, f"{ha1}:{nonce}:{cnonce}")
        a2 = f"{method}:{uri}"
        if qop == "auth-int":
            a2 = f"{a2}:{hash_hex(algorithm, body)}"
        ha2 = hash_hex(algorithm, a2)
        if qop is None:
            return hash_hex(algorithm, f"{ha1}:{nonce}:{ha2}")
        return hash_hex(algorithm, f"{ha1}:{nonce}:{nc:08x}:{cnonce}:{qop}:{ha2}")
    except UnicodeEncodeError:
        raise InvalidInputError(
            "a digest input is not encodable as UTF-8", where="digest"
        ) from None


def quote_value(value: str, what: str) -> str:
    """``value`` escaped for the inside of a quoted-string; control characters are refused."""
    if value.isprintable() and '"' not in value and "\\" not in value:
        return value
    for char in value:
        if (char < " " and char != "\t") or char == "\x7f":
            raise InvalidInputError(
                f"{what} holds control character U+{ord(char):04X}", where="digest"
            )
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _username_field(username: str) -> str:
    """``username="..."``, or ``username*=UTF-8''...`` when a quoted-string cannot carry it."""
    if all(" " <= char <= "~" or char == "\t" for char in username):
        return f'username="{quote_value(username, "the username")}"'
    try:
        encoded = urllib.parse.quote(username, safe=_ATTR_CHAR_EXTRA, encoding="utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError("the username is not encodable as UTF-8", where="digest") from None
    return f"username*=UTF-8''{encoded}"


class AuthorizationTemplate:
    """The parts of an ``Authorization`` value fixed by one challenge and one set of credentials.

    ``secret_hash`` may pass a cached :func:`credentials_hash` value (it depends only on
    the hash, the realm and the charset, so one value serves every nonce of a realm).
    """

    __slots__ = (
        "_digest",
        "_head",
        "_middle",
        "_nonce",
        "_prefix",
        "_qops",
        "_secret",
        "_session",
        "_tail",
        "challenge",
    )

    def __init__(
        self,
        challenge: DigestChallenge,
        *,
        username: str,
        password: str,
        secret_hash: str | None = None,
    ) -> None:
        self.challenge = challenge
        algorithm = challenge.algorithm
        nfc = _uses_nfc(challenge.charset)
        try:
            if secret_hash is None:
                secret_hash = _credentials_hash_nfc(
                    algorithm, username, challenge.realm, password, nfc
                )
            if challenge.userhash:
                hashed = hash_hex(algorithm, f"{_prepare(username, nfc)}:{challenge.realm}")
                user_field = f'username="{hashed}"'
            else:
                user_field = _username_field(_prepare(username, nfc))
        except UnicodeEncodeError:
            raise InvalidInputError(
                "the credentials are not encodable as UTF-8", where="digest"
            ) from None
        self._digest = digest_function(algorithm)
        self._session = algorithm.is_session
        self._secret = secret_hash
        self._nonce = challenge.nonce
        # Only the plain algorithms have a per-nonce constant HA1 prefix.
        self._prefix = "" if self._session else f"{secret_hash}:{challenge.nonce}:"
        # qop None (the RFC 2069 form) is allowed exactly when the challenge offered no qop.
        self._qops: frozenset[str | None] = (
            frozenset(challenge.qop) if challenge.qop else frozenset([None])
        )
        realm = quote_value(challenge.realm, "the realm")
        nonce = quote_value(challenge.nonce, "the nonce")
        self._head = f'Digest {user_field}, realm="{realm}", uri="'
        self._middle = f'", algorithm={algorithm.value}, nonce="{nonce}"'
        tail = ""
        if challenge.opaque is not None:
            tail += f', opaque="{quote_value(challenge.opaque, "the opaque value")}"'
        if challenge.userhash:
            tail += ", userhash=true"
        self._tail = tail

    def render(
        self, method: str, uri: str, body: bytes, *, nc: int, cnonce: str, qop: str | None
    ) -> str:
        """The full header value for one request; ``uri`` is its request-target as sent."""
        if qop not in self._qops:
            offered = ", ".join(self.challenge.qop) or "none (RFC 2069)"
            raise InvalidInputError(
                f"qop {qop!r} was not offered (offered: {offered})", where="digest"
            )
        if not 0 < nc <= MAX_NC:
            raise InvalidInputError(f"nc {nc} is outside 1..{MAX_NC:#x}", where="digest")
        digest = self._digest
        try:
            a2 = f"{method}:{uri}".encode()
            if qop == "auth-int":
                a2 += b":" + digest(body).hexdigest().encode()
            ha2 = digest(a2).hexdigest()
            prefix = self._prefix
            if self._session:
                ha1 = digest(f"{self._secret}:{self._nonce}:{cnonce}".encode()).hexdigest()
                prefix = f"{ha1}:{self._nonce}:"
            if qop is None:
                response = digest(f"{prefix}{ha2}".encode()).hexdigest()
                return (
                    f"{self._head}{quote_value(uri, 'the uri')}{self._middle}"
                    f', response="{response}"{self._tail}'
                )
            nc_hex = f"{nc:08x}"
            response = digest(f"{prefix}{nc_hex}:{cnonce}:{qop}:{ha2}".encode()).hexdigest()
        except UnicodeEncodeError:
            raise InvalidInputError(
                "the method, uri or cnonce is not encodable as UTF-8", where="digest"
            ) from None
        return (
            f"{self._head}{quote_value(uri, 'the uri')}{self._middle}, nc={nc_hex}"
            f', cnonce="{quote_value(cnonce, "the cnonce")}", qop={qop}'
            f', response="{response}"{self._tail}'
        )


def _credentials_hash_nfc(
    algorithm: Algorithm, username: str, realm: str, password: str, nfc: bool
) -> str:
    return hash_hex(algorithm, f"{_prepare(username, nfc)}:{realm}:{_prepare(password, nfc)}")


def build_authorization(
    challenge: DigestChallenge,
    *,
    username: str,
    password: str,
    method: str,
    uri: str,
    body: bytes,
    nc: int,
    cnonce: str,
    qop: str | None,
) -> str:
    """The full ``Authorization`` value (``Digest ...``) answering ``challenge`` once.

    ``qop`` must be one the challenge offered, or None when it offered none (the
    RFC 2069 form, which carries no nc, cnonce or qop).
    """
    template = AuthorizationTemplate(challenge, username=username, password=password)
    return template.render(method, uri, body, nc=nc, cnonce=cnonce, qop=qop)
