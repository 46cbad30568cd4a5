"""The envelope reader maps every kind of answer to data or the right error."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from ob_async._wire.envelope import open_envelope, parse_retry_after
from ob_async.errors import (
    ApiError,
    AuthenticationError,
    ClientError,
    ProtocolError,
    ServerError,
    ThrottledError,
)


def body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_success_envelope_carries_data_and_trace_fields() -> None:
    envelope = open_envelope(
        200,
        body(success=True, data={}, requestId="r-1", server="10.0.0.1:80", cost=12, totalCount=3),
        headers={},
        request_id="r-1",
    )
    assert envelope.data == {}
    assert envelope.request_id == "r-1"
    assert envelope.server == "10.0.0.1:80"
    assert envelope.cost == 12.0
    assert envelope.total_count == 3


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, ClientError),
        (404, ClientError),
        (409, ClientError),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (429, ThrottledError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (200, ClientError),
    ],
)
def test_failure_envelope_maps_status_to_error_class(
    status: int, error_type: type[ApiError]
) -> None:
    with pytest.raises(error_type) as caught:
        open_envelope(
            status,
            body(
                success=False, errorCode="E001R000", errorMessage="Unknown Error", requestId="r-9"
            ),
            headers={},
            request_id="r-mine",
        )
    error = caught.value
    assert type(error) is error_type
    assert error.status == status
    assert error.error_code == "E001R000"
    assert error.error_message == "Unknown Error"
    assert error.request_id == "r-9"
    assert "E001R000" in str(error)


def test_throttled_error_carries_retry_after() -> None:
    with pytest.raises(ThrottledError) as caught:
        open_envelope(
            429,
            body(success=False, errorCode="Throttling", errorMessage="slow down"),
            headers={"Retry-After": "3"},
            request_id="r",
        )
    assert caught.value.retry_after == 3.0


def test_gateway_html_page_is_a_protocol_error_with_status_and_title() -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    with pytest.raises(ProtocolError) as caught:
        open_envelope(502, page, headers={"Content-Type": "text/html"}, request_id="r")
    assert caught.value.status == 502
    assert caught.value.is_gateway_failure
    assert "HTML page titled '502 Bad Gateway'" in str(caught.value)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "empty body"),
        (b"   \n", "empty body"),
        (b'{"success": tru', "not JSON"),
        (b"[1, 2]", "not an object"),
        (b'{"data": {}}', "'success' is missing"),
        (b'{"success": "yes"}', "'success' is 'yes'"),
        (b"\xff\xfe garbage", "not JSON"),
    ],
)
def test_non_envelopes_are_protocol_errors(payload: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message) as caught:
        open_envelope(200, payload, headers={}, request_id="r")
    assert not caught.value.is_gateway_failure


def test_success_flag_on_an_error_status_is_not_taken_as_success() -> None:
    with pytest.raises(ProtocolError, match="HTTP 500 with a success envelope"):
        open_envelope(500, body(success=True, data={}), headers={}, request_id="r")


def test_deeply_nested_json_is_a_protocol_error_not_a_crash() -> None:
    with pytest.raises(ProtocolError):
        open_envelope(200, b"[" * 100_000, headers={}, request_id="r")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-1", None),
        ("soon", None),
        (None, None),
        ("nan", None),
    ],
)
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_retry_after_http_date() -> None:
    now = datetime(2026, 1, 13, 5, 58, 34, tzinfo=UTC)
    later = format_datetime(datetime(2026, 1, 13, 5, 58, 44, tzinfo=UTC), usegmt=True)
    assert parse_retry_after(later, now=now.timestamp()) == 10.0
    earlier = format_datetime(datetime(2026, 1, 13, 5, 0, 0, tzinfo=UTC), usegmt=True)
    assert parse_retry_after(earlier, now=now.timestamp()) == 0.0
