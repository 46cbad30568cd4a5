"""At the API's limit: a drill against a rate-limited simulator, measured against its truth.

``python -m benchmarks.ratelimit [--quick] [--only NAME]`` (also part of ``python -m benchmarks``).

Each scenario starts ``ob-restore simulator --rate-limit R --restore-seconds 4`` in
its own process and runs ``ob-restore drill`` as another child process
(:func:`benchmarks.drill.run_drill`): ``restores`` restores into one target
instance (``restoring_per_instance`` raised out of the way), ``concurrency`` 64,
validation on, polls from 1 s backing off to 4 s. Scenarios: the limit at 40/s,
at 100/s, at 40/s halved to 20/s once half the restores are accepted
(``POST /_simulator/rate-limit``), and at 40/s with 3% of the answers it lets
through refused at random on top (``--faults throttle=0.03``: background 429s
that are not the limit's, which the pace must not be lowered for).

Measured on the simulator, which records every answer of its rate limit per tenth
of a second and, for every restore, when it was accepted and when it came ONLINE
(``answerTimeline``, ``restoreTimes`` of ``/_simulator/stats``):

- **utilisation**: requests the limit let through from the first restore accepted
  until the last, over what the limit allowed in that time (the rate in force,
  plus the one second of burst the bucket starts with);
- **429 share**: answers the rate limit refused over all answers of the run (the
  random 429s of the background scenario are counted apart);
- **wall vs floor**: the drill's own start-to-finish time against the least it
  could take at that limit: the requests it had answered, at the limit, plus one
  restore duration;
- **measured minus true recovery**: the report's ``recoverySeconds`` of each restore
  (from its POST leaving the client to the first poll that saw it ONLINE) minus the
  simulator's ONLINE minus accepted; median and p90. The report's interval
  (``recoveryLowerSeconds``..``recoveryUpperSeconds``) is checked to contain it.

Goals (issue 23, after issue 14): at a steady limit at least 0.98 of it used, at most
5% of answers 429, the wall within 1.2x its floor, measured recovery within 4 s of
the truth at p90; with the limit halved, at most 10% 429s and 0.9 of it used; with
random 429s on top, 0.9 of the limit used and at most 5% of the limit's own 429s.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import threading
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

from ob_async._stats import nearest_rank

from .common import (
    TARGET_INSTANCE,
    fixture_text,
    report,
    start_simulator,
    utc_now,
    write_plan,
)
from .drill import run_drill

RESTORE_SECONDS = 4.0
GOAL_UTILISATION = 0.98
GOAL_429 = 0.05
GOAL_WALL = 1.2
GOAL_ERROR_P90 = 4.0
GOAL_HALVED_429 = 0.10
GOAL_HALVED_UTILISATION = 0.9
GOAL_BACKGROUND_UTILISATION = 0.9

SCENARIOS: tuple[tuple[str, float, float | None, str | None], ...] = (
    ("40/s", 40.0, None, None),
    ("100/s", 100.0, None, None),
    ("40/s halved to 20/s halfway", 40.0, 20.0, None),
    ("40/s with 3% random 429s", 40.0, None, "throttle=0.03"),
)
"""(name, limit, limit after half the restores are accepted, simulator faults)."""


def _stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url + "/_simulator/stats", timeout=30) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def _change_limit_halfway(
    url: str, restores: int, limit: float, done: threading.Event
) -> threading.Thread:
    """A thread that sets ``limit`` once half the restores are accepted (or ``done``)."""

    def watch() -> None:
        while not done.is_set():
            if _stats(url)["restoresAccepted"] >= restores // 2:
                request = urllib.request.Request(
                    f"{url}/_simulator/rate-limit?perSecond={limit:g}", method="POST"
                )
                with urllib.request.urlopen(request, timeout=30):
                    return
            done.wait(0.25)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def _limit_at(moment: float, limits: list[list[float]]) -> float:
    current = limits[0][1]
    for since, per_second in limits:
        if since <= moment:
            current = per_second
    return current


def measure(stats: dict[str, Any], report: dict[str, Any]) -> dict[str, Any]:
    """The scenario's figures from the simulator's truth and the drill's report."""
    times = stats["restoreTimes"]
    accepted = sorted(entry["acceptedAt"] for entry in times)
    first, last = accepted[0], accepted[-1]
    limits = stats["rateLimits"]
    timeline = stats["answerTimeline"]
    let_through = refused = 0
    window_answered = 0
    capacity = 0.0
    for tick, answered, throttled in timeline:
        let_through += answered
        refused += throttled
        if first - 0.1 < tick <= last:
            window_answered += answered
    # The limit's capacity over [first, last], piecewise where it changed.
    moments = [first] + [since for since, _ in limits if first < since < last] + [last]
    for start, end in itertools.pairwise(moments):
        capacity += (end - start) * _limit_at(start, limits)
    # The bucket starts full: one second of burst is allowed on top of the rate.
    capacity += max(1.0, limits[0][1])
    started = datetime.fromisoformat(report["startedAt"]).timestamp()
    finished = datetime.fromisoformat(report["finishedAt"]).timestamp()
    wall = finished - started
    # The least time the answered requests need at the limits in force, plus a restore.
    floor = RESTORE_SECONDS
    for tick, answered, _ in timeline:
        floor += answered / _limit_at(tick, limits)
    truth = {entry["tenantName"]: entry for entry in times}
    errors: list[float] = []
    first_try: list[float] = []
    """The errors of restores whose first POST was accepted."""
    widths: list[float] = []
    outside = 0
    for item in report["items"]:
        real = truth.get(item["target"]["tenantName"])
        if real is None or real["onlineAt"] is None or item["recoverySeconds"] is None:
            continue
        true_recovery = real["onlineAt"] - real["acceptedAt"]
        errors.append(item["recoverySeconds"] - true_recovery)
        if len(item["attempts"]) == 1:
            first_try.append(errors[-1])
        widths.append(item["recoveryUpperSeconds"] - item["recoveryLowerSeconds"])
        sent = datetime.fromisoformat(item["submittedAt"]).timestamp()
        if not (
            item["recoveryLowerSeconds"] - 0.05
            <= real["onlineAt"] - sent
            <= item["recoveryUpperSeconds"] + 0.05
        ):
            outside += 1
    summary = report["summary"]
    return {
        "items": summary["items"],
        "online": summary["byState"].get("online", 0),
        "utilisation": window_answered / capacity if capacity else float("nan"),
        "submission_phase": last - first,
        "answered": let_through,
        "throttled": refused,
        "share_429": refused / (let_through + refused) if let_through + refused else 0.0,
        "requests_per_restore": let_through / max(1, summary["items"]),
        "wall": wall,
        "floor": floor,
        "wall_ratio": wall / floor,
        "error_median": statistics.median(errors) if errors else float("nan"),
        "error_p90": nearest_rank(sorted(errors), 0.9) if errors else float("nan"),
        "error_max": max(errors) if errors else float("nan"),
        "retried": len(errors) - len(first_try),
        "error_max_first_try": max(first_try) if first_try else float("nan"),
        "interval_width_median": statistics.median(widths) if widths else float("nan"),
        "outside_interval": outside,
        "bottleneck": (summary.get("bottleneck") or {}).get("summary"),
        "list_calls": sum(stats["listCalls"].values()),
        "describe_calls": stats["describeCalls"],
        "rate_limits": limits,
    }


