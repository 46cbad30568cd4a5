"""Rehearsals that prove something, through the drill against the embedded simulator:
random restore points drawn at submission, journaled, reproducible with the seed and
reused on resume; a hold that keeps restored tenants from any clean-up until it ends.

The client and the simulator share one fake clock (time moves only when the client
sleeps), so that the windows, the restores and the holds are exact.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from ob_async import ObClient, PollConfig
from ob_async._http.credentials import Credentials
from ob_async._wire.backups import RestorableTenant
from ob_async._wire.codec import from_wire
from ob_async._wire.tenants import TenantSummary
from ob_async.batch._item import ItemState
from ob_async.drill._cleanup import load_run_tenants, refuse_held
from ob_async.drill._journal_record import ItemRecord, JournalEvent, RunRecord, record_line
from ob_async.drill._plan import PlanError, RandomPoint, RestorePointChoice, RunContext, load_plan
from ob_async.drill._preflight import Preflight
from ob_async.drill._random_points import RandomDraws
from ob_async.drill._renderers.html import write_html
from ob_async.drill._renderers.summary_text import summary_lines
from ob_async.drill._report import DataOutcome, ReportEntry
from ob_async.drill._report.convert import from_json, to_json
from ob_async.drill._runner import DrillOptions, DrillRunner
from ob_async.errors import InvalidInputError
from ob_async.simulator import Simulator, SimulatorConfig
from tests.cli.support import ACCESS_KEY_ID, PROJECT, SECRET, write_plan
from tests.support.fakes import FakeClock

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


class SharedClock(FakeClock):
    """The client's fake clock, read by the simulator too (its ``time()``)."""

    def time(self) -> float:
        return self.now().timestamp()


def _simulator(clock: SharedClock) -> Simulator:
    return Simulator(
        SimulatorConfig(
            access_key_id=ACCESS_KEY_ID,
            access_key_secret=SECRET,
            restore_seconds=(30.0, 60.0),
            seed=27,
            clock=clock,
        )
    )


def _client(sim: Simulator, clock: SharedClock) -> ObClient:
    return ObClient(
        sim.url,
        sim.credentials,
        PROJECT,
        clock=clock,
        poll=PollConfig(initial_interval=5.0, max_interval=10.0),
    )


@attrs.frozen
class Ran:
    """What a drill's report says: its JSON (header and entries) and its summary."""

    json: dict[str, Any]
    summary: str
    html: str

    def entries(self) -> list[dict[str, Any]]:
        return list(self.json["items"])


async def _drill(sim: Simulator, clock: SharedClock, plan_path: Path, **options: Any) -> Ran:
    async with _client(sim, clock) as client:
        options.setdefault("journal_path", None)
        report = await DrillRunner(client, load_plan(plan_path), DrillOptions(**options)).run()
    page = io.BytesIO()
    try:
        write_html(report, page)
        return Ran(report.to_json(), "\n".join(summary_lines(report)), page.getvalue().decode())
    finally:
        report.close()


