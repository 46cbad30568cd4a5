"""The project's API contract (contract/openapi.yaml), for the tests that hold code to it.

- :func:`contract` is the document as written: what the real API is known to send;
- :func:`simulator_contract` is the same with every documented response field
  required and no other field allowed: what the simulator must send (every
  documented field present, nothing else);
- :class:`ContractCheck` is an aiohttp middleware that records every answer a
  simulator sends, validated against :func:`simulator_contract` with openapi-core
  when the test is over; the violations fail the test that caused them
  (tests/conftest.py).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml
from aiohttp import web
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "contract" / "openapi.yaml"

_REQUEST_SCHEMAS = frozenset({"RestoreRequest", "RestoreTenantResource"})
_NOT_API = "/_simulator/"


@functools.cache
def _loaded() -> str:
    return CONTRACT_PATH.read_text(encoding="utf-8")


def contract() -> dict[str, Any]:
    """A fresh copy of the contract, as written."""
    document: dict[str, Any] = yaml.safe_load(_loaded())
    return document


def schema(name: str) -> dict[str, Any]:
    """A component schema of the contract."""
    found: dict[str, Any] = contract()["components"]["schemas"][name]
    return found


def simulator_contract() -> dict[str, Any]:
    """The contract with every documented response field required, and no other allowed."""
    document = contract()
    for name, component in document["components"]["schemas"].items():
        if name.endswith("Envelope") or name in _REQUEST_SCHEMAS or "properties" not in component:
            continue
        component["required"] = sorted(component["properties"])
        component["additionalProperties"] = False
    # The simulator listens on a loopback port, not on the published hosts.
    document["servers"] = [{"url": "/"}]
    return document


@functools.cache
def _simulator_openapi() -> OpenAPI:
    return OpenAPI.from_dict(simulator_contract())


@functools.cache
def _failure_validator() -> OAS31Validator:
    document = simulator_contract()
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource("urn:contract", resource)
    return OAS31Validator(
        {"$ref": "urn:contract#/components/schemas/FailureEnvelope"}, registry=registry
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@attrs.frozen
class _Answer:
    """An answer as openapi-core reads one (its response protocol)."""

    data: bytes
    status_code: int
    content_type: str
    headers: Mapping[str, str]


@attrs.frozen
class _Question:
    """A request as openapi-core reads one (its request protocol), kept past its answer."""

    host_url: str
    path: str
    method: str
    parameters: RequestParameters
    content_type: str
    body: bytes | None = None


@attrs.frozen
class _Exchange:
    """One answer to validate, and what it answered."""

    label: str
    question: _Question
    answer: _Answer
    known_route: bool


class ContractCheck:
    """Validates what one simulator answers; ``violations`` lists every mismatch.

    The middleware only records each answer: they are validated when ``violations`` is
    read (after the test), so that the check costs the test no time on the server's
    event loop, where timing-sensitive tests would feel it. The entries of a list answer
    (``dataList[]``, or a ``data`` array) already validated, to the byte, are not
    validated again: an array is valid when each of its entries is, and a poll lists the
    same tenants over and over (each tenant costs openapi-core about 1.5 ms).
    """

    def __init__(self, *, faults: bool) -> None:
        self.faults = faults
        self._pending: list[_Exchange] = []
        self._checked = 0
        self._violations: list[str] = []
        self._valid_entries: set[str] = set()

    @property
    def checked(self) -> int:
        """How many answers were validated."""
        self._validate_pending()
        return self._checked

    @property
    def violations(self) -> list[str]:
        """Every answer outside the contract, with what is wrong with it."""
        self._validate_pending()
        return self._violations

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        try:
            self._record(request, response)
        except Exception as error:  # a broken check must fail the test, not the answer
            self._violations.append(
                f"{request.method} {request.path_qs} -> check failed: {error!r}"
            )
        return response

    def _record(self, request: web.Request, response: web.StreamResponse) -> None:
        label = f"{request.method} {request.path_qs}"
        if request.path.startswith(_NOT_API):
            return  # the simulator's own pages, not the API
        transport = request.transport
        if transport is None or transport.is_closing():
            return  # a reset fault: nothing reaches the client
        if not isinstance(response, web.Response):
            self._violations.append(f"{label} -> HTTP {response.status}: a streamed answer")
            return
        if response.status == 502 and response.content_type == "text/html":
            return  # the simulated gateway's page: a fault, not an API answer
        body = response.body if isinstance(response.body, bytes) else b""
        if self.faults and not _is_json(body):
            return  # a truncated-body fault
        question = _Question(
            host_url=f"{request.url.scheme}://{request.url.host}",
            path=request.path,
            method=request.method.lower(),
            parameters=RequestParameters(
                query=request.query.copy(), header=request.headers.copy(), cookie={}
            ),
            content_type=request.content_type,
        )
        answer = _Answer(body, response.status, response.content_type, response.headers.copy())
        known = request.match_info.route.name is not None and not request.match_info.http_exception
        self._pending.append(_Exchange(label, question, answer, known))

    def _validate_pending(self) -> None:
        pending, self._pending = self._pending, []
        for exchange in pending:
            self._checked += 1
            try:
                problem = self._problem(exchange)
            except Exception as error:  # a broken check must fail the test
                problem = f"the contract check failed: {error!r}"
            if problem is not None:
                self._violations.append(f"{exchange.label} -> {problem}")

    def _problem(self, exchange: _Exchange) -> str | None:
        answer = exchange.answer
        if not exchange.known_route:
            return _failure_problem(answer.status_code, answer.data)
        document = json.loads(answer.data) if _is_json(answer.data) else None
        entries = _entries(document)
        new = [entry for entry in entries if _canonical(entry) not in self._valid_entries]
        if entries and len(new) < len(entries):
            _replace_entries(document, new)
            answer = attrs.evolve(answer, data=json.dumps(document).encode())
        try:
            _simulator_openapi().validate_response(exchange.question, answer)
        except Exception as error:  # every kind of mismatch is reported the same way
            return f"HTTP {answer.status_code}: {_describe(error)}"
        self._valid_entries.update(_canonical(entry) for entry in new)
        return None


def _entries(document: Any) -> list[Any]:
    """The entries of a list answer's data, or none."""
    data = document.get("data") if isinstance(document, dict) else None
    if isinstance(data, dict) and isinstance(data.get("dataList"), list):
        entries: list[Any] = data["dataList"]
        return entries
    return data if isinstance(data, list) else []


