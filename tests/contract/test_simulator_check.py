"""The check every in-process simulator answers under (tests/conftest.py) does catch a
simulator that leaves the contract's shapes, and is on for every simulator started."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from ob_async.simulator import Simulator, _shapes
from tests.simulator._helpers import ApiClient
from tests.support.contract import ContractCheck


async def test_every_answer_of_a_simulator_is_checked(contract_checks: list[Any]) -> None:
    async with Simulator(seed=1) as sim, aiohttp.ClientSession() as session:
        api = ApiClient(session, sim)
        reply = await api.call("GET", "/api/v2/instances/ob-dr-east")
        assert reply.status == 200
        assert reply.json["data"]["availableZones"]
    [check] = contract_checks
    assert isinstance(check, ContractCheck)
    assert check.checked >= 1
    assert check.violations == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda tenant: {k: v for k, v in tenant.items() if k != "tenantZones"}, "tenantZones"),
        (lambda tenant: {**tenant, "tenantResource": {"cpu": 2}}, "tenantResource/cpu"),
        (lambda tenant: {**tenant, "undocumented": 1}, "undocumented"),
    ],
)
async def test_an_answer_outside_the_contract_is_a_violation(
    contract_checks: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    change: Any,
    named: str,
) -> None:
    listed = _shapes.listed_tenant
    monkeypatch.setattr(_shapes, "listed_tenant", lambda tenant: change(listed(tenant)))
    async with Simulator(seed=1) as sim, aiohttp.ClientSession() as session:
        reply = await ApiClient(session, sim).call("GET", "/api/v2/instances/ob-dr-east/tenants")
        assert reply.status == 200
    [check] = contract_checks
    [violation] = check.violations
    assert violation.startswith("GET /api/v2/instances/ob-dr-east/tenants")
    assert named in violation
    check.violations.clear()  # provoked on purpose: not this test's failure
