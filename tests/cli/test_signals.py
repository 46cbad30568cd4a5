"""SIGINT/SIGTERM handling shared by the drill and simulator commands."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable

from ob_async._cli.signals import STOP_SIGNALS, forget_stop_signals, on_stop_signals


async def test_a_stop_signal_calls_back_until_forgotten() -> None:
    loop = asyncio.get_running_loop()
    seen = asyncio.Event()
    on_stop_signals(loop, seen.set)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(seen.wait(), timeout=5)
    finally:
        forget_stop_signals(loop)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) == signal.default_int_handler


class _LoopWithoutSignals:
    def __init__(self, error: type[Exception]) -> None:
        self.error = error
        self.tried: list[int] = []

    def add_signal_handler(self, signum: int, callback: Callable[[], None]) -> None:
        self.tried.append(signum)
        raise self.error("no signals here")

    def remove_signal_handler(self, signum: int) -> bool:
        raise self.error("no signals here")


def test_a_loop_without_signal_support_is_left_alone() -> None:
    for error in (NotImplementedError, RuntimeError):
        loop = _LoopWithoutSignals(error)
        on_stop_signals(loop, lambda: None)  # type: ignore[arg-type]
        forget_stop_signals(loop)  # type: ignore[arg-type]
        assert loop.tried == list(STOP_SIGNALS)
