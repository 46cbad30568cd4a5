"""The simulator's in-memory state: instances, tenants, capacity and restore lifecycle.

Tenant lifecycle: a restore creates the target tenant at once with status
``restoring_status`` (default ``RESTORING``), ``description`` from the request
and ``createTime`` = now. Its end is decided at creation (so a seed makes it
reproducible): after a duration drawn uniformly from ``restore_seconds`` it
becomes ``online_status`` (``ONLINE``), or, with probability ``failure_rate``,
``failed_status`` (``RESTORE_FAILED``). Transitions are applied lazily,
whenever the world is read, against the injected clock; no timers run, so a
test's :class:`~.clock.ManualClock` drives them and 10,000 restores cost no
background work. A tenant occupies ``cpu x unitNum`` cores and ``memory x
unitNum`` GB of its instance in every status until it is deleted (a failed
restore must be cleaned up). Delete works in any status and is immediate.

Checks of a restore against the world, in this order (see :mod:`.errors`):
path instance, source instance, source tenant, restore time in a window,
target instance, primary zone, tenant name free, capacity.
"""

from __future__ import annotations

import heapq
import random
import time

import attrs

from ob_async._wire.codec import WIRE_TIME_FORMAT
from ob_async.simulator._config import SimulatorConfig
from ob_async.simulator._errors import ErrorCode, Refusal, clip
from ob_async.simulator._fixture import (
    BackupSetSpec,
    InstanceSpec,
    TableSpec,
    TenantSpec,
    WindowSpec,
)
from ob_async.simulator._validation import RestoreOrder


def wire_time(moment: float) -> str:
    """``2026-01-13T05:58:34Z``: the API's ISO form."""
    return time.strftime(WIRE_TIME_FORMAT, time.gmtime(moment))


@attrs.define(eq=False)
class Tenant:
    """A tenant of an instance, from the fixture or created by a restore."""

    tenant_id: str
    tenant_name: str
    instance_id: str
    tenant_mode: str
    cpu: int
    memory: int
    unit_num: int
    disk: int
    used_disk: float
    primary_zone: str
    description: str
    status: str
    create_time: float
    ob_version: str
    windows: tuple[WindowSpec, ...] = ()
    backup_sets: tuple[BackupSetSpec, ...] = ()
    ready_at: float | None = None
    final_status: str | None = None
    deleted: bool = False
    online_at: float | None = None
    """When its restore made it ONLINE, on the simulator's clock."""
    churned: bool = False
    """Created by ``list_churn`` between two pages of a listing (see World.churn)."""
    # Its data: fixture tables (a restore's are its source's), as of a moment
    # (a restore's restore point; None: now, for a fixture tenant).
    tables: tuple[TableSpec, ...] = ()
    data_as_of: float | None = None
    address_ready_at: float = 0.0
    # The tenant-name filter is a case-insensitive substring match over possibly
    # thousands of tenants per list call: fold each name once, not on every call.
    folded_name: str = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.folded_name = self.tenant_name.casefold()

    @property
    def cpu_total(self) -> int:
        return self.cpu * self.unit_num

    @property
    def memory_total(self) -> int:
        return self.memory * self.unit_num


@attrs.define(eq=False)
class Instance:
    """An instance: its zones, its capacity, and its tenants by id and by name."""

    instance_id: str
    name: str
    zones: tuple[str, ...]
    cpu_capacity: int
    memory_capacity: int
    ob_version: str
    tenants: dict[str, Tenant] = attrs.field(factory=dict)
    by_name: dict[str, Tenant] = attrs.field(factory=dict)
    cpu_used: int = 0
    memory_used: int = 0

    def add(self, tenant: Tenant) -> None:
        self.tenants[tenant.tenant_id] = tenant
        self.by_name[tenant.tenant_name] = tenant
        self.cpu_used += tenant.cpu_total
        self.memory_used += tenant.memory_total

    def remove(self, tenant: Tenant) -> None:
        del self.tenants[tenant.tenant_id]
        del self.by_name[tenant.tenant_name]
        self.cpu_used -= tenant.cpu_total
        self.memory_used -= tenant.memory_total
        tenant.deleted = True