def _replace_entries(document: dict[str, Any], entries: list[Any]) -> None:
    if isinstance(document["data"], list):
        document["data"] = entries
    else:
        document["data"]["dataList"] = entries


def _canonical(entry: Any) -> str:
    return json.dumps(entry, sort_keys=True)


def _failure_problem(status: int, body: bytes) -> str | None:
    """An unknown route must still answer a failure envelope."""
    try:
        document = json.loads(body)
    except ValueError:
        return f"HTTP {status}: not JSON: {body[:120]!r}"
    errors = sorted(_failure_validator().iter_errors(document), key=str)
    if errors:
        return f"HTTP {status}: not a failure envelope: {errors[0].message}"
    return None


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def _describe(error: BaseException) -> str:
    cause = error.__cause__
    schema_errors = getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None)
    if not schema_errors:
        return f"{type(error).__name__}: {str(error)[:300]}"
    return "; ".join(
        f"at {'/'.join(str(part) for part in inner.absolute_path) or 'the body'}: "
        f"{inner.message[:200]}"
        for inner in schema_errors
    )


def resolved(name: str, *, max_items: int = 3) -> dict[str, Any]:
    """Schema ``name`` with every reference resolved, for generating documents from it
    (hypothesis-jsonschema): extensions and prose left out, arrays of at most
    ``max_items`` to keep examples small."""
    components = contract()["components"]["schemas"]

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            target = walk(components[node["$ref"].rsplit("/", 1)[1]])
            return {**target, **walk({k: v for k, v in node.items() if k != "$ref"})}
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key.startswith("x-") or key in ("description", "summary"):
                continue
            if key == "properties":  # a map of names: every name is kept
                out[key] = {name: walk(inner) for name, inner in value.items()}
            else:
                out[key] = walk(value)
        if out.get("type") == "array":
            out.setdefault("maxItems", max_items)
        return out

    result: dict[str, Any] = walk(components[name])
    return result
