"""The recovery point a restore achieved, as the two figures a DR plan asks about.

Three moments are measured between: when the restore was **requested**, its
**restore point** (``restore_time``, or for ``latest`` the end of the newest
restorable window when it was submitted) and the **newest change** the restored
data holds (what the plan's RPO query returns). From them:

- the **data-loss exposure** = requested - newest change: what a disaster at the
  moment the restore was requested would have lost, the backup's log-archive lag
  included (the restorable window ends behind the present);
- the **restore-point gap** = restore point - newest change: how complete the
  backup is at the point asked for.

A target applies to one of them (:class:`RpoFigure`): by default the exposure for
``latest`` (the question "what would we lose now?"), the gap for an explicit past
point (the present says nothing about it).

The query's value must say which moment it is: a TIMESTAMP (read in the
session's time zone, UTC), epoch seconds, or ISO-8601 text with an offset carry
their zone; a DATETIME, a DATE or text without an offset do not, and are read in
the zone the plan names (``rpo.time_zone``) or refused. A newest change after the
restore point cannot be in a restored copy: it is an error, never a figure.
"""

from __future__ import annotations

import enum
import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from ob_async.data._expectations import as_number, value_text


class RpoFigure(enum.StrEnum):
    """Which figure an RPO target applies to."""

    DATA_LOSS_EXPOSURE = "data_loss_exposure"
    """Requested - newest change: what a disaster when the restore was asked for would lose."""
    RESTORE_POINT_GAP = "restore_point_gap"
    """Restore point - newest change: how complete the backup is at the point asked for."""

    @classmethod
    def for_restore(cls, *, latest: bool) -> RpoFigure:
        """The default: the exposure for a ``latest`` restore, the gap for a past point."""
        return cls.DATA_LOSS_EXPOSURE if latest else cls.RESTORE_POINT_GAP

    @property
    def label(self) -> str:
        return "data-loss exposure" if self is RpoFigure.DATA_LOSS_EXPOSURE else "restore-point gap"


_OFFSET = re.compile(r"([+-])([01][0-9]|2[0-3]):?([0-5][0-9])")
_UTC_NAMES = frozenset({"z", "utc"})


class TimeZoneError(ValueError):
    """A time zone that is neither an offset nor a known IANA name."""


def parse_time_zone(text: str) -> tzinfo:
    """``+08:00`` (or ``+0800``, ``-05:30``), ``UTC``/``Z``, or an IANA name (``Asia/Shanghai``)."""
    if not isinstance(text, str) or not text.strip():
        raise TimeZoneError(
            'must be an offset such as "+08:00" or an IANA name such as "Asia/Shanghai"'
        )
    name = text.strip()
    if name.lower() in _UTC_NAMES:
        return UTC
    matched = _OFFSET.fullmatch(name)
    if matched is not None:
        sign = -1 if matched.group(1) == "-" else 1
        offset = timedelta(hours=int(matched.group(2)), minutes=int(matched.group(3)))
        return timezone(sign * offset)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeZoneError(
            f'unknown time zone {name!r}; write an offset such as "+08:00" or an IANA '
            'name such as "Asia/Shanghai"'
        ) from None


def check_time_zone(
    instance: object, attribute: attrs.Attribute[str | None], value: str | None
) -> None:
    """attrs validator: None, or a zone :func:`parse_time_zone` reads."""
    if value is not None:
        parse_time_zone(value)


class RpoValueError(ValueError):
    """The RPO query's value is not a moment that can be placed in time; ``as_read`` is
    the value as it came back, when there was one."""

    def __init__(self, message: str, *, as_read: str | None = None) -> None:
        super().__init__(message)
        self.as_read = as_read


@attrs.frozen(kw_only=True)
class NewestChange:
    """What the RPO query found: the moment (aware, UTC) and how it was read."""

    at: datetime
    as_read: str
    """The value as the query returned it."""
    time_zone: str | None = None
    """The plan's zone, when it was applied to a value that carried none."""


def newest_change(
    value: object, *, time_zone: str | None = None, in_session_zone: bool = False
) -> NewestChange:
    """The RPO query's value as a moment; :class:`RpoValueError` if it cannot be placed.

    ``in_session_zone``: the value's column type is TIMESTAMP, which the session reads
    in its own time zone (UTC), so a value without a zone is UTC. ``time_zone``: the
    zone of a value that carries none (a DATETIME written in local time).
    """
    if value is None:
        raise RpoValueError("the RPO query found no change (NULL): is its table empty?")
    as_read = value_text(value)
    try:
        moment = _moment(value)
    except RpoValueError as error:
        raise RpoValueError(str(error), as_read=as_read) from None
    if moment.tzinfo is not None:
        return NewestChange(at=moment.astimezone(UTC), as_read=as_read)
    if in_session_zone:
        return NewestChange(at=moment.replace(tzinfo=UTC), as_read=as_read)
    if time_zone is None:
        raise RpoValueError(
            f"the RPO query returned {as_read}, a time without a time zone (a DATETIME or "
            "DATE column, or text without an offset): say the zone it is written in with "
            'rpo.time_zone = "+08:00" (or an IANA name such as "Asia/Shanghai"; "UTC" if '
            "it is UTC), or query a TIMESTAMP column",
            as_read=as_read,
        )
    zone = parse_time_zone(time_zone)
    return NewestChange(
        at=moment.replace(tzinfo=zone).astimezone(UTC), as_read=as_read, time_zone=time_zone
    )


def _moment(value: object) -> datetime:
    """The value as a datetime, naive when it carries no zone (epoch seconds are UTC)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, str | bytes):
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        try:
            return datetime.fromisoformat(text.strip())
        except ValueError:
            pass
    number = as_number(value)
    if number is not None and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(number), UTC)
        except (OverflowError, OSError, ValueError):
            pass
    raise RpoValueError(
        f"the RPO query returned {str(value)[:60]!r}, which is not a time "
        "(expected a TIMESTAMP, DATETIME, DATE, epoch seconds or ISO-8601 text)"
    )


def after_restore_point_problem(newest: datetime, restore_point: datetime) -> str | None:
    """Why a newest change after the restore point cannot be measured, or None."""
    ahead = (newest - restore_point).total_seconds()
    if ahead <= 0:
        return None
    return (
        f"the newest change found ({newest.isoformat()}) is {ahead:g}s after the restore "
        f"point ({restore_point.isoformat()}), which a restored copy cannot hold: a clock or "
        "time-zone error (is rpo.time_zone the zone the column is written in?), or the "
        "checks are pointed at a live database rather than the restored tenant"
    )
