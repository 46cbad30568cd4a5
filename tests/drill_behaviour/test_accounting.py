"""Every planned item ends in every report exactly once: stops, interrupts, a damaged list,
a dry run, resumes.

In process, on virtual time: the simulator's own request counts and tenants say what was
sent. A stop is made at the exact event a test names, as the command line makes it on a
signal (its exit statuses are tested end to end in tests/cli/test_signals.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ob_async.drill import DrillRunner
from tests.drill_behaviour.harness import DrillWorld, drill_world, stop_when
from tests.support.drill_plans import write_plan
from tests.support.virtual_time import on_virtual_time


@on_virtual_time
async def test_a_stop_sends_no_post_after_it_and_reports_every_item(tmp_path: Path) -> None:
    # With a rate cap, submits queue for the cap: before the fix each of them still
    # went out after the stop, one per second.
    plan = write_plan(tmp_path / "plan.toml", 20, drill="concurrency = 4\nrate = 1.0")
    posts_at_stop: list[int] = []
    async with drill_world(tmp_path, restore_seconds=0.5, seed=21) as world:
        stop = stop_when("submitted", count=2)

        def on_event(runner: DrillRunner, event: str, fields: dict[str, Any]) -> None:
            stop(runner, event, fields)
            if runner.stop_requested and not posts_at_stop:
                posts_at_stop.append(world.restore_posts())

        run = await world.drill(plan, journal=tmp_path / "j.jsonl", on_event=on_event)
        posts_at_end = world.restore_posts()
        created = set(world.tenant_names())
    # At most the one request that may have been on the wire when the stop came.
    assert posts_at_end <= posts_at_stop[0] + 1
    report = run.report
    assert report["interrupted"] is True
    assert report["summary"]["items"] == 20
    assert len({i["key"] for i in report["items"]}) == 20
    sent = [i for i in report["items"] if i["state"] != "not_started"]
    assert {i["target"]["tenantName"] for i in sent} == created
    assert all(i["state"] == "online" for i in sent)
    unsent = [i for i in report["items"] if i["state"] == "not_started"]
    assert len(unsent) == 20 - len(sent) > 0
    assert all(i["error"].startswith("not started: ") and "SIGINT" in i["error"] for i in unsent)
    assert any("not started" in note for note in report["notes"])
    suite = run.junit
    assert suite.get("tests") == "20"
    assert suite.get("skipped") == str(len(unsent))
    assert suite.get("failures") == "0"
    skipped = [case for case in suite.findall("testcase") if case.find("skipped") is not None]
    assert len(skipped) == len(unsent)
    assert all(
        (case.find("skipped").get("message") or "").startswith("not_started")  # type: ignore[union-attr]
        for case in skipped
    )


@on_virtual_time
async def test_a_stop_when_everything_is_in_flight_lets_it_finish(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 3, drill="concurrency = 3")
    async with drill_world(tmp_path, restore_seconds=1.5, seed=22) as world:
        run = await world.drill(
            plan, journal=tmp_path / "j.jsonl", on_event=stop_when("submitted", count=3)
        )
    assert run.report["interrupted"] is True
    assert run.by_state == {"online": 3}


@on_virtual_time
async def test_an_interrupted_run_resumes_to_every_item_once(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path / "plan.toml", 10, drill="concurrency = 2\nrestoring_per_instance = 2"
    )
    journal = tmp_path / "j.jsonl"
    async with drill_world(tmp_path, restore_seconds=0.5, seed=23) as world:
        first = await world.drill(
            plan, journal=journal, on_event=stop_when("item", state="online"), name="first"
        )
        resumed = await world.drill(plan, journal=journal, resume=True)
        names = world.tenant_names()
        posts = world.restore_posts()
    assert first.report["interrupted"] is True
    assert 0 < first.by_state["not_started"] < 10
    assert resumed.by_state == {"online": 10}
    assert len(names) == len(set(names)) == 10
    assert posts == 10  # nothing sent twice


@on_virtual_time
async def test_a_restore_list_damaged_mid_run_reports_every_item(tmp_path: Path) -> None:
    sources = [f"tsh{n:03d}" for n in range(1, 13)]
    lines = [
        json.dumps(
            {
                "source_instance_id": "ob-prod-sh",
                "source_tenant_id": sources[n % len(sources)],
                "target_tenant_name": f"e2e_list_{n:04d}",
                "description": "x" * 40,
            }
        )
        for n in range(1, 121)
    ]
    restore_list = tmp_path / "restores.jsonl"
    restore_list.write_text("\n".join(lines) + "\n")
    plan = write_plan(
        tmp_path / "plan.toml",
        0,
        drill='concurrency = 8\nrestoring_per_instance = 8\nrestore_list = "restores.jsonl"',
    )

    def damage(runner: DrillRunner, event: str, fields: dict[str, Any]) -> None:
        # Line 100, in place (same length), once the drill is sending: past what it buffered.
        if event == "submitting" and fields["key"].endswith("_0001"):
            data = bytearray(restore_list.read_bytes())
            start = sum(len(line) + 1 for line in lines[:99])
            data[start : start + len(lines[99])] = b"{" * len(lines[99])
            restore_list.write_bytes(bytes(data))

    async with drill_world(tmp_path, restore_seconds=0.1, seed=24) as world:
        run = await world.drill(plan, journal=tmp_path / "j.jsonl", on_event=damage)
        created = set(world.tenant_names(prefix="e2e_list_"))
    report = run.report
    assert "restores.jsonl" in report["runError"]  # the command line exits 2 with it
    assert report["summary"]["items"] == 120
    by_key = {i["key"]: i for i in report["items"]}
    assert len(by_key) == 120
    sent = {i["target"]["tenantName"]: i for i in report["items"] if i["state"] != "not_started"}
    assert set(sent) == created  # every restore that exists is in the report
    assert all(i["state"] == "online" for i in sent.values())
    assert 0 < len(sent) <= 99
    # Items 1-99 by name (those queued when the list failed: not_started), the rest by place.
    named = {f"ob-dr-east/e2e_list_{n:04d}" for n in range(1, 100)}
    placed = {f"restore[{n}]" for n in range(100, 121)}
    assert set(by_key) == named | placed
    assert all(by_key[key]["state"] == "not_started" for key in placed)


@on_virtual_time
async def test_dry_run_says_planned_never_ok(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 5)
    async with drill_world(tmp_path, seed=25) as world:
        run = await world.drill(plan, dry_run=True)
        posts = world.restore_posts()
    assert "5 planned" in run.summary_lines[0]
    assert " ok" not in run.summary_lines[0]
    assert run.journal is None  # a dry run keeps none
    assert posts == 0
    assert run.junit.get("skipped") == "5"
    assert run.junit.get("failures") == "0"


async def _interrupted_twice(world: DrillWorld, plan: Path, journal: Path, submitted: int) -> None:
    """Run until ``submitted`` restores are sent, then stop at once (two SIGINTs: those in
    flight are recorded as interrupted, for a resume to settle)."""
    run = await world.drill(
        plan,
        journal=journal,
        on_event=stop_when("submitted", count=submitted, then_abort_after=0.3),
        name="interrupted",
    )
    assert run.report["interrupted"] is True


@on_virtual_time
async def test_a_resumed_restore_says_its_recovery_time_includes_the_outage(
    tmp_path: Path,
) -> None:
    plan = write_plan(tmp_path / "plan.toml", 4, drill="concurrency = 4")
    journal = tmp_path / "j.jsonl"
    async with drill_world(tmp_path, restore_seconds=2, seed=26) as world:
        await _interrupted_twice(world, plan, journal, submitted=4)
        resumed = await world.drill(plan, journal=journal, resume=True)
    assert resumed.states == ["online"] * 4
    for item in resumed.items:
        assert "includes the outage before the resume" in item["recoveryNote"]


@on_virtual_time
async def test_resume_dry_run_lists_every_item_including_the_sent_but_unsettled(
    tmp_path: Path,
) -> None:
    plan = write_plan(
        tmp_path / "plan.toml", 6, drill="concurrency = 2\nrestoring_per_instance = 2"
    )
    journal = tmp_path / "j.jsonl"
    async with drill_world(tmp_path, restore_seconds=2, seed=27) as world:
        await _interrupted_twice(world, plan, journal, submitted=2)
        posts_before = world.restore_posts()
        dry = await world.drill(plan, journal=journal, resume=True, dry_run=True)
        posts_after = world.restore_posts()
    assert posts_after == posts_before  # a dry run sends nothing
    assert len(dry.items) == 6
    unsettled = [i for i in dry.items if i["resumed"]]
    assert unsettled, dry.items
    assert all("would be looked up" in i["error"] for i in unsettled)
    assert {i["state"] for i in dry.items} == {"planned"}
