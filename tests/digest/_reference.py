"""An independent Digest reference for the tests, written straight from RFC 7616 §3.4.

It shares no code with ob_async._digest: its own hashes, its own formulas, and its
own small parser for Authorization values, so the engine is checked against a
second reading of the RFC rather than against itself.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import urllib.parse


def h(algorithm: str, data: str | bytes) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    name = algorithm.lower().removesuffix("-sess")
    if name == "md5":
        return hashlib.md5(raw).hexdigest()
    if name == "sha-256":
        return hashlib.sha256(raw).hexdigest()
    if name == "sha-512-256":
        return hashlib.new("sha512_256", raw).hexdigest()
    raise ValueError(algorithm)


def response(
    algorithm: str,
    *,
    username: str,
    password: str,
    realm: str,
    nonce: str,
    method: str,
    uri: str,
    qop: str | None,
    nc: str | None = None,
    cnonce: str | None = None,
    body: bytes = b"",
    nfc: bool = False,
) -> str:
    """RFC 7616 §3.4.1-3.4.3, literally: A1, A2, then KD(H(A1), ...)."""
    if nfc:
        username = unicodedata.normalize("NFC", username)
        password = unicodedata.normalize("NFC", password)
    a1 = f"{username}:{realm}:{password}"
    if algorithm.lower().endswith("-sess"):
        a1 = f"{h(algorithm, a1)}:{nonce}:{cnonce}"
    a2 = f"{method}:{uri}"
    if qop == "auth-int":
        a2 = f"{a2}:{h(algorithm, body)}"
    if qop is None:
        return h(algorithm, f"{h(algorithm, a1)}:{nonce}:{h(algorithm, a2)}")
    return h(algorithm, f"{h(algorithm, a1)}:{nonce}:{nc}:{cnonce}:{qop}:{h(algorithm, a2)}")


_PARAM = re.compile(r'\s*([A-Za-z*]+)=("((?:[^"\\]|\\.)*)"|[^",\s]+)\s*(?:,|$)')


def parse_authorization(value: str) -> dict[str, str]:
    """``Digest a="b", c=d`` as a dict; quoted values unescaped. Asserts the whole value parses."""
    assert value.startswith("Digest "), value
    rest = value[len("Digest ") :]
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(rest):
        match = _PARAM.match(rest, pos)
        assert match is not None, f"unparsable at {pos}: {rest[pos:]!r}"
        name = match.group(1)
        assert name not in fields, f"{name} repeated"
        if match.group(3) is not None:
            fields[name] = re.sub(r"\\(.)", r"\1", match.group(3))
        else:
            fields[name] = match.group(2)
        pos = match.end()
    return fields


def decode_ext_value(value: str) -> str:
    """RFC 8187 ``UTF-8''pct-encoded`` back to text."""
    charset, _, encoded = value.partition("''")
    assert charset == "UTF-8", value
    return urllib.parse.unquote(encoded, encoding="utf-8", errors="strict")
