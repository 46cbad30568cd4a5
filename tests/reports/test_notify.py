"""The webhook notification against local HTTP receivers, one of which fails."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import tenacity

from ob_async.drill._renderers.notify import (
    NotificationFailed,
    build_message,
    check_webhook_url,
    send_notification,
)
from ob_async.errors import InvalidInputError
from tests.reports.fixtures import entry, mixed_report, report_of


class Receiver:
    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses  # answered in turn; the last one from then on
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.puts: list[tuple[str, bytes]] = []  # (path, body) of PUT requests
        self.url = ""


@contextmanager
def receiver(*statuses: int) -> Iterator[Receiver]:
    state = Receiver(list(statuses) or [200])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.bodies.append(json.loads(body))
            state.headers.append(dict(self.headers))
            status = state.statuses.pop(0) if len(state.statuses) > 1 else state.statuses[0]
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok" if status == 200 else b"no")

        def do_PUT(self) -> None:  # a Pushgateway's push
            state.puts.append((self.path, self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}/services/T000/B000/XXXXSECRETPATH"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


NO_WAIT = tenacity.wait_none()


def test_a_failed_run_posts_a_slack_text_with_the_verdict_and_each_failure() -> None:
    with receiver(200) as hook:
        attempts = send_notification(hook.url, build_message(mixed_report()), wait=NO_WAIT)
    assert attempts == 1
    (body,) = hook.bodies
    assert hook.headers[0]["Content-Type"].startswith("application/json")
    first, *failures = body["text"].splitlines()
    assert "*FAILED* drill weekly-dr" in first
    assert "8 restore(s): 2 restored, 1 missed RTO, 5 failed" in first
    assert len(failures) == 6
    assert any("tenant_00003: restore_failed: RESTORE_FAILED" in line for line in failures)
    assert any(
        "tenant_00002: online after 6m58s, over the RTO of 5m00s" in line for line in failures
    )
    assert body["obRestore"]["verdict"] == "FAILED"
    assert body["obRestore"]["summary"]["failed"] == 5  # the missed RTO apart


def test_a_passing_run_is_one_line() -> None:
    message = build_message(report_of([entry(1, "online")]))
    assert message["text"].count("\n") == 0
    assert "*PASSED*" in message["text"]


def test_many_failures_are_cut_short() -> None:
    report = report_of([entry(i, "restore_failed", error="boom") for i in range(1, 31)])
    lines = build_message(report)["text"].splitlines()
    assert len(lines) == 1 + 10 + 1
    assert lines[-1] == "… and 20 more (see the report)"


def test_a_receiver_that_fails_twice_is_retried_until_it_takes_the_message() -> None:
    with receiver(503, 500, 200) as hook:
        attempts = send_notification(hook.url, {"text": "x"}, wait=NO_WAIT)
    assert attempts == 3
    assert len(hook.bodies) == 3


def test_a_receiver_that_always_fails_raises_after_three_attempts_without_its_path() -> None:
    with receiver(500) as hook, pytest.raises(NotificationFailed) as failure:
        send_notification(hook.url, {"text": "x"}, wait=NO_WAIT)
    assert len(hook.bodies) == 3
    assert "HTTP 500" in str(failure.value)
    assert "XXXXSECRETPATH" not in str(failure.value)  # a Slack webhook's path is its secret


def test_a_refusal_is_not_retried() -> None:
    with receiver(404) as hook, pytest.raises(NotificationFailed, match="HTTP 404"):
        send_notification(hook.url, {"text": "x"}, wait=NO_WAIT)
    assert len(hook.bodies) == 1


def test_nothing_listening_is_a_failure_not_a_hang() -> None:
    with receiver(200) as hook:
        url = hook.url
    with pytest.raises(NotificationFailed):
        send_notification(url, {"text": "x"}, wait=NO_WAIT, timeout=2)


@pytest.mark.parametrize("url", ["ftp://host/x", "hooks.slack.com/x", "http://", "file:///etc"])
def test_a_webhook_url_that_is_not_http_is_refused_up_front(url: str) -> None:
    with pytest.raises(InvalidInputError, match="--notify"):
        check_webhook_url(url)
