"""The data part of a drill report: measured RPO and checks, per item and in the summary.

An entry that had data to verify carries its verdict (``DataVerdict.to_json``);
here it becomes the entry's JSON fields (``rpoSeconds``, ``metRpo``, ``checks``
...), its JUnit properties, the words of its failure, and the summary's lines:
RPO percentiles, checks passed and failed, and one line per tenant for the
first :data:`TENANT_LINES_KEPT` tenants.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ob_async._stats import nearest_rank

TENANT_LINES_KEPT = 20


def data_fields(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """An entry's data fields (present only on items that had something to verify)."""
    if data is None:
        return {}
    return {
        "rpoSeconds": data.get("rpoSeconds"),
        "rpoTargetSeconds": data.get("rpoTargetSeconds"),
        "metRpo": data.get("metRpo"),
        "newestChange": data.get("newestChange"),
        "rpoError": data.get("rpoError"),
        "dataOk": data.get("ok"),
        "checks": list(data.get("checks", ())),
    }


def _failed_checks(item: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [check for check in item.get("checks") or () if not check.get("ok")]


def data_failure_text(item: Mapping[str, Any]) -> str | None:
    """Why an entry's data failed, naming each failed check and the missed RPO; None if not."""
    if item.get("dataOk") is not False:
        return None
    parts = [
        f"check {check.get('name')!r} failed: {check.get('error')}"
        for check in _failed_checks(item)
    ]
    if item.get("rpoError"):
        parts.append(f"RPO not measured: {item['rpoError']}")
    elif item.get("metRpo") is False:
        parts.append(
            f"RPO {item['rpoSeconds']:.0f}s over its target of {item['rpoTargetSeconds']:.0f}s"
        )
    return "; ".join(parts) or "data verification failed"


def junit_properties(item: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The data of one entry as JUnit ``<property>`` pairs."""
    if "dataOk" not in item:
        return []
    found = [
        (name, "" if item.get(key) is None else str(item.get(key)))
        for name, key in (
            ("rpoSeconds", "rpoSeconds"),
            ("rpoTargetSeconds", "rpoTargetSeconds"),
            ("metRpo", "metRpo"),
            ("newestChange", "newestChange"),
        )
    ]
    for check in item.get("checks") or ():
        verdict = "ok" if check.get("ok") else f"FAILED: {check.get('error')}"
        found.append(
            (
                f"check {check.get('name')}",
                f"{verdict} (value {check.get('value')}, expect {check.get('expect')})",
            )
        )
    return found


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


@attrs.define
class DataTally:
    """What the summary says about the data: RPOs, checks, a line per tenant (the first ones)."""

    rpo: list[float] = attrs.field(factory=list)
    rpo_misses: int = 0
    checks_passed: int = 0
    checks_failed: int = 0
    verified: int = 0
    tenant_lines: list[str] = attrs.field(factory=list)

    def add(self, key: str, item: Mapping[str, Any]) -> None:
        if "dataOk" not in item:
            return
        self.verified += 1
        checks = item.get("checks") or []
        failed = len(_failed_checks(item))
        self.checks_failed += failed
        self.checks_passed += len(checks) - failed
        rpo = item.get("rpoSeconds")
        if rpo is not None:
            self.rpo.append(float(rpo))
        if item.get("metRpo") is False:
            self.rpo_misses += 1
        if len(self.tenant_lines) < TENANT_LINES_KEPT:
            target = item.get("rpoTargetSeconds")
            rpo_text = (
                f"RPO {_seconds(rpo)}" + (f" (target {target:.0f}s)" if target is not None else "")
                if rpo is not None
                else ("RPO not measured" if item.get("rpoError") else "no RPO query")
            )
            verdict = "ok" if item.get("dataOk") else "FAILED"
            self.tenant_lines.append(
                f"    {key}: {rpo_text}; checks {len(checks) - failed}/{len(checks)} passed; "
                f"{verdict}"
            )

    def percentiles(self) -> dict[str, float | None]:
        values = sorted(self.rpo)
        return {
            "p50": nearest_rank(values, 0.50),
            "p90": nearest_rank(values, 0.90),
            "max": values[-1] if values else None,
        }

    def summary_json(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "checksPassed": self.checks_passed,
            "checksFailed": self.checks_failed,
            "rpoMissed": self.rpo_misses,
            "rpoSeconds": self.percentiles(),
        }

    def summary_lines(self) -> list[str]:
        if not self.verified:
            return []
        lines = [
            f"  data: {self.verified} tenant(s) checked; checks {self.checks_passed} passed, "
            f"{self.checks_failed} failed"
        ]
        if self.rpo:
            lines.append(
                "  recovery point (RPO): "
                + ", ".join(
                    f"{name} {_seconds(value)}" for name, value in self.percentiles().items()
                )
                + (f"; target missed by {self.rpo_misses}" if self.rpo_misses else "")
            )
        lines.extend(self.tenant_lines)
        if self.verified > len(self.tenant_lines):
            lines.append(
                f"    ... and {self.verified - len(self.tenant_lines)} more (see the JSON report)"
            )
        return lines