def _journal(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


Spans = list[tuple[datetime, datetime]]


async def _windows(sim: Simulator, clock: SharedClock) -> dict[str, Spans]:
    async with _client(sim, clock) as client:
        tenants = await client.list_restorable_tenants("ob-prod-sh")
    return {
        t.tenant_id: [(w.start_time, w.end_time) for w in t.time_interval_list] for t in tenants
    }


def _inside(moment: datetime, windows: Spans) -> bool:
    return any(start <= moment <= end for start, end in windows)


async def test_a_thousand_random_points_through_the_plan_and_pre_flight_fall_inside(
    tmp_path: Path,
) -> None:
    plan = write_plan(tmp_path / "plan.toml", 1000, restore_time="random within 7d")
    clock = SharedClock(START)
    async with _simulator(clock) as sim:
        windows = await _windows(sim, clock)

        async def points(seed: int) -> dict[str, str]:
            report = await _drill(sim, clock, plan, dry_run=True, seed=seed)
            entries = list(report.entries())
            assert len(entries) == 1000
            assert {e["state"] for e in entries} == {ItemState.PLANNED.value}
            assert {e["restorePointChoice"] for e in entries} == {RestorePointChoice.RANDOM.value}
            assert {e["restorePointSeed"] for e in entries} == {seed}
            assert report.json["summary"]["restorePoints"]["seed"] == seed
            drawn = f"restore points: 1000 random (seed {seed}: --seed {seed} draws them again)"
            assert drawn in report.html
            return {e["key"]: e["restoreTime"] for e in entries}

        first = await points(2026)
        again = await points(2026)
        other = await points(2027)
    assert again == first
    assert sum(first[key] != other[key] for key in first) > 990
    for key, text in first.items():
        moment = datetime.fromisoformat(text)
        source = key.rsplit("_", 1)[1]
        assert _inside(moment, windows[source]), (key, text)
        assert moment >= START - timedelta(days=7)  # the fixture's January window is older
    assert len(set(first.values())) > 990  # a week of seconds: few drawn twice


async def test_a_drill_journals_each_draw_and_a_resume_sends_the_recorded_point(
    tmp_path: Path,
) -> None:
    plan_path = write_plan(tmp_path / "plan.toml", 2, restore_time="random", drill="seed = 11")
    plan = load_plan(plan_path)
    assert plan.random_items == 2
    keys = [item.key for item in plan.items(_context())]
    # A run that drew item 1's point and crashed before sending it: the journal holds
    # the draw (a point this seed would not draw), nothing else.
    recorded = datetime(2026, 1, 13, 2, 17, 17, tzinfo=UTC)
    journal = tmp_path / "run.jsonl"
    journal.write_bytes(
        record_line(
            RunRecord(
                run_id="20261127T085900Z-abcdef",
                started_at=START - timedelta(minutes=1),
                plan=str(plan_path),
                plan_digest=plan.digest,
                drill=plan.name,
                items=2,
                seed=11,
            )
        )
        + record_line(
            ItemRecord(
                event=JournalEvent.CHOSEN,
                key=keys[0],
                restore_time=recorded,
                restore_point_choice=RestorePointChoice.RANDOM,
            )
        )
    )
    clock = SharedClock(START)
    async with _simulator(clock) as sim:
        windows = await _windows(sim, clock)
        with pytest.raises(InvalidInputError, match="seed 11"):
            await _drill(sim, clock, plan_path, journal_path=journal, resume=True, seed=12)
        report = await _drill(sim, clock, plan_path, journal_path=journal, resume=True)
    entries = {e["key"]: e for e in report.entries()}
    assert {e["state"] for e in entries.values()} == {ItemState.ONLINE.value}
    assert datetime.fromisoformat(entries[keys[0]]["restoreTime"]) == recorded
    assert entries[keys[0]]["restorePointSeed"] == 11
    assert "restore points: 2 random (seed 11)" in json.dumps(report.json["controls"])
    lines = _journal(journal)
    chosen = [line for line in lines if line["event"] == JournalEvent.CHOSEN]
    assert [line["key"] for line in chosen] == keys  # item 1's draw was not made again
    submitting = {line["key"]: line for line in lines if line["event"] == "submitting"}
    assert datetime.fromisoformat(submitting[keys[0]]["restoreTime"]) == recorded
    drawn = datetime.fromisoformat(chosen[1]["restoreTime"])
    assert datetime.fromisoformat(submitting[keys[1]]["restoreTime"]) == drawn
    assert {line["restorePointChoice"] for line in submitting.values()} == {"random"}
    assert _inside(drawn, windows[keys[1].rsplit("_", 1)[1]])


def _context() -> RunContext:
    return RunContext.new(START)


async def test_no_window_within_reach_fails_the_pre_flight_naming_it(tmp_path: Path) -> None:
    # The fixture's newest window ends 5 minutes before the run starts.
    plan = write_plan(tmp_path / "plan.toml", 2, restore_time="random within 2m")
    clock = SharedClock(START)
    async with _simulator(clock) as sim:
        report = await _drill(sim, clock, plan, journal_path=tmp_path / "run.jsonl", seed=1)
        posts = sim.stats()
    entries = list(report.entries())
    assert {e["state"] for e in entries} == {ItemState.PREFLIGHT_FAILED.value}
    assert "has no restorable time within the last 2m" in entries[0]["error"]
    assert "'random within 2m'" in entries[0]["error"]
    assert entries[0]["restoreTime"] == "random within 2m"
    assert posts["restoresAccepted"] == 0


async def test_held_tenants_are_not_cleaned_up_until_the_hold_ends(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 3, drill='hold = "2h"\ncleanup = true')
    journal = tmp_path / "run.jsonl"
    clock = SharedClock(START)
    async with _simulator(clock) as sim:
        report = await _drill(sim, clock, plan, journal_path=journal)
        assert sim.stats()["deletes"] == 0
        entries = list(report.entries())
        assert {e["state"] for e in entries} == {ItemState.ONLINE.value}
        assert all(e["cleanup"] is None for e in entries)
        finals = {line["key"]: line for line in _journal(journal) if line["event"] == "online"}
        for entry in entries:
            final = finals[entry["key"]]
            due = datetime.fromisoformat(final["finishedAt"]) + timedelta(hours=2)
            assert datetime.fromisoformat(final["holdUntil"]) == due
            assert datetime.fromisoformat(entry["cleanupDue"]) == due
        last_due = max(datetime.fromisoformat(e["cleanupDue"]) for e in entries)
        assert report.json["summary"]["held"] == 3
        summary = report.summary
        assert f"clean-up due at {last_due.isoformat()}" in summary
        assert "held for manual validation: clean-up due" in summary  # the kept reason
        assert "held for validation: 3 restored tenant(s), not cleaned up; clean-up due at" in (
            report.html
        )

        # The clean-up refuses before the hold ends, naming when it ends.
        _, tenants = load_run_tenants(journal)
        with pytest.raises(InvalidInputError, match="nothing was deleted") as refused:
            refuse_held(tenants, clock.now(), where=f"journal {journal}")
        assert f"the hold ends at {last_due.isoformat()}" in str(refused.value)
        refuse_held(tenants, last_due, where="journal")  # over: nothing held

        # A resume with clean-up before the hold ends deletes nothing either ...
        report = await _drill(sim, clock, plan, journal_path=journal, resume=True)
        assert sim.stats()["deletes"] == 0
        assert all(e["cleanupDue"] for e in report.entries())
        # ... and once it has ended, cleans up.
        clock.elapsed += 2 * 3600
        report = await _drill(sim, clock, plan, journal_path=journal, resume=True)
        assert sim.stats()["deletes"] == 3
    assert all(e["cleanup"]["deleted"] for e in report.entries())


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ('restore_time = "random within 7x"', "restore_time", "unreadable duration '7x'"),
        ('restore_time = "random soon"', "restore_time", 'write "random" or "random within 7d"'),
        ('restore_time = "randomly"', "restore_time", "unreadable random restore time"),
        ('hold = "0s"', "hold", "must be a positive, finite duration"),
        ('hold = "a while"', "hold", "unreadable duration"),
    ],
)
def test_bad_random_and_hold_values_are_plan_errors_naming_the_field(
    tmp_path: Path, line: str, field: str, message: str
) -> None:
    plan = write_plan(tmp_path / "plan.toml", 1, defaults="")
    text = plan.read_text().replace("[[restore]]", f"[[restore]]\n{line}", 1)
    text = text.replace('restore_time = "latest"\n', "") if "restore_time" in line else text
    plan.write_text(text)
    with pytest.raises(PlanError) as caught:
        load_plan(plan)
    assert f"restore[1].{field}" in str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("seed = -1", "drill.seed: must be 0 or more, got -1"),
        ('seed = "abc"', "drill.seed: expected an integer"),
        ('hold = "2 hours"', "drill.hold: unreadable duration"),
    ],
)
def test_bad_seed_and_drill_hold_are_plan_errors(tmp_path: Path, line: str, message: str) -> None:
    plan = write_plan(tmp_path / "plan.toml", 1, drill=line)
    with pytest.raises(PlanError, match=message):
        load_plan(plan)


