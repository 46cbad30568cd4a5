"""Request classes: the priority and admission callback that requests inherit from their context."""

from __future__ import annotations

import asyncio

from ob_async._http.priority import Priority, current_priority, notify_admitted, request_class


def test_a_block_sets_the_priority_and_its_end_restores_the_outer_one() -> None:
    assert current_priority() is Priority.NORMAL
    with request_class(Priority.SUBMIT):
        assert current_priority() is Priority.SUBMIT
        with request_class(Priority.STATE):
            assert current_priority() is Priority.STATE
        assert current_priority() is Priority.SUBMIT
    assert current_priority() is Priority.NORMAL


def test_admissions_reach_the_innermost_block_only() -> None:
    heard: list[str] = []
    notify_admitted()  # outside any block: nobody to tell, and no error
    with request_class(Priority.SUBMIT, on_admit=lambda: heard.append("outer")):
        notify_admitted()
        with request_class(Priority.STATE):  # a block without a callback hides the outer one
            notify_admitted()
        with request_class(Priority.STATE, on_admit=lambda: heard.append("inner")):
            notify_admitted()
            notify_admitted()
        notify_admitted()
    notify_admitted()
    assert heard == ["outer", "inner", "inner", "outer"]


async def test_concurrent_tasks_keep_their_own_class() -> None:
    seen: dict[str, list[Priority]] = {"submit": [], "plain": []}
    admitted: list[str] = []

    async def submitting() -> None:
        with request_class(Priority.SUBMIT, on_admit=lambda: admitted.append("submit")):
            for _ in range(3):
                await asyncio.sleep(0)
                seen["submit"].append(current_priority())
                notify_admitted()

    async def plain() -> None:
        for _ in range(3):
            await asyncio.sleep(0)
            seen["plain"].append(current_priority())
            notify_admitted()

    await asyncio.gather(submitting(), plain())
    assert seen == {"submit": [Priority.SUBMIT] * 3, "plain": [Priority.NORMAL] * 3}
    assert admitted == ["submit"] * 3