class World:
    """All instances and tenants, and the rules that change them."""

    def __init__(self, config: SimulatorConfig, rng: random.Random) -> None:
        self._config = config
        self._clock = config.clock
        self._rng = rng
        self._pending: list[tuple[float, int, Tenant]] = []
        self._sequence = 0
        self._tenant_ids: set[str] = set()
        self.instances: dict[str, Instance] = {}
        self.restored: list[Tenant] = []
        """Every tenant a restore created, deleted ones included, in creation order."""
        now = self.started_at = self._clock.time()
        for spec in config.fixture.instances:
            self.instances[spec.instance_id] = self._instance_from(spec, now)

    def _instance_from(self, spec: InstanceSpec, now: float) -> Instance:
        instance = Instance(
            instance_id=spec.instance_id,
            name=spec.name,
            zones=spec.zones,
            cpu_capacity=spec.cpu,
            memory_capacity=spec.memory,
            ob_version=spec.ob_version,
        )
        for tenant_spec in spec.tenants:
            instance.add(self._tenant_from(tenant_spec, instance, now))
        return instance

    def _tenant_from(self, spec: TenantSpec, instance: Instance, now: float) -> Tenant:
        self._tenant_ids.add(spec.tenant_id)
        disk = spec.disk if spec.disk is not None else spec.memory * 4
        return Tenant(
            tenant_id=spec.tenant_id,
            tenant_name=spec.name,
            instance_id=instance.instance_id,
            tenant_mode=spec.mode,
            cpu=spec.cpu,
            memory=spec.memory,
            unit_num=spec.unit_num,
            disk=disk,
            used_disk=spec.used_disk if spec.used_disk is not None else disk / 4,
            primary_zone=spec.primary_zone or instance.zones[0],
            description=spec.description,
            status=spec.status,
            create_time=spec.create_time.resolve(now),
            ob_version=instance.ob_version,
            windows=spec.windows,
            backup_sets=spec.backup_sets,
            tables=spec.tables,
        )

    def now(self) -> float:
        return self._clock.time()

    def settle(self) -> None:
        """Apply every lifecycle transition that is due."""
        pending = self._pending
        if not pending:
            return
        now = self._clock.time()
        while pending and pending[0][0] <= now:
            due, _, tenant = heapq.heappop(pending)
            if not tenant.deleted and tenant.final_status is not None:
                tenant.status = tenant.final_status
                tenant.ready_at = None
                if tenant.final_status == self._config.online_status:
                    tenant.online_at = due

    def instance(self, instance_id: str) -> Instance:
        """The instance, or a ``InstanceNotFound`` refusal."""
        instance = self.instances.get(instance_id)
        if instance is None:
            raise Refusal(ErrorCode.INSTANCE_NOT_FOUND, f"instanceId: no instance {instance_id!r}")
        return instance

    def tenant(self, instance_id: str, tenant_id: str) -> Tenant:
        """A tenant with its status up to date, or a not-found refusal."""
        instance = self.instance(instance_id)
        self.settle()
        tenant = instance.tenants.get(tenant_id)
        if tenant is None:
            raise Refusal(
                ErrorCode.TENANT_NOT_FOUND,
                f"tenantId: no tenant {tenant_id!r} in instance {instance_id!r}",
            )
        return tenant

    def tenants(self, instance_id: str) -> list[Tenant]:
        """Every tenant of the instance, oldest first, statuses up to date."""
        instance = self.instance(instance_id)
        self.settle()
        return list(instance.tenants.values())

    def delete(self, instance_id: str, tenant_id: str) -> Tenant:
        """Remove a tenant at once and free its capacity."""
        tenant = self.tenant(instance_id, tenant_id)
        self.instances[instance_id].remove(tenant)
        return tenant

    def restore(self, order: RestoreOrder, path_instance_id: str) -> Tenant:
        """Check a restore against the world and create its target tenant, restoring."""
        self._check_path(order, path_instance_id)
        source = self.instances.get(order.source_instance_id)
        if source is None:
            raise Refusal(
                ErrorCode.SOURCE_INSTANCE_NOT_FOUND,
                f"sourceInstanceId: no instance {clip(order.source_instance_id)!r}",
            )
        source_tenant = source.tenants.get(order.source_tenant_id)
        if source_tenant is None:
            raise Refusal(
                ErrorCode.SOURCE_TENANT_NOT_FOUND,
                f"sourceTenantId: no tenant {clip(order.source_tenant_id)!r} "
                f"in instance {clip(order.source_instance_id)!r}",
            )
        now = self._clock.time()
        self._check_window(order, source_tenant, now)
        target = self.instances.get(order.target_instance_id)
        if target is None:
            raise Refusal(
                ErrorCode.TARGET_INSTANCE_NOT_FOUND,
                f"targetInstanceId: no instance {clip(order.target_instance_id)!r}",
            )
        if order.target_tenant_primary_zone not in target.zones:
            raise Refusal(
                ErrorCode.INVALID_PRIMARY_ZONE,
                f"targetTenantPrimaryZone: {clip(order.target_tenant_primary_zone)!r} is not a "
                f"zone of instance {target.instance_id!r} (zones: {', '.join(target.zones)})",
            )
        existing = target.by_name.get(order.target_tenant_name)
        if existing is not None:
            raise Refusal(
                ErrorCode.TENANT_NAME_CONFLICT,
                f"targetTenantName: {order.target_tenant_name!r} is already used by tenant "
                f"{existing.tenant_id!r} in instance {target.instance_id!r}",
            )
        self._check_capacity(order, target)
        return self._create(order, source_tenant, target, now)

    def _check_path(self, order: RestoreOrder, path_instance_id: str) -> None:
        rule = self._config.path_instance
        allowed = (
            (order.target_instance_id,) if rule == "target"
            else (order.source_instance_id,) if rule == "source"
            else (order.target_instance_id, order.source_instance_id)
        )  # fmt: skip
        if path_instance_id not in allowed:
            fields = {
                "target": "targetInstanceId",
                "source": "sourceInstanceId",
                "either": "targetInstanceId or sourceInstanceId",
            }[rule]
            raise Refusal(
                ErrorCode.INSTANCE_ID_MISMATCH,
                f"instanceId: the path names instance {clip(path_instance_id)!r}, "
                f"which is not the body's {fields} ({' / '.join(repr(clip(i)) for i in allowed)})",
            )

    @staticmethod
    def _check_window(order: RestoreOrder, source_tenant: Tenant, now: float) -> None:
        spans = [
            (window.start.resolve(now), window.end.resolve(now)) for window in source_tenant.windows
        ]
        if any(start <= order.restore_time <= end for start, end in spans):
            return
        described = ", ".join(f"{wire_time(start)}..{wire_time(end)}" for start, end in spans)
        raise Refusal(
            ErrorCode.RESTORE_TIME_OUT_OF_RANGE,
            f"restoreTime: {wire_time(order.restore_time)} is outside every restorable window "
            f"of tenant {source_tenant.tenant_id!r} ({described or 'it has none'})",
        )

    @staticmethod
    def _check_capacity(order: RestoreOrder, target: Instance) -> None:
        cpu_needed = order.cpu * order.unit_num
        memory_needed = order.memory * order.unit_num
        cpu_free = target.cpu_capacity - target.cpu_used
        memory_free = target.memory_capacity - target.memory_used
        if cpu_needed > cpu_free or memory_needed > memory_free:
            raise Refusal(
                ErrorCode.INSUFFICIENT_CAPACITY,
                f"tenantResource: instance {target.instance_id!r} has {cpu_free} cores and "
                f"{memory_free} GB free; the tenant needs {cpu_needed} cores and "
                f"{memory_needed} GB (cpu and memory times unitNum)",
            )

    def churn(self, instance_id: str, *, page_number: int, name_prefix: str) -> None:
        """``list_churn``: tenants created and deleted between the pages of a listing.

        Before page 1, ``list_churn`` tenants are created at the head of the instance's
        order (named ``<prefix>churn<n>``, so that a name filter keeps them); before
        any later page they are deleted again. Everything behind them moves up by
        that many places between page 1 and page 2, as when tenants listed earlier
        are deleted mid-listing: offset pagination then skips as many tenants.
        """
        count = self._config.list_churn
        instance = self.instance(instance_id)
        if count == 0:
            return
        churned = [tenant for tenant in instance.tenants.values() if tenant.churned]
        for tenant in churned:
            instance.remove(tenant)
        if page_number != 1:
            return
        now = self._clock.time()
        rest = list(instance.tenants.values())
        for tenant in rest:
            instance.remove(tenant)
            tenant.deleted = False
        for _ in range(count):
            self._sequence += 1
            instance.add(
                Tenant(
                    tenant_id=self._new_tenant_id(),
                    tenant_name=f"{name_prefix}churn{self._sequence}",
                    instance_id=instance_id,
                    tenant_mode="MySQL",
                    cpu=0,
                    memory=0,
                    unit_num=0,
                    disk=0,
                    used_disk=0.0,
                    primary_zone=instance.zones[0],
                    description="list_churn",
                    status=self._config.online_status,
                    create_time=now,
                    ob_version=instance.ob_version,
                    churned=True,
                )
            )
        for tenant in rest:
            instance.add(tenant)

    def _new_tenant_id(self) -> str:
        while True:
            candidate = f"t{self._rng.getrandbits(48):012x}"
            if candidate not in self._tenant_ids:
                self._tenant_ids.add(candidate)
                return candidate

    def _create(
        self, order: RestoreOrder, source_tenant: Tenant, target: Instance, now: float
    ) -> Tenant:
        config = self._config
        low, high = config.restore_seconds
        duration = self._rng.uniform(low, high)
        failed = self._rng.random() < config.failure_rate
        tenant = Tenant(
            tenant_id=self._new_tenant_id(),
            tenant_name=order.target_tenant_name,
            instance_id=target.instance_id,
            tenant_mode=source_tenant.tenant_mode,
            cpu=order.cpu,
            memory=order.memory,
            unit_num=order.unit_num,
            disk=source_tenant.disk,
            used_disk=source_tenant.used_disk,
            primary_zone=order.target_tenant_primary_zone,
            description=order.target_tenant_description,
            status=config.restoring_status,
            create_time=now,
            ob_version=target.ob_version,
            ready_at=now + duration,
            final_status=config.failed_status if failed else config.online_status,
            tables=source_tenant.tables,
            data_as_of=order.restore_time,
            address_ready_at=now + duration + config.address_delay,
        )
        target.add(tenant)
        self.restored.append(tenant)
        self._sequence += 1
        heapq.heappush(self._pending, (now + duration, self._sequence, tenant))
        return tenant
