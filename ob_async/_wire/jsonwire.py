"""JSON on the wire: msgspec for speed, the standard library where msgspec says no.

msgspec reads and writes a restore's JSON several times faster than the
standard library, which is worth a tenth of a request's client CPU. Integers
of any size survive both ways. What msgspec refuses to read (numbers that
overflow a double, UTF-16 text, the ``NaN`` extension) is handed to ``json``,
so what ob-async accepts does not depend on which library did the work.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder()


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON of a JSON-ready value.

    The value must hold no NaN or infinity (msgspec writes them as null): models
    check that where they are built, as :class:`~ob_async._wire.models.RestoreRequest` does.
    """
    return _ENCODER.encode(value)


def loads(payload: bytes | str) -> Any:
    """Parse JSON; ValueError (or RecursionError) when it is not JSON."""
    try:
        return _DECODER.decode(payload)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return json.loads(payload)
