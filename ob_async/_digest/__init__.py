"""ob-async's own HTTP Digest engine (RFC 7616), sans I/O.

Five modules, one job each:

- :mod:`.challenge` parses ``WWW-Authenticate`` (every scheme, RFC 7235 grammar)
  and selects the strongest Digest challenge we can answer.
- :mod:`.compute` is the pure arithmetic: HA1, HA2, the response value and the
  ``Authorization`` value, with a precomputed template for the hot path.
- :mod:`.contexts` holds the server-side contexts answered in: a nonce's state,
  and the lanes of an origin that checks nonce counts strictly.
- :mod:`.auth` holds :class:`DigestAuth`, the per-origin state, and its generator
  flow, which the session layer drives with real requests.
- :mod:`.origin` decides whether a URL is at the origin credentials are bound to.

Nothing here does I/O or knows about aiohttp or asyncio.
"""

from ob_async._digest.auth import DigestAuth, DigestResponse, FlowEnd
from ob_async._digest.challenge import (
    Algorithm,
    Challenge,
    DigestChallenge,
    parse_www_authenticate,
    select_challenge,
)
from ob_async._digest.compute import build_authorization, compute_response

__all__ = [
    "Algorithm",
    "Challenge",
    "DigestAuth",
    "DigestChallenge",
    "DigestResponse",
    "FlowEnd",
    "build_authorization",
    "compute_response",
    "parse_www_authenticate",
    "select_challenge",
]
