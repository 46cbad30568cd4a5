"""The measured recovery point: how much data a restore lost.

RPO = the reference time (the restore point asked for: ``restore_time``, or the
end of the restorable window chosen for ``latest``) minus the newest change the
restored data holds (what the plan's RPO query returns). The query's value may
be a DATETIME (read as UTC; the session's time zone is UTC, so TIMESTAMP
columns are too), a DATE, a number of seconds since the epoch, or ISO-8601
text (UTC unless it carries an offset).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from ob_async.data._expectations import as_number


class RpoValueError(ValueError):
    """The RPO query's value is not a moment."""


def as_moment(value: object) -> datetime:
    """The RPO query's value as an aware UTC datetime."""
    if value is None:
        raise RpoValueError("the RPO query found no change (NULL): is its table empty?")
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    if isinstance(value, str | bytes):
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        try:
            return as_moment(datetime.fromisoformat(text.strip()))
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
        "(expected a DATETIME, TIMESTAMP, DATE, epoch seconds or ISO-8601 text)"
    )


def measured_rpo(reference: datetime, newest: datetime) -> float:
    """Seconds of data lost: the reference time minus the newest change restored."""
    return (reference - newest).total_seconds()
