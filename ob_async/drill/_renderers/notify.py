"""The drill's message to a chat channel: a Slack-compatible webhook POST, retried a few times.

The body is JSON with a ``text`` field (what Slack, Mattermost, Rocket.Chat and
most webhook relays display): one verdict line, then the failures, at most
:data:`FAILURES_LISTED` of them. An ``obRestore`` member carries the same
summary for receivers that read JSON. It is built from the report only, which
holds no credential, tenant password or AccessKey.

Sending never decides the drill's outcome: :func:`send_notification` raises
:class:`NotificationFailed` and the command turns that into a warning.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import tenacity

from ob_async.drill._renderers.source import ReportSource
from ob_async.drill._renderers.words import data_problem, format_seconds
from ob_async.drill._report.convert import to_json
from ob_async.drill._report.entry import ReportEntry
from ob_async.drill._report.outcome import Outcome, outcome_of
from ob_async.errors import InvalidInputError

logger = logging.getLogger("ob_async.drill")

FAILURES_LISTED = 10
ATTEMPTS = 3

_MARKS = {"PASSED": ":white_check_mark:", "DRY RUN": ":memo:", "INTERRUPTED": ":warning:"}


class NotificationFailed(Exception):
    """The webhook did not take the message after every attempt."""


class _Retryable(Exception):
    pass


def check_webhook_url(url: str) -> str:
    """``url`` if it is an http(s) URL with a host; otherwise a clear error, before the drill."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInputError("must be an http:// or https:// URL with a host", where="--notify")
    return url


def redacted(url: str) -> str:
    """The webhook URL as it may be shown: a Slack webhook's path is its secret."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}/…"


def build_message(report: ReportSource) -> dict[str, Any]:
    """The webhook body: ``text`` for people, ``obRestore`` for programs."""
    header = report.header()
    summary = header.summary
    recovery = summary.recovery_seconds
    word = header.verdict.value
    shown = [f"{count} {outcome.value}" for outcome, count in summary.shown_counts()]
    line = (
        f"{_MARKS.get(word, ':x:')} *{word}* drill {header.drill} "
        f"(run {header.run_id}): {summary.items} restore(s): " + ", ".join(shown)
    )
    if recovery.max is not None:
        line += (
            f"; recovery p50 {format_seconds(recovery.p50)}, "
            f"p90 {format_seconds(recovery.p90)}, max {format_seconds(recovery.max)}"
        )
    failures: list[dict[str, Any]] = []
    failed_total = 0
    for entry in report.entries():
        if outcome_of(entry) not in _LISTED:
            continue
        failed_total += 1
        if len(failures) < FAILURES_LISTED:
            failures.append(_failure(entry))
    lines = [line]
    lines.extend(f"• {failure['target']}: {failure['what']}" for failure in failures)
    if failed_total > len(failures):
        lines.append(f"… and {failed_total - len(failures)} more (see the report)")
    return {
        "text": "\n".join(lines),
        "obRestore": {
            "verdict": word,
            "drill": header.drill,
            "runId": header.run_id,
            "startedAt": to_json(header.started_at),
            "finishedAt": to_json(header.finished_at),
            "durationSeconds": header.duration_seconds,
            "interrupted": header.interrupted,
            "summary": to_json(summary),
            "failures": failures,
        },
    }


_LISTED = frozenset({Outcome.FAILED, Outcome.MISSED_RTO})
"""What the message lists: restores that ran and did not pass (never the never-sent)."""


def _failure(entry: ReportEntry) -> dict[str, Any]:
    state = entry.state.value
    if entry.met_rto is False and entry.recovery_seconds is not None:
        what = (
            f"{state} after {format_seconds(entry.recovery_seconds)}, over the RTO of "
            f"{format_seconds(entry.rto_seconds)}"
        )
    else:
        error = entry.error or data_problem(entry)
        what = f"{state}: {(error or 'no further detail')[:300]}"
    return {
        "target": f"{entry.target_instance_id}/{entry.target_tenant_name}",
        "state": state,
        "requestId": entry.request_id if entry.sent else None,
        "what": what,
    }


def send_notification(
    url: str,
    message: Mapping[str, Any],
    *,
    attempts: int = ATTEMPTS,
    timeout: float = 10.0,
    wait: tenacity.wait.wait_base | None = None,
) -> int:
    """POST ``message`` as JSON, retried on network errors, 429 and 5xx; the attempts it took."""
    body = json.dumps(message, ensure_ascii=False).encode()
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(attempts),
        wait=wait if wait is not None else tenacity.wait_exponential(multiplier=0.5, max=4),
        retry=tenacity.retry_if_exception_type(_Retryable),
        reraise=True,
    )
    used = 0
    try:
        for attempt in retrying:
            with attempt:
                used += 1
                _post(url, body, timeout)
    except _Retryable as error:
        raise NotificationFailed(f"{error} (after {used} attempts)") from None
    return used


def _post(url: str, body: bytes, timeout: float) -> None:
    request = urllib.request.Request(  # noqa: S310 - the scheme was checked (check_webhook_url)
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "ob-restore"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as error:
        reason = f"{redacted(url)} answered HTTP {error.code}"
        if error.code == 429 or error.code >= 500:
            raise _Retryable(reason) from None
        raise NotificationFailed(reason) from None
    except (urllib.error.URLError, OSError) as error:
        cause = getattr(error, "reason", error)
        raise _Retryable(f"{redacted(url)}: {cause}") from None