def test_a_plan_reads_its_seed_hold_and_random_points(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path / "plan.toml", 3, drill='seed = 8\nhold = "1d12h"', restore_time="random"
    )
    loaded = load_plan(plan)
    assert (loaded.seed, loaded.hold_seconds, loaded.random_items) == (8, 36 * 3600.0, 3)
    item = next(loaded.items(_context()))
    assert item.restore_point_choice is RestorePointChoice.RANDOM
    assert item.hold_seconds == 36 * 3600.0


def test_how_a_point_was_chosen_survives_the_json_report_beside_the_data_checks() -> None:
    # The data outcome's restorePoint (a time) sits in the same JSON object as the
    # entry's own fields: how the point was chosen must not collide with it.
    entry = ReportEntry(
        key="ob-dr/t1_dr",
        index=1,
        source_instance_id="ob-src",
        source_tenant_id="t1",
        target_instance_id="ob-dr",
        target_tenant_name="t1_dr",
        state=ItemState.ONLINE,
        restore_time="2026-01-13T02:17:17+00:00",
        data=DataOutcome(ok=True, restore_point=datetime(2026, 1, 13, 2, 17, 17, tzinfo=UTC)),
        cleanup_due=START + timedelta(hours=2),
        restore_point_choice=RestorePointChoice.RANDOM,
        restore_point_seed=99,
    )
    written = to_json(entry)
    assert written["restorePointChoice"] == "random"
    assert written["restorePointSeed"] == 99
    assert written["restorePoint"] == "2026-01-13T02:17:17+00:00"
    assert from_json(json.loads(json.dumps(written)), ReportEntry, where="test") == entry


