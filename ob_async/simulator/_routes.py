"""The API routes the simulator serves, by name.

The names key the per-route statistics and scope fault rules
(``reset_after@restore=0.1``); the groups ``read`` and ``write`` scope a rule
to every GET route or every POST/DELETE route.
"""

from __future__ import annotations

from collections.abc import Mapping

RESTORE = "restore"
RESTORABLE_TENANTS = "restorable_tenants"
BACKUP_SETS = "backup_sets"
LIST_TENANTS = "list_tenants"
DESCRIBE_TENANT = "describe_tenant"
DELETE_TENANT = "delete_tenant"
TENANT_ADDRESS = "tenant_address"
DESCRIBE_INSTANCE = "describe_instance"
STATS = "stats"
RATE_LIMIT = "rate_limit"

API_ROUTES: Mapping[str, tuple[str, str]] = {
    RESTORE: ("POST", "/api/v2/instances/{instanceId}/backup/restore"),
    RESTORABLE_TENANTS: ("GET", "/api/v2/instances/{instanceId}/backup/restore/tenants"),
    BACKUP_SETS: ("GET", "/api/v2/instances/{instanceId}/backup/data/sets"),
    LIST_TENANTS: ("GET", "/api/v2/instances/{instanceId}/tenants"),
    DESCRIBE_TENANT: ("GET", "/api/v2/instances/{instanceId}/tenants/{tenantId}"),
    DELETE_TENANT: ("DELETE", "/api/v2/instances/{instanceId}/tenants/{tenantId}"),
    TENANT_ADDRESS: ("GET", "/api/v2/instances/{instanceId}/tenants/{tenantId}/address"),
    DESCRIBE_INSTANCE: ("GET", "/api/v2/instances/{instanceId}"),
}
"""Route name → (method, path pattern), exactly as the contract (contract/openapi.yaml) has them."""

STATS_PATH = "/_simulator/stats"
RATE_LIMIT_PATH = "/_simulator/rate-limit"
"""``POST ?perSecond=N`` changes the rate limit of a running simulator (loopback only)."""

ROUTE_GROUPS: Mapping[str, frozenset[str]] = {
    "read": frozenset(name for name, (method, _) in API_ROUTES.items() if method == "GET"),
    "write": frozenset(name for name, (method, _) in API_ROUTES.items() if method != "GET"),
}