def run_scenario(
    folder: Path,
    name: str,
    limit: float,
    halved: float | None,
    restores: int,
    faults: str | None = None,
) -> dict[str, Any]:
    tag = "rl" + "".join(ch for ch in name if ch.isalnum())[:10]
    fixture = folder / f"{tag}-fixture.toml"
    fixture.write_text(fixture_text(), encoding="utf-8")
    plan = write_plan(folder, tag, restores, [TARGET_INSTANCE], rto="1m", poll_max="4s")
    scratch = folder / tag
    scratch.mkdir()
    extra = ["--rate-limit", f"{limit:g}"] + (["--faults", faults] if faults else [])
    with start_simulator(fixture, restore_seconds=f"{RESTORE_SECONDS:g}", extra=extra) as simulator:
        done = threading.Event()
        changer = _change_limit_halfway(simulator.url, restores, halved, done) if halved else None
        drill = run_drill(plan, simulator.url, scratch, timeout=1800)
        done.set()
        if changer is not None:
            changer.join(timeout=30)
        stats = _stats(simulator.url)
    if drill["exit"] != 0 or not drill["report"]:
        raise RuntimeError(f"the drill of {name} exited {drill['exit']}:\n{drill['log_tail']}")
    result = measure(stats, drill["report"])
    result.update(
        name=name,
        limit=limit,
        halved_to=halved,
        faults=faults,
        background_429=stats["faultsInjected"].get("throttle", 0),
        measured_at=utc_now(),
    )
    return result