async def test_windows_written_without_a_zone_are_read_as_utc_for_a_random_point(
    tmp_path: Path,
) -> None:
    # As for "latest": the API may write its times without a zone; they are UTC.
    answer = {
        "tenantId": "tsh001",
        "timeIntervalList": [
            {"startTime": "2026-11-26 09:00:00", "endTime": "2026-11-26 09:00:09"}
        ],
    }
    tenant = from_wire(RestorableTenant, answer)
    clock = FakeClock(START)
    client = ObClient(
        "https://api.example.test", Credentials("AK", access_key_secret="sk"), "p1", clock=clock
    )

    async def list_restorable_tenants(instance_id: str, **_: object) -> list[RestorableTenant]:
        return [tenant]

    async def no_tenants(instance_id: str, **_: object) -> AsyncIterator[TenantSummary]:
        none: tuple[TenantSummary, ...] = ()
        for tenant in none:
            yield tenant

    client.list_restorable_tenants = list_restorable_tenants  # type: ignore[method-assign]
    client.iter_tenants = no_tenants  # type: ignore[method-assign]
    plan_item = attrs.evolve(
        next(load_plan(write_plan(tmp_path / "plan.toml", 1)).items(_context())),
        random_point=RandomPoint(2 * 86400.0, "2d"),
    )
    draws = RandomDraws(5, START)
    points = set()
    for seed in range(40):
        point, reason = await Preflight(client).check(
            plan_item, draws=attrs.evolve(draws, seed=seed)
        )
        assert reason is None
        assert point is not None
        points.add(point)
    await client.close()
    start = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert points <= {start + timedelta(seconds=n) for n in range(10)}
    assert len(points) > 1
