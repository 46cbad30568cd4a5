"""Request ids: the ``requestId`` every call carries, and when one needs quoting in a URL.

The submitter fixes one requestId per logical submission before its first attempt
(:mod:`ob_async._restore.submit`); the session puts it in every URL
(:mod:`ob_async._http.session`). Both take it from here.
"""

from __future__ import annotations

import os
import re

from ob_async.errors import InvalidInputError

MAX_REQUEST_ID_LENGTH = 128
"""The longest requestId accepted from a caller (ours are 36 characters): a
longer one only makes every URL of the submission longer, up to a refusal."""

is_url_safe = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch
"""Matches strings that ``quote(..., safe="")`` leaves as they are (None otherwise)."""


def new_request_id() -> str:
    """A fresh requestId (UUID4), as the API's examples use.

    The same value ``str(uuid.uuid4())`` gives (122 random bits, version 4, RFC 4122
    variant, lower-case 8-4-4-4-12 hex), without building a ``UUID`` object.
    """
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def check_request_id(request_id: str, *, where: str = "request_id") -> None:
    """Refuse a caller's requestId that is empty, too long, or not printable ASCII."""
    if not request_id.strip():
        raise InvalidInputError("must not be empty", where=where)
    if len(request_id) > MAX_REQUEST_ID_LENGTH:
        raise InvalidInputError(
            f"is {len(request_id)} characters long; at most {MAX_REQUEST_ID_LENGTH}", where=where
        )
    if not all(0x21 <= ord(char) <= 0x7E for char in request_id):
        raise InvalidInputError("must be printable ASCII without spaces (e.g. a UUID)", where=where)
