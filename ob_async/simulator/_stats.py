"""Counters of everything the simulator saw and did, for tests and ``/_simulator/stats``.

:meth:`Stats.snapshot` returns a plain JSON-ready dict with these keys:

=========================  =====================================================================
key                        value
=========================  =====================================================================
requests                   every request received, stats requests included
requestsByRoute            {route name or "unknown" or "stats": count}
requestsByStatus           {"200"/"401"/...: count}; "reset" for connections aborted by a fault
challengesIssued           401 answers carrying a fresh challenge (every 401)
staleChallenges            of those, with ``stale=true``
ncReplaysRefused           requests refused because their nonce count was already used
ncOutOfOrderRefused        requests refused by strict or ordered nonce counting (``nc_check``):
                           a count not above the highest seen, or (strict) in a nonce older
                           than the one its client record uses
authFailures               Authorization headers refused (malformed, wrong credentials, forged
                           nonce, stale nonce, replayed nc); a missing header is not counted
authMissing                API requests without an Authorization header
restoresAccepted           restore POSTs that created a tenant
refusals                   {errorCode: count} of every failure envelope sent
faultsInjected             {fault kind: count}
rateLimited                requests refused by the ``rate_limit`` token bucket
dedupeReplays              POSTs answered from the requestId cache (``dedupe_request_ids``)
listCalls                  {instanceId: count} of tenant-list calls
describeCalls              describe-tenant calls
deletes                    tenants deleted
deleteTimes                [t, ...]: when each delete was done (Unix seconds), in order
requestIdsByTargetTenant   {targetTenantName: [requestId, ...]} for every authenticated restore
                           POST naming that target, in arrival order, faulted attempts included
                           (a POST without ``?requestId=`` is listed under the id generated
                           for its envelope)
restoreTimes               [{instanceId, tenantName, tenantId, acceptedAt, onlineAt, status}] for
                           every tenant a restore created (deleted ones too), in creation order:
                           the ground truth of recovery times, on the simulator's clock (Unix
                           seconds); onlineAt is null until it is ONLINE (and stays null for a
                           failed restore or one deleted first)
answerTimeline             [[t, answered, throttled], ...]: authenticated API requests per tenth
                           of a second (t, Unix seconds, start of the tenth) that the rate limit
                           let through or refused with 429; only while a rate limit is set
rateLimits                 [[t, perSecond], ...]: the rate limit from each moment on (the first
                           at start; ``POST /_simulator/rate-limit`` adds more)
tenantsByInstance          {instanceId: number of tenants now}
tenantStatusesByInstance   {instanceId: {status: count}}
=========================  =====================================================================
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ob_async.simulator._world import World


class Stats:
    """Mutable counters; the app increments them, :meth:`snapshot` reads them."""

    def __init__(self) -> None:
        self.requests = 0
        self.by_route: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()
        self.challenges_issued = 0
        self.stale_challenges = 0
        self.nc_replays = 0
        self.nc_out_of_order = 0
        self.auth_failures = 0
        self.auth_missing = 0
        self.restores_accepted = 0
        self.refusals: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.rate_limited = 0
        self.dedupe_replays = 0
        self.list_calls: Counter[str] = Counter()
        self.describe_calls = 0
        self.deletes = 0
        self.delete_times: list[float] = []
        self.request_ids: dict[str, list[str]] = {}
        self.answers: dict[int, list[int]] = {}
        """Tenth of a second → [let through, refused] by the rate limit."""
        self.rate_limits: list[tuple[float, float]] = []

    def record_answer(self, now: float, *, throttled: bool) -> None:
        counts = self.answers.get(tick := int(now * 10))
        if counts is None:
            counts = self.answers[tick] = [0, 0]
        counts[throttled] += 1

    def record_rate_limit(self, now: float, per_second: float) -> None:
        self.rate_limits.append((now, per_second))

    def record_delete(self, now: float) -> None:
        self.deletes += 1
        self.delete_times.append(now)

    def record_restore_attempt(self, target_tenant_name: str, request_id: str) -> None:
        self.request_ids.setdefault(target_tenant_name, []).append(request_id)

    def snapshot(self, world: World) -> dict[str, Any]:
        """A JSON-ready copy of every counter, with tenant counts read from ``world``."""
        world.settle()
        statuses: dict[str, dict[str, int]] = {}
        for instance_id, instance in world.instances.items():
            statuses[instance_id] = dict(
                Counter(tenant.status for tenant in instance.tenants.values())
            )
        return {
            "requests": self.requests,
            "requestsByRoute": dict(self.by_route),
            "requestsByStatus": dict(self.by_status),
            "challengesIssued": self.challenges_issued,
            "staleChallenges": self.stale_challenges,
            "ncReplaysRefused": self.nc_replays,
            "ncOutOfOrderRefused": self.nc_out_of_order,
            "authFailures": self.auth_failures,
            "authMissing": self.auth_missing,
            "restoresAccepted": self.restores_accepted,
            "refusals": dict(self.refusals),
            "faultsInjected": dict(self.faults),
            "rateLimited": self.rate_limited,
            "dedupeReplays": self.dedupe_replays,
            "listCalls": dict(self.list_calls),
            "describeCalls": self.describe_calls,
            "deletes": self.deletes,
            "deleteTimes": list(self.delete_times),
            "requestIdsByTargetTenant": {name: list(ids) for name, ids in self.request_ids.items()},
            "restoreTimes": [
                {
                    "instanceId": tenant.instance_id,
                    "tenantName": tenant.tenant_name,
                    "tenantId": tenant.tenant_id,
                    "acceptedAt": tenant.create_time,
                    "onlineAt": tenant.online_at,
                    "status": tenant.status,
                }
                for tenant in world.restored
            ],
            "answerTimeline": [
                [tick / 10, counts[0], counts[1]] for tick, counts in sorted(self.answers.items())
            ],
            "rateLimits": [list(change) for change in self.rate_limits],
            "tenantsByInstance": {
                instance_id: len(instance.tenants)
                for instance_id, instance in world.instances.items()
            },
            "tenantStatusesByInstance": statuses,
        }
