"""The trigger under a real Airflow: stored and rebuilt as the triggerer does, waits of one
connection sharing one client, and cancellation and timeouts ending cleanly.

The triggers run as a triggerer runs them: all in one event loop, each rebuilt from the
kwargs its task's deferral stored (``Trigger.from_object``, decrypted, decoded, the class
imported by its path). ``dag.test()`` cannot show sharing: it runs each trigger alone, in an
event loop of its own.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable

import pytest

from ob_async.airflow._records import restore_request_id
from tests.airflow.harness import AirflowHome, SimulatorThread, connection_env, run_scenario

pytestmark = pytest.mark.timeout(600)

INSTANCE = "ob-dr-east"
MAPPED = 200
PAGE_SIZE = 100  # the poller's page size: a sweep of N waiting tenants reads ceil(N/100) pages
TRIGGER_KWARGS = {
    "conn_id",
    "instance_id",
    "tenant_name",
    "request_id",
    "submitted_at",
    "deadline",
    "rto_seconds",
    "restore_time",
    "latest",
    "submission",
}


def _connection(simulator: SimulatorThread, secret: str) -> dict[str, str]:
    return connection_env(
        "oceanbase_cloud_default",
        conn_type="oceanbase_cloud",
        host=simulator.url,
        login=simulator.simulator.access_key_id,
        password=secret,
        extra={"project_id": "rehearsals", "poll_initial_interval": 0.3, "poll_max_interval": 0.6},
    )


def test_mapped_restores_share_one_client_and_one_listing_per_sweep(
    airflow_home: AirflowHome, start_simulator: Callable[..., SimulatorThread]
) -> None:
    canary = "canary-" + secrets.token_hex(12)
    # Restores slower than many poll intervals: the waits overlap for several sweeps.
    simulator = start_simulator(access_key_secret=canary, restore_seconds=(8.0, 12.0))
    result, output = run_scenario(
        airflow_home,
        "mapped_restores",
        simulator.url,
        str(MAPPED),
        INSTANCE,
        extra=_connection(simulator, canary),
    )
    events, before, after = result["events"], result["before"], result["after"]
    assert [event["state"] for event in events] == ["online"] * MAPPED
    assert all(record["rto_verdict"] == "met" for record in result["records"])
    sweeps = max(event["polls"] for event in events)
    assert sweeps >= 3, "the waits must overlap for several sweeps to show anything"
    lists = after["listCalls"].get(INSTANCE, 0) - before["listCalls"].get(INSTANCE, 0)
    # One listing (its pages) per sweep of the instance, shared by the 200 waits; a client per
    # trigger would list once per trigger per sweep (about 200 x sweeps calls).
    pages = math.ceil(MAPPED / PAGE_SIZE)
    assert lists <= (sweeps + 1) * pages, (lists, sweeps)
    # One client for all the waits: one digest handshake (each client answers one challenge).
    assert after["challengesIssued"] - before["challengesIssued"] == 1
    # The waits only waited: the 200 restores were each sent once, by their tasks.
    assert after["restoresAccepted"] == before["restoresAccepted"] == MAPPED
    assert canary not in output


def test_a_trigger_is_stored_with_ids_names_and_times_only_and_rebuilt_the_same(
    airflow_home: AirflowHome, start_simulator: Callable[..., SimulatorThread]
) -> None:
    canary = "canary-" + secrets.token_hex(12)
    simulator = start_simulator(access_key_secret=canary, restore_seconds=0.2)
    result, _ = run_scenario(
        airflow_home,
        "mapped_restores",
        simulator.url,
        "3",
        INSTANCE,
        extra=_connection(simulator, canary),
    )
    assert result["reloaded"] == result["serialized"]
    for index, (classpath, kwargs) in enumerate(result["serialized"]):
        assert classpath == "ob_async.airflow.ObTenantOnlineTrigger"
        assert set(kwargs) == TRIGGER_KWARGS
        assert kwargs["conn_id"] == "oceanbase_cloud_default"
        assert kwargs["request_id"] == restore_request_id(
            "ob_mapped", "restore", "manual__1", index
        )
    for stored in result["stored"]:  # the column as written (no Fernet key: in clear)
        assert stored.startswith("{")
        assert canary not in stored
        assert simulator.simulator.access_key_id not in stored


def test_cancelled_and_timed_out_waits_leave_the_shared_client_cleanly(
    airflow_home: AirflowHome, start_simulator: Callable[..., SimulatorThread]
) -> None:
    canary = "canary-" + secrets.token_hex(12)
    simulator = start_simulator(access_key_secret=canary, restore_seconds=4.0)
    facts, _ = run_scenario(
        airflow_home,
        "lifecycle",
        simulator.url,
        INSTANCE,
        extra=_connection(simulator, canary),
    )
    # A deadline already past: timed out at once, without borrowing a client.
    assert facts["past"]["state"] == "timed_out"
    assert facts["after_past"] == 0
    assert facts["while_waiting"] == 3
    assert facts["cancelled"] is True
    assert facts["after_cancel"] == 2  # the cancelled wait left; the others wait on
    assert facts["short"]["state"] == "timed_out"
    assert "not ONLINE in time" in facts["short"]["error"]
    assert facts["after_short"] == 1
    assert facts["other"]["state"] == "online"
    assert facts["after_all"] == 0  # the last one out closed the client
    assert facts["unclosed"] == []
