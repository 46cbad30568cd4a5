"""The client's share of the API's request budget: find the server's rate, hold it, share it.

One :class:`AdaptiveRateLimiter` sits in front of every request of one client. It is
made of small pieces, each with one job (``docs/rate-limits.md`` tells the whole story):

- :mod:`.estimator`: counting slots of what was sent, accepted and refused, and the
  limit they show (the accepted rate from the first 429 on);
- :mod:`.phases`: the phases (unthrottled, holding, testing, probing) and the one
  table of transitions between them;
- :mod:`.controller`: decides, from the estimator's readings, which transition an
  answer makes and what the pace is;
- :mod:`.pacer`: the project's one GCRA, which spaces the sends at that pace (and
  paces the batch runner's fixed submit cap, :class:`~.pacer.RateCap`);
- :mod:`.limiter`: wires them, queues the requests that wait by priority, and obeys
  what the server says (``Retry-After``, rate-limit headers);
- :mod:`.config`: :class:`ThrottleConfig`, the settings.
"""

from ob_async._http.throttle.config import ThrottleConfig
from ob_async._http.throttle.limiter import AdaptiveRateLimiter

__all__ = ["AdaptiveRateLimiter", "ThrottleConfig"]
