"""Shared test configuration."""

from __future__ import annotations

import inspect
from typing import Any

import aioresponses.core
import pytest
from aiohttp import ClientResponse


class _SentRequest:
    """What aiohttp 3.14 reads from ``stream_writer`` when the request is already sent."""

    output_size = 0


class _CompatClientResponse(ClientResponse):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _SentRequest())
        super().__init__(*args, **kwargs)


_NEEDS_STREAM_WRITER = "stream_writer" in inspect.signature(ClientResponse.__init__).parameters


@pytest.fixture(autouse=True)
def _aioresponses_on_aiohttp_314(monkeypatch: pytest.MonkeyPatch) -> None:
    # aioresponses 0.7.x builds ClientResponse without the `stream_writer` argument that
    # aiohttp 3.14 requires (pnuckowski/aioresponses#289, unreleased fix #288). aiohttp
    # 3.14 is a security release, so we keep it and adapt the mock library instead.
    if _NEEDS_STREAM_WRITER:
        monkeypatch.setattr(aioresponses.core, "ClientResponse", _CompatClientResponse)
