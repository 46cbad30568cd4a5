"""Fixtures: the built-in world, the example file, and strict validation of any file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from ob_async.simulator import FixtureError, Simulator, default_fixture, load_fixture

from ._helpers import ApiClient, seed_body

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "simulator-fixture.toml"
SEED_MOMENT = datetime(2026, 1, 13, 5, 58, 34, tzinfo=UTC).timestamp()


def test_default_fixture_holds_the_seed_identities_and_a_realistic_drill() -> None:
    instances = {instance.instance_id: instance for instance in default_fixture().instances}
    obxxx = instances["obxxx"]
    assert "cn-shanghai-e" in obxxx.zones
    txxx = next(tenant for tenant in obxxx.tenants if tenant.tenant_id == "txxx")
    assert any(
        window.start.resolve(0) <= SEED_MOMENT <= window.end.resolve(0)
        for window in txxx.windows
        if window.start.absolute is not None and window.end.absolute is not None
    )
    assert any(window.end.absolute is None for window in txxx.windows)
    sources = [
        tenant for instance in instances.values() for tenant in instance.tenants if tenant.windows
    ]
    assert len(sources) >= 24
    assert len([i for i in instances.values() if any(t.windows for t in i.tenants)]) >= 4
    for target in ("ob-dr-east", "ob-dr-west"):
        assert instances[target].cpu >= 1000
        assert instances[target].memory >= 4000


async def test_example_fixture_serves_a_restore(session: aiohttp.ClientSession) -> None:
    async with Simulator(fixture=EXAMPLE) as sim:
        api = ApiClient(session, sim)
        body = seed_body(
            sourceInstanceId="ob-prod",
            sourceTenantId="t-orders",
            targetInstanceId="ob-dr",
            targetTenantName="orders_dr",
            targetTenantPrimaryZone="cn-shanghai-f",
        )
        assert (await api.restore(body)).status == 200, sim.stats()["refusals"]
        assert [t["tenantName"] for t in sim.tenants("ob-dr")] == ["keep_me", "orders_dr"]


def write(tmp_path: Path, text: str, suffix: str = ".toml") -> Path:
    path = tmp_path / f"world{suffix}"
    path.write_text(text, encoding="utf-8")
    return path


INSTANCE = """
[[instances]]
id = "a"
zones = ["z1", "z2"]
cpu = 8
memory = 32
"""

TENANT = """
[[instances.tenants]]
id = "t1"
name = "one"
cpu = 2
memory = 8
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (INSTANCE + "colour = 'red'\n", "instances[0]: unknown key(s): 'colour'"),
        (INSTANCE.replace('zones = ["z1", "z2"]', ""), "instances[0].zones: is required"),
        (INSTANCE.replace('zones = ["z1", "z2"]', "zones = []"), "instances[0].zones"),
        (INSTANCE.replace("cpu = 8", "cpu = 0"), "instances[0].cpu: must be a positive integer"),
        (INSTANCE.replace("cpu = 8", 'cpu = "8"'), "instances[0].cpu"),
        (INSTANCE + INSTANCE, "instances[1].id: duplicate instance id 'a'"),
        (INSTANCE + TENANT + TENANT.replace('"one"', '"two"'), "instances[0].tenants[1].id"),
        (INSTANCE + TENANT + TENANT.replace('"t1"', '"t2"'), "duplicate tenant name 'one'"),
        (INSTANCE + TENANT + 'primary_zone = "z9"\n', "instances[0].tenants[0].primary_zone"),
        (INSTANCE + TENANT + "unit_num = 5\n", "instances[0].cpu: 8 cores cannot hold"),
        (
            INSTANCE
            + TENANT
            + 'windows = [{ start = "2026-01-02T00:00:00Z", end = "2026-01-01T00:00:00Z" }]\n',
            "instances[0].tenants[0].windows[0].end: must be after start",
        ),
        (
            INSTANCE + TENANT + 'windows = [{ start = "now-5m", end = "now-1h" }]\n',
            "windows[0].end: must be after start",
        ),
        (
            INSTANCE + TENANT + 'windows = [{ start = "last tuesday", end = "now" }]\n',
            "windows[0].start: invalid time 'last tuesday'",
        ),
        (
            INSTANCE + TENANT + 'backup_sets = [{ id = "1", start = "now-2h" }]\n',
            "backup_sets[0].end: is required",
        ),
        ("instances = 3\n", "instances: must be an array of tables"),
        ("", "instances: must list at least one instance"),
        ("[[instances\n", "not valid TOML"),
    ],
)
def test_bad_fixtures_name_the_file_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(FixtureError) as caught:
        load_fixture(path)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_json_fixtures_are_read_too(tmp_path: Path) -> None:
    data = {"instances": [{"id": "j", "zones": ["z"], "cpu": 4, "memory": 16}]}
    fixture = load_fixture(write(tmp_path, json.dumps(data), ".json"))
    assert [instance.instance_id for instance in fixture.instances] == ["j"]
    with pytest.raises(FixtureError, match="not valid JSON"):
        load_fixture(write(tmp_path, "{instances: []}", ".json"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="cannot read"):
        load_fixture(tmp_path / "absent.toml")