def goals(results: list[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    rows = []
    for result in results:
        name = result["name"]
        if result.get("faults"):
            rows.extend(
                [
                    (
                        f"{name}: utilisation >= {GOAL_BACKGROUND_UTILISATION}",
                        f"{result['utilisation']:.3f}",
                        result["utilisation"] >= GOAL_BACKGROUND_UTILISATION,
                    ),
                    (
                        f"{name}: the limit's own 429 share <= {GOAL_429:.0%}",
                        f"{result['share_429']:.2%}",
                        result["share_429"] <= GOAL_429,
                    ),
                ]
            )
        elif result["halved_to"] is None:
            rows.extend(
                [
                    (
                        f"{name}: utilisation >= {GOAL_UTILISATION}",
                        f"{result['utilisation']:.3f}",
                        result["utilisation"] >= GOAL_UTILISATION,
                    ),
                    (
                        f"{name}: 429 share <= {GOAL_429:.0%}",
                        f"{result['share_429']:.2%}",
                        result["share_429"] <= GOAL_429,
                    ),
                    (
                        f"{name}: wall <= {GOAL_WALL}x its floor",
                        f"{result['wall']:.1f} s / {result['floor']:.1f} s = "
                        f"{result['wall_ratio']:.2f}x",
                        result["wall_ratio"] <= GOAL_WALL,
                    ),
                    (
                        f"{name}: p90 of measured - true recovery <= {GOAL_ERROR_P90:g} s",
                        f"{result['error_p90']:.2f} s",
                        result["error_p90"] <= GOAL_ERROR_P90,
                    ),
                ]
            )
        else:
            rows.extend(
                [
                    (
                        f"{name}: 429 share <= {GOAL_HALVED_429:.0%}",
                        f"{result['share_429']:.2%}",
                        result["share_429"] <= GOAL_HALVED_429,
                    ),
                    (
                        f"{name}: utilisation >= {GOAL_HALVED_UTILISATION}",
                        f"{result['utilisation']:.3f}",
                        result["utilisation"] >= GOAL_HALVED_UTILISATION,
                    ),
                ]
            )
    return rows


def render(results: list[dict[str, Any]], *, command: str, restores: int) -> str:
    """The scenarios' table and notes, in Markdown (the goals are :func:`goals`)."""
    lines = [
        f"`{command}`, {results[-1].get('measured_at', '?') if results else '?'}: {restores:,} "
        f"restores of exactly {RESTORE_SECONDS:g} s into one target instance, concurrency 64, "
        "validation on, polls 1 s backing off to 4 s, against `ob-restore simulator "
        "--rate-limit R` (a token bucket with one second of burst) in its own process; the "
        "figures come from the simulator's own record of every answer and every restore.",
        "",
        "| scenario | utilisation | 429 share | wall / floor | measured - true recovery, "
        "median / p90 / max | interval width (median) | requests per restore | bottleneck named |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        lines.append(
            f"| {result['name']} | {result['utilisation']:.3f} | {result['share_429']:.2%} "
            f"({result['throttled']:,} of {result['answered'] + result['throttled']:,}"
            + (f"; {result['background_429']:,} random on top" if result.get("faults") else "")
            + ") "
            f"| {result['wall']:.1f} s / {result['floor']:.1f} s = {result['wall_ratio']:.2f}x "
            f"| {result['error_median']:.2f} / {result['error_p90']:.2f} / "
            f"{result['error_max']:.2f} s | {result['interval_width_median']:.2f} s "
            f"| {result['requests_per_restore']:.2f} | {result['bottleneck']} |"
        )
    outside = sum(result["outside_interval"] for result in results)
    lines += [
        "",
        f"Restores whose true ONLINE moment fell outside the reported interval: {outside}. "
        "The floor counts every answered request at the limit, so a wall a little under "
        "it is the bucket's one second of burst at the start. A restore's clock starts "
        "at its first POST, so measured - true includes the wait before a retry when "
        "that POST was refused with a 429; the largest error among restores accepted at "
        "their first POST: "
        + ", ".join(
            f"{result['name']} {result['error_max_first_try']:.2f} s "
            f"({result['retried']} restores needed a retry)"
            for result in results
        )
        + ".",
    ]
    return "\n".join(lines) + "\n"


def run_ratelimit(folder: Path, *, restores: int, only: str = "") -> list[dict[str, Any]]:
    results = []
    for name, limit, halved, faults in SCENARIOS:
        if only and only not in name:
            continue
        print(f"rate limit: {restores} restores at {name} ...", file=sys.stderr, flush=True)
        result = run_scenario(folder, name, limit, halved, restores, faults)
        print(
            f"  utilisation {result['utilisation']:.3f}, 429 {result['share_429']:.2%}, "
            f"wall {result['wall']:.1f} s / floor {result['floor']:.1f} s, "
            f"error p50 {result['error_median']:.2f} s p90 {result['error_p90']:.2f} s; "
            f"{result['bottleneck']}",
            file=sys.stderr,
            flush=True,
        )
        results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.ratelimit", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="200 restores instead of 1,000")
    parser.add_argument("--restores", type=int, default=None)
    parser.add_argument("--only", default="", help="run the scenarios whose name contains this")
    args = parser.parse_args(argv)
    restores = args.restores or (200 if args.quick else 1000)
    with tempfile.TemporaryDirectory(prefix="ob-async-ratelimit-") as scratch:
        results = run_ratelimit(Path(scratch), restores=restores, only=args.only)
    words = argv if argv is not None else sys.argv[1:]
    command = " ".join(["python -m benchmarks.ratelimit", *words]).strip()
    return report(render(results, command=command, restores=restores), goals(results))


if __name__ == "__main__":
    sys.exit(main())
