"""Where a URL goes: its normalised origin and its request-target, or None when in doubt.

The digest engine binds credentials to one origin; these functions decide whether
a URL is at it, and what digest-uri to compute over.
"""

from __future__ import annotations

_DEFAULT_PORTS = {"http": 80, "https": 443}
_MAX_PORT = 65535


def split_origin(url: str) -> tuple[str, int] | None:
    """``(normalised origin, index where the request-target starts)``, or None if not http(s).

    A URL with userinfo, a backslash, whitespace or a control character in its
    authority gives None: HTTP libraries disagree on where such a URL goes, and
    credentials are only ever sent where there is no doubt.
    """
    scheme_end = url.find("://")
    if scheme_end <= 0:
        return None
    scheme = url[:scheme_end].lower()
    default_port = _DEFAULT_PORTS.get(scheme)
    if default_port is None:
        return None
    start = scheme_end + 3
    end = start
    while end < len(url) and url[end] not in "/?#":
        end += 1
    host_port = split_authority(url[start:end], default_port)
    if host_port is None:
        return None
    host, port = host_port
    origin = f"{scheme}://{host}" if port == default_port else f"{scheme}://{host}:{port}"
    return origin, end


def split_authority(authority: str, default_port: int) -> tuple[str, int] | None:
    """``(lower-cased host, port)`` of an authority without userinfo, or None."""
    if not authority.isprintable() or any(char in authority for char in " @\\"):
        return None
    if authority.startswith("["):
        host, bracket, rest = authority.partition("]")
        host += bracket
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:]
    else:
        host, _, port_text = authority.partition(":")
    if host in ("", "[]"):
        return None
    if not port_text:
        return host.lower(), default_port
    if not (port_text.isascii() and port_text.isdigit()) or int(port_text) > _MAX_PORT:
        return None
    return host.lower(), int(port_text)


def request_target(rest: str) -> str:
    """The request-target of what follows the authority: path and query as given."""
    if "#" in rest:
        rest = rest[: rest.index("#")]
    return rest if rest.startswith("/") else f"/{rest}"
