"""`ob-restore simulator` serves its restored tenants over MySQL with the password of
OB_TENANT_PASSWORD (never printed), or the demo password it prints."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import asyncmy
import requests
from requests.auth import HTTPDigestAuth

PASSWORD = "Standalone-Tenant-77aa"


def _restore(url: str) -> dict[str, object]:
    auth = HTTPDigestAuth("demo-access-key-id", "demo-access-key-secret")
    headers = {"X-Ob-Project-Id": "p1"}
    when = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {
        "sourceInstanceId": "ob-prod-sh",
        "sourceTenantId": "tsh001",
        "targetInstanceId": "ob-dr-east",
        "targetTenantName": "cli_data",
        "targetTenantPrimaryZone": "cn-shanghai-e",
        "restoreTime": when,
        "tenantResource": {"cpu": 1, "memory": 2, "unitNum": 1},
        "targetTenantDescription": "",
        "fromRemote": False,
        "restoreObjectType": "tenant",
        "restoreMode": "from_time_point",
    }
    base = f"{url}/api/v2/instances/ob-dr-east"
    posted = requests.post(
        f"{base}/backup/restore?requestId=r1", json=body, auth=auth, headers=headers, timeout=10
    )
    assert posted.status_code == 200, posted.text
    tenants = requests.get(f"{base}/tenants", auth=auth, headers=headers, timeout=10).json()
    [tenant] = [t for t in tenants["data"]["dataList"] if t["tenantName"] == "cli_data"]
    for _ in range(100):
        detail = requests.get(
            f"{base}/tenants/{tenant['tenantId']}", auth=auth, headers=headers, timeout=10
        ).json()["data"]
        if detail["tenantConnections"][0]["addressStatus"] == "ONLINE":
            return detail["tenantConnections"][0]  # type: ignore[no-any-return]
        asyncio.run(asyncio.sleep(0.1))
    raise AssertionError("the restored tenant's address never came ONLINE")


async def _count(address: dict[str, object], password: str) -> int:
    connection = await asyncmy.connect(
        host=address["intranetAddress"],
        port=address["intranetPort"],
        user="anyone",
        password=password,
    )
    async with connection.cursor() as cursor:
        await cursor.execute("SELECT COUNT(*) FROM app.orders")
        (count,) = await cursor.fetchone()
    connection.close()
    return int(count)


def test_the_standalone_simulators_tenants_take_the_password_of_the_variable() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OB_")}
    env.update(OB_TENANT_PASSWORD=PASSWORD, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "ob_async", "simulator", "--port", "0", "--restore-seconds", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        banner = ""
        while "Press Ctrl-C" not in banner and process.poll() is None:
            banner += process.stdout.readline()
        url = re.search(r"(http://127\.0\.0\.1:\d+)", banner)
        assert url, banner
        address = _restore(url.group(1))
        assert asyncio.run(_count(address, PASSWORD)) == 1200
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    assert "password (from OB_TENANT_PASSWORD; not shown)" in banner
    assert PASSWORD not in banner + output
