"""Injected faults: the SPEC grammar, and the seeded choice of a fault per request.

SPEC grammar (``--faults`` / ``SimulatorConfig.faults``)::

    SPEC  := ENTRY ("," ENTRY)*          (empty: no faults)
    ENTRY := KIND ["@" SCOPE] "=" P [":" SECONDS]

``P`` is a probability in [0, 1]; ``SECONDS`` is only for ``slow`` (default
1.0). ``SCOPE`` is a route name (``restore``, ``restorable_tenants``,
``backup_sets``, ``list_tenants``, ``describe_tenant``, ``delete_tenant``) or a
group (``read`` = the GET routes, ``write`` = POST and DELETE); an entry
without scope applies to every API route. For each kind the most specific
entry wins (route over group over global), so
``reset_after=0.05,reset_after@restore=0.2`` means 20% on restores and 5%
elsewhere. Per route the probabilities must add up to at most 1: one uniform
draw per request picks at most one fault, so each kind happens at exactly its
own rate. Example::

    reset_before=0.05,reset_after=0.05,http_500=0.03,http_502_html=0.03,
    http_503=0.03,throttle=0.03,slow=0.02:1.5,truncated=0.01

Kinds, and whether the request takes effect (what a client must assume):

===============  ===========  ============================================================
kind             takes effect what the client sees
===============  ===========  ============================================================
reset_before     no           the connection is reset (RST) before the request is processed
reset_after      yes          the request is processed (a restore creates its tenant), then
                              the connection is reset: the response is lost
http_500         no           500 failure envelope ``InternalError``
http_502_html    no           502 with an HTML page, as a gateway sends
http_503         no           503 failure envelope ``ServiceUnavailable``
throttle         no           429 failure envelope ``Throttling`` with ``Retry-After: 1``
slow             yes          the request is processed, the response is held SECONDS
truncated        yes          the request is processed; the response body is cut in half
                              (status and headers intact, the JSON unparsable)
===============  ===========  ============================================================

Faults are drawn only for authenticated API requests, after the project
header check, so they never corrupt the digest handshake. With a fixed seed
the sequence of draws, and so of faults, is reproducible for a given order
of requests.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Mapping

import attrs

from ob_async.errors import InvalidInputError
from ob_async.simulator._routes import API_ROUTES, ROUTE_GROUPS

DEFAULT_SLOW_SECONDS = 1.0


class FaultKind(enum.StrEnum):
    """The kinds of injected fault (see the module table)."""

    RESET_BEFORE = "reset_before"
    RESET_AFTER = "reset_after"
    HTTP_500 = "http_500"
    HTTP_502_HTML = "http_502_html"
    HTTP_503 = "http_503"
    THROTTLE = "throttle"
    SLOW = "slow"
    TRUNCATED = "truncated"


PROCESSED_KINDS = frozenset({FaultKind.RESET_AFTER, FaultKind.SLOW, FaultKind.TRUNCATED})
"""Kinds after which the request has taken effect."""


class FaultSpecError(InvalidInputError):
    """A fault SPEC is invalid; the message names the bad entry."""


@attrs.frozen(kw_only=True)
class FaultRule:
    """One SPEC entry."""

    kind: FaultKind
    probability: float
    scope: str | None = None
    seconds: float = 0.0

    def __str__(self) -> str:
        scope = f"@{self.scope}" if self.scope else ""
        seconds = f":{self.seconds:g}" if self.kind is FaultKind.SLOW else ""
        return f"{self.kind}{scope}={self.probability:g}{seconds}"


@attrs.frozen
class Fault:
    """The fault chosen for one request."""

    kind: FaultKind
    seconds: float = 0.0


@attrs.frozen
class FaultSpec:
    """A parsed, validated SPEC."""

    rules: tuple[FaultRule, ...] = ()

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """Parse SPEC text; raises :class:`FaultSpecError` naming the bad entry."""
        rules: list[FaultRule] = []
        seen: set[tuple[FaultKind, str | None]] = set()
        for raw in text.split(","):
            entry = raw.strip()
            if not entry:
                if text.strip():
                    raise FaultSpecError("empty entry (two commas in a row?)", where="faults")
                continue
            rule = _parse_entry(entry)
            if (rule.kind, rule.scope) in seen:
                raise FaultSpecError("given twice", where=f"faults entry {entry!r}")
            seen.add((rule.kind, rule.scope))
            rules.append(rule)
        spec = cls(tuple(rules))
        spec.tables()
        return spec

    def __str__(self) -> str:
        return ",".join(str(rule) for rule in self.rules)

    def tables(self) -> Mapping[str, tuple[tuple[float, Fault], ...]]:
        """Per API route, the cumulative thresholds of its faults (most specific rule wins)."""
        result: dict[str, tuple[tuple[float, Fault], ...]] = {}
        for route in API_ROUTES:
            chosen: dict[FaultKind, FaultRule] = {}
            for rule in self.rules:
                if _specificity(rule.scope, route) < 0:
                    continue
                current = chosen.get(rule.kind)
                if current is None or _specificity(rule.scope, route) > _specificity(
                    current.scope, route
                ):
                    chosen[rule.kind] = rule
            total = 0.0
            table: list[tuple[float, Fault]] = []
            for kind in FaultKind:
                rule_for_kind = chosen.get(kind)
                if rule_for_kind is None or rule_for_kind.probability == 0:
                    continue
                total += rule_for_kind.probability
                table.append((total, Fault(kind, rule_for_kind.seconds)))
            if total > 1 + 1e-9:
                raise FaultSpecError(
                    f"the probabilities for route {route!r} add up to {total:g}, more than 1",
                    where="faults",
                )
            if table:
                result[route] = tuple(table)
        return result


def _specificity(scope: str | None, route: str) -> int:
    """2 for the route itself, 1 for its group, 0 for no scope, -1 if it does not apply."""
    if scope is None:
        return 0
    if scope == route:
        return 2
    if route in ROUTE_GROUPS.get(scope, ()):
        return 1
    return -1


def _parse_entry(entry: str) -> FaultRule:
    where = f"faults entry {entry!r}"
    name, sep, value = entry.partition("=")
    if not sep:
        raise FaultSpecError("expected KIND[@SCOPE]=PROBABILITY[:SECONDS]", where=where)
    kind_text, _, scope_text = name.strip().partition("@")
    try:
        kind = FaultKind(kind_text.strip())
    except ValueError:
        known = ", ".join(kind.value for kind in FaultKind)
        raise FaultSpecError(
            f"unknown fault kind {kind_text.strip()!r}; known: {known}", where=where
        ) from None
    scope: str | None = scope_text.strip() or None
    if "@" in name and scope is None:
        raise FaultSpecError("empty scope after '@'", where=where)
    if scope is not None and scope not in API_ROUTES and scope not in ROUTE_GROUPS:
        known = ", ".join([*API_ROUTES, *ROUTE_GROUPS])
        raise FaultSpecError(f"unknown scope {scope!r}; known: {known}", where=where)
    probability_text, colon, seconds_text = value.partition(":")
    probability = _number(probability_text, where, "probability")
    if not 0 <= probability <= 1:
        raise FaultSpecError(f"probability {probability:g} is not within [0, 1]", where=where)
    seconds = 0.0
    if kind is FaultKind.SLOW:
        seconds = _number(seconds_text, where, "seconds") if colon else DEFAULT_SLOW_SECONDS
        if seconds <= 0:
            raise FaultSpecError("seconds must be positive", where=where)
    elif colon:
        raise FaultSpecError(f"only 'slow' takes ':SECONDS', not {kind.value!r}", where=where)
    return FaultRule(kind=kind, probability=probability, scope=scope, seconds=seconds)


def _number(text: str, where: str, what: str) -> float:
    try:
        number = float(text.strip())
    except ValueError:
        raise FaultSpecError(f"{what} {text.strip()!r} is not a number", where=where) from None
    if not math.isfinite(number):
        raise FaultSpecError(f"{what} must be finite", where=where)
    return number


class FaultInjector:
    """Draws at most one fault per request from a seeded random generator."""

    def __init__(self, spec: FaultSpec, rng: random.Random) -> None:
        self._tables = spec.tables()
        self._rng = rng

    def pick(self, route: str) -> Fault | None:
        """The fault for this request on ``route``, or None."""
        table = self._tables.get(route)
        if table is None:
            return None
        draw = self._rng.random()
        for threshold, fault in table:
            if draw < threshold:
                return fault
        return None
