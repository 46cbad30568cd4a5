"""Authenticated create-restore requests per second the simulator sustains on one core.

    python benchmarks/simulator_throughput.py [--seconds N] [--concurrency 64]

The simulator runs as ``ob-restore simulator`` in its own process, pinned to
CPU 0 with ``taskset`` when available, on a fixture with practically
unlimited capacity. This process (pinned to another CPU when there is one)
drives it with a minimal aiohttp client: one challenge up front, then
pre-emptive digest on that nonce with an incrementing nc (computed here, by
hand, from RFC 7616), 64 requests in flight, every request a restore POST
with a unique target tenant name. Only 200 answers are counted.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ACCESS_KEY_ID = "bench-ak"
ACCESS_KEY_SECRET = "bench-secret"

FIXTURE = """
[[instances]]
id = "bench-src"
zones = ["z1"]
cpu = 64
memory = 256

[[instances.tenants]]
id = "tbench"
name = "bench_source"
cpu = 4
memory = 16
windows = [{ start = "2026-01-01T00:00:00Z", end = "2026-02-01T00:00:00Z" }]

[[instances]]
id = "bench-dr"
zones = ["z1", "z2"]
cpu = 1000000000
memory = 1000000000
"""

_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]+))')
_HASHES = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}


def _h(algorithm: str, text: str) -> str:
    return hashlib.new(_HASHES[algorithm], text.encode()).hexdigest()


class PreemptiveDigest:
    """One nonce, incrementing nc: the Authorization value for each request."""

    def __init__(self, challenge: str) -> None:
        params = {m.group(1): m.group(2) or m.group(3) for m in _PARAM.finditer(challenge)}
        self.realm = params["realm"]
        self.nonce = params["nonce"]
        self.opaque = params["opaque"]
        self.algorithm = params.get("algorithm", "MD5")
        self.ha1 = _h(self.algorithm, f"{ACCESS_KEY_ID}:{self.realm}:{ACCESS_KEY_SECRET}")
        self.counter = itertools.count(1)
        self.cnonce = os.urandom(8).hex()

    def header(self, method: str, uri: str) -> str:
        nc = f"{next(self.counter):08x}"
        ha2 = _h(self.algorithm, f"{method}:{uri}")
        response = _h(self.algorithm, f"{self.ha1}:{self.nonce}:{nc}:{self.cnonce}:auth:{ha2}")
        return (
            f'Digest username="{ACCESS_KEY_ID}", realm="{self.realm}", nonce="{self.nonce}", '
            f'uri="{uri}", algorithm={self.algorithm}, qop=auth, nc={nc}, '
            f'cnonce="{self.cnonce}", response="{response}", opaque="{self.opaque}"'
        )


def start_simulator(fixture: Path) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable,
        "-m",
        "ob_async",
        "simulator",
        "--port",
        "0",
        "--fixture",
        str(fixture),
        "--restore-seconds",
        "3600",
        "--nonce-ttl",
        "3600",
        "--digest-algorithms",
        "SHA-256",
    ]
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        command = ["taskset", "-c", "0", *command]
    env = dict(os.environ, OB_ACCESS_KEY_ID=ACCESS_KEY_ID, OB_ACCESS_KEY_SECRET=ACCESS_KEY_SECRET)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.search(r"http://\S+", first)
    if match is None:
        process.kill()
        raise SystemExit(f"the simulator did not start: {first!r}")
    return process, match.group(0)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (Linux ``/proc``), 0.0 where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(
    url: str, seconds: float, concurrency: int, server_pid: int | None = None
) -> tuple[int, int, float, float]:
    """Successes, other answers, wall seconds and server CPU seconds of the measurement."""
    body_template = {
        "sourceInstanceId": "bench-src",
        "tenantResource": {"cpu": 1, "memory": 4, "unitNum": 1},
        "fromRemote": False,
        "sourceTenantId": "tbench",
        "restoreTime": "2026-01-13T05:58:34Z",
        "restoreObjectType": "tenant",
        "restoreObjects": [],
        "restoreMode": "from_backup_set",
        "targetInstanceId": "bench-dr",
        "targetTenantDescription": "benchmark",
        "targetTenantPrimaryZone": "z1",
    }
    path = "/api/v2/instances/bench-dr/backup/restore"
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.post(f"{url}{path}?requestId=challenge", data=b"{}") as response:
            assert response.status == 401, response.status
            digest = PreemptiveDigest(response.headers["WWW-Authenticate"])
        numbers = itertools.count()
        counts = {"ok": 0, "other": 0}
        measuring = False
        stop_at = time.perf_counter() + 1.0 + seconds

        async def worker() -> None:
            while time.perf_counter() < stop_at:
                number = next(numbers)
                uri = f"{path}?requestId=bench-{number}"
                body = json.dumps({**body_template, "targetTenantName": f"b{number:09d}"})
                headers = {
                    "Authorization": digest.header("POST", uri),
                    "X-Ob-Project-Id": "bench",
                    "Content-Type": "application/json",
                }
                async with session.post(f"{url}{uri}", data=body, headers=headers) as response:
                    await response.read()
                    if measuring:
                        counts["ok" if response.status == 200 else "other"] += 1

        tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
        await asyncio.sleep(1.0)
        measuring = True
        started = time.perf_counter()
        cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
        await asyncio.gather(*tasks)
        cpu_used = (cpu_seconds(server_pid) - cpu_before) if server_pid else 0.0
        elapsed = time.perf_counter() - started
    return counts["ok"], counts["other"], elapsed, cpu_used


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement time")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight")
    parser.add_argument(
        "--url",
        help="drive an already running simulator (started with the bench fixture, "
        f"AccessKey {ACCESS_KEY_ID}:{ACCESS_KEY_SECRET}) instead of starting one",
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})
    if args.url:
        ok, other, elapsed, _ = asyncio.run(drive(args.url, args.seconds, args.concurrency))
        print(f"throughput: {ok / elapsed:,.0f} requests/s ({other} non-200 answers)")
        return 0 if ok and not other else 1
    with tempfile.TemporaryDirectory() as directory:
        fixture = Path(directory, "bench.toml")
        fixture.write_text(FIXTURE, encoding="utf-8")
        process, url = start_simulator(fixture)
        try:
            ok, other, elapsed, cpu = asyncio.run(
                drive(url, args.seconds, args.concurrency, process.pid)
            )
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=10)
    print(f"simulator: {url} (pinned to CPU 0: {bool(shutil.which('taskset'))})")
    print(f"authenticated create-restore requests: {ok} in {elapsed:.1f} s")
    print(f"throughput: {ok / elapsed:,.0f} requests/s ({other} non-200 answers)")
    if cpu:
        # Load-independent: what one fully available core sustains, whatever else ran on it.
        print(
            f"server CPU: {cpu:.1f} s ({cpu / elapsed:.0%} of one core); "
            f"{ok / cpu:,.0f} requests per CPU-second"
        )
    return 0 if ok and not other else 1


if __name__ == "__main__":
    sys.exit(main())
