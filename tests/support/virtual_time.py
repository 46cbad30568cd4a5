"""Virtual time for in-process tests: an event loop whose clock jumps instead of waiting.

:class:`VirtualTimeLoop` is asyncio's selector loop with its own time. When the loop
would block (nothing ready to run, no socket ready, no thread of its executor still
working) and a timer is due later, it moves its time forward to that timer at once, as
if it had waited. Loopback sockets are ready as soon as the other end has written, so a
client and the simulator in the same loop exchange requests and answers in no time, and
minutes of polls, backoffs and restores pass in milliseconds, in order.

While a thread of the loop's executor works (a journal's fsync, a command's ``main`` run
with ``asyncio.to_thread``), the loop waits for real and its time stands still, so that
how long the machine takes never shows in the virtual times. A thread must therefore not
wait for one of the loop's timers (a command in a worker thread talks to a simulator
without delays or a rate limit), or it waits for ever.

Everything that reads the loop's time follows it: ``asyncio.sleep``, ``asyncio.timeout``,
aiohttp's timeouts. :class:`VirtualClock` puts the library's :class:`ob_async._clock.Clock`
and the simulator's clock on it too, so that both sides of the wire agree on the time.

Only what the loop's API offers is used: a selector of our own (``SelectorEventLoop``
takes one), ``time()`` and ``run_in_executor`` overridden.
"""

from __future__ import annotations

import asyncio
import functools
import selectors
import time
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Executor
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

FileObject = Any  # an fd or an object with fileno(), as selectors takes
P = ParamSpec("P")
T = TypeVar("T")


class _JumpingSelector(selectors.BaseSelector):
    """The default selector, except that a wait with nothing to wait for is skipped."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        self._inner = selectors.DefaultSelector()
        self._loop = loop

    def register(self, fileobj: FileObject, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: FileObject) -> selectors.SelectorKey:
        return self._inner.unregister(fileobj)

    def modify(self, fileobj: FileObject, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._inner.select(0)
        if ready or (timeout is not None and timeout <= 0):
            return ready
        if timeout is None or self._loop.threads_working:
            # Nothing scheduled at all (only a socket can wake the loop), or a thread is
            # working (it wakes the loop when done): a real wait, time standing still.
            return self._inner.select(timeout)
        self._loop.advance(timeout)
        return []

    def close(self) -> None:
        self._inner.close()

    def get_map(self) -> Mapping[FileObject, selectors.SelectorKey]:
        return self._inner.get_map()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop on virtual time (see the module's docstring)."""

    def __init__(self) -> None:
        self._now = time.monotonic()
        self.epoch = time.time() - self._now
        """Wall-clock seconds at the loop's time 0: ``epoch + time()`` is the virtual wall clock."""
        self.threads_working = 0
        super().__init__(_JumpingSelector(self))

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def run_in_executor(
        self, executor: Executor | None, func: Callable[..., T], *args: Any
    ) -> asyncio.Future[T]:
        # Counted until the loop has the result: the task waiting for it is then ready,
        # so the loop does not jump before it ran.
        future = super().run_in_executor(executor, func, *args)
        self.threads_working += 1
        future.add_done_callback(self._thread_done)
        return future

    def _thread_done(self, future: asyncio.Future[Any]) -> None:
        self.threads_working -= 1


class VirtualClock:
    """The running virtual loop's time, as the library's clock and the simulator's.

    ``monotonic``/``now``/``sleep`` are :class:`ob_async._clock.Clock`; ``time`` is
    :class:`ob_async.simulator.Clock`. Use it only inside a :class:`VirtualTimeLoop`.
    """

    @staticmethod
    def _loop() -> VirtualTimeLoop:
        loop = asyncio.get_running_loop()
        if not isinstance(loop, VirtualTimeLoop):
            raise RuntimeError("VirtualClock is read outside a VirtualTimeLoop")
        return loop

    def monotonic(self) -> float:
        return self._loop().time()

    def time(self) -> float:
        loop = self._loop()
        return loop.epoch + loop.time()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def on_virtual_time(test: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """Run an async test in a :class:`VirtualTimeLoop` of its own (a sync test to pytest)."""

    @functools.wraps(test)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
            return runner.run(test(*args, **kwargs))

    return run
