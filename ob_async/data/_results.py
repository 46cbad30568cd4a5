"""What verifying a tenant's data found: each check's outcome and the measured RPO."""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen(kw_only=True)
class CheckResult:
    name: str
    ok: bool
    expect: str
    value: str | None = None
    """The first column of the first row, as text (None when the check could not run)."""
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "value": self.value,
            "expect": self.expect,
            "error": self.error,
        }


@attrs.frozen(kw_only=True)
class DataVerdict:
    """The data of one restored tenant: checks, RPO against its target, and any run-wide error."""

    checks: tuple[CheckResult, ...] = ()
    rpo_seconds: float | None = None
    rpo_target_seconds: float | None = None
    newest_change: str | None = None
    """What the RPO query found (ISO-8601, UTC)."""
    rpo_error: str | None = None
    endpoint: str | None = None

    @property
    def met_rpo(self) -> bool | None:
        """Whether the measured RPO is within its target: None without a target, False when
        the RPO could not be measured."""
        if self.rpo_target_seconds is None:
            return None
        if self.rpo_error is not None or self.rpo_seconds is None:
            return False
        return self.rpo_seconds <= self.rpo_target_seconds

    @property
    def failed_checks(self) -> tuple[CheckResult, ...]:
        return tuple(check for check in self.checks if not check.ok)

    @property
    def ok(self) -> bool:
        return not self.failed_checks and self.met_rpo is not False and self.rpo_error is None

    def problems(self) -> list[str]:
        """One phrase per failure, naming the check or the RPO."""
        found = [f"check {check.name!r} failed: {check.error}" for check in self.failed_checks]
        if self.rpo_error is not None:
            found.append(f"RPO not measured: {self.rpo_error}")
        elif self.met_rpo is False and self.rpo_seconds is not None:
            found.append(
                f"RPO {self.rpo_seconds:.0f}s over its target of {self.rpo_target_seconds:.0f}s"
            )
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rpoSeconds": self.rpo_seconds,
            "rpoTargetSeconds": self.rpo_target_seconds,
            "metRpo": self.met_rpo,
            "newestChange": self.newest_change,
            "rpoError": self.rpo_error,
            "endpoint": self.endpoint,
            "checks": [check.to_json() for check in self.checks],
        }
