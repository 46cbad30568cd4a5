"""Shared test configuration.

Every simulator a test starts in this process answers under a contract check: each
answer is validated against contract/openapi.yaml (every documented field present,
nothing else), and a violation fails the test that caused it.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import aioresponses.core
import pytest
from aiohttp import ClientResponse


class _SentRequest:
    """What aiohttp 3.14 reads from ``stream_writer`` when the request is already sent."""

    output_size = 0


class _CompatClientResponse(ClientResponse):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _SentRequest())
        super().__init__(*args, **kwargs)


_NEEDS_STREAM_WRITER = "stream_writer" in inspect.signature(ClientResponse.__init__).parameters


@pytest.fixture(autouse=True)
def _aioresponses_on_aiohttp_314(monkeypatch: pytest.MonkeyPatch) -> None:
    # aioresponses 0.7.x builds ClientResponse without the `stream_writer` argument that
    # aiohttp 3.14 requires (pnuckowski/aioresponses#289, unreleased fix #288). aiohttp
    # 3.14 is a security release, so we keep it and adapt the mock library instead.
    if _NEEDS_STREAM_WRITER:
        monkeypatch.setattr(aioresponses.core, "ClientResponse", _CompatClientResponse)


@pytest.fixture(autouse=True)
def contract_checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """The contract checks of the simulators the test starts (a test of the check
    itself may look at them, and clear what it provoked)."""
    checks: list[Any] = []
    try:
        from ob_async.simulator import Simulator
    except ImportError:  # the simulator extra is not installed: no simulator to check
        yield checks
        return
    from tests.support.contract import ContractCheck

    start = Simulator.start

    async def start_checked(self: Simulator) -> None:
        app = self.application.app
        if not app.frozen:
            check = ContractCheck(faults=bool(self.config.faults.rules))
            app.middlewares.insert(0, check.middleware)
            checks.append(check)
        await start(self)

    monkeypatch.setattr(Simulator, "start", start_checked)
    yield checks
    violations = [violation for check in checks for violation in check.violations]
    if violations:
        shown = "\n".join(violations[:10])
        pytest.fail(
            f"the simulator answered {len(violations)} time(s) outside the contract "
            f"(contract/openapi.yaml):\n{shown}",
            pytrace=False,
        )
