"""The session layer: one aiohttp ``ClientSession``, digest auth, and the envelope.

:class:`Session` is the only place that does I/O. For each call it

1. builds the URL itself, already encoded, so that the request-target the
   digest response is computed over is byte for byte the one aiohttp sends;
2. adds ``X-Ob-Project-Id`` and the ``requestId`` query parameter;
3. waits its turn under the client's adaptive send rate, in the priority of its
   context (:mod:`ob_async._http.throttle`);
4. drives the pure digest engine (:mod:`ob_async._digest`) over the exchange.
   Until the credentials have been accepted, calls go through
   :class:`~ob_async._http.handshake.Handshake`: a cold burst of N calls costs
   one 401, and the burst goes out together once the first challenge is in;
   after that every call authenticates pre-emptively in one round trip (at an
   origin that checks counts strictly, in a lane of its own, waiting for one
   when none is free: :mod:`ob_async._http.lanes`);
5. reads the body under a size limit and maps every failure onto the
   :mod:`ob_async.errors` hierarchy (transport failures say whether the request
   may have reached the server);
6. opens the envelope (:mod:`ob_async._wire.envelope`).

Its settings are a :class:`~ob_async._http.config.ClientConfig`; request ids come
from :mod:`ob_async._http.ids`.

Credentials never leave the configured origin: redirects are not followed, and
the digest engine is bound to the origin too. Nothing here logs a header, and
the AccessKey secret is read only by the digest engine.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Generator, Mapping
from types import TracebackType
from urllib.parse import quote, urlencode

import aiohttp
import attrs
from multidict import CIMultiDictProxy
from yarl import URL

from ob_async._digest import DigestAuth, DigestResponse, FlowEnd
from ob_async._http.config import ClientConfig
from ob_async._http.credentials import Credentials
from ob_async._http.handshake import Handshake, digest_response
from ob_async._http.ids import is_url_safe, new_request_id
from ob_async._http.lanes import MAX_RESTARTS, LaneGate, too_many_restarts
from ob_async._http.priority import current_priority, notify_admitted
from ob_async._http.throttle import AdaptiveRateLimiter
from ob_async._validators import check_header_value
from ob_async._wire.envelope import open_envelope
from ob_async._wire.models import Envelope
from ob_async.errors import (
    AuthenticationError,
    ChallengeError,
    InvalidInputError,
    ProtocolError,
    TransportError,
    TransportTimeout,
)

logger = logging.getLogger("ob_async.session")

_JSON_CONTENT_TYPES = ("application/json", "text/json")
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


@attrs.frozen
class RawResponse:
    """An HTTP answer before the envelope is opened."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes


def parse_endpoint(endpoint: str, *, allow_insecure_http: bool) -> URL:
    """Validate the configured base URL; refuse plain HTTP off loopback unless allowed."""
    try:
        url = URL(endpoint.strip())
    except (ValueError, TypeError) as error:
        raise InvalidInputError(f"not a URL: {error}", where="endpoint") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidInputError(
            f"expected an http(s) URL such as https://api-cloud.oceanbase.com, got {endpoint!r}",
            where="endpoint",
        )
    if url.user or url.password:
        raise InvalidInputError(
            "must not carry credentials; they come from the environment or a file",
            where="endpoint",
        )
    if url.query_string or url.fragment:
        raise InvalidInputError("must not have a query or a fragment", where="endpoint")
    if url.scheme == "http" and not allow_insecure_http and not _is_loopback(url.host):
        raise InvalidInputError(
            f"plain http:// to {url.host} would expose the requests to anyone on the path; "
            "use https://, or allow it explicitly (allow_insecure_http / --insecure-http)",
            where="endpoint",
        )
    return url.with_path(url.path.rstrip("/"))


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Session:
    """Authenticated access to one API endpoint for one project."""

    def __init__(
        self,
        endpoint: str,
        credentials: Credentials,
        project_id: str,
        config: ClientConfig | None = None,
        *,
        limiter: AdaptiveRateLimiter | None = None,
    ) -> None:
        if not project_id or not project_id.strip():
            raise InvalidInputError("is empty; set OB_PROJECT_ID", where="project_id")
        check_header_value(project_id, where="project_id (OB_PROJECT_ID, X-Ob-Project-Id)")
        self.config = config or ClientConfig()
        self.base_url = parse_endpoint(
            endpoint, allow_insecure_http=self.config.allow_insecure_http
        )
        self.origin = str(self.base_url.origin())
        self.project_id = project_id
        self.access_key_id = credentials.access_key_id
        self._base = str(self.base_url)
        self._auth = DigestAuth(
            credentials.access_key_id,
            credentials.reveal_secret(),
            origin=self.origin,
            prefer_auth_int=self.config.prefer_auth_int,
            max_lanes=self.config.max_connections,
        )
        self.limiter = limiter
        self._handshake = Handshake(self._auth)
        self._lanes = LaneGate(self._auth)
        self._http: aiohttp.ClientSession | None = None
        common = {
            "X-Ob-Project-Id": project_id,
            "Accept": "application/json",
            "User-Agent": self.config.user_agent,
        }
        self._get_headers = common
        self._body_headers = {**common, "Content-Type": "application/json"}

    def __repr__(self) -> str:
        return (
            f"Session(endpoint={self._base!r}, project_id={self.project_id!r}, "
            f"access_key_id={self.access_key_id!r})"
        )

    async def __aenter__(self) -> Session:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Create the connection pool (inside the running event loop)."""
        if self._http is not None:
            return
        config = self.config
        connector = aiohttp.TCPConnector(
            limit=config.max_connections,
            limit_per_host=config.max_connections,
            ssl=config.verify_tls,
        )
        self._http = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=config.total_timeout,
                connect=config.connect_timeout,
                sock_read=config.read_timeout,
            ),
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=True,
            raise_for_status=False,
        )
        # aiohttp silently resends a GET or DELETE once when a reused connection drops.
        # The resend repeats the digest answer's (nonce, nc), which the server refuses as
        # a replay (taken for refused credentials when it answered a fresh challenge), and
        # it hides that the first copy may have reached the server. There is no public
        # switch; this attribute is the one aiohttp's own tests use.
        self._http._retry_connection = False

    async def close(self) -> None:
        if self._http is not None:
            http, self._http = self._http, None
            await http.close()

    @property
    def closed(self) -> bool:
        return self._http is None

    # --- the call ---------------------------------------------------------------

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        request_id: str | None = None,
    ) -> Envelope:
        """One API call: the success envelope, or an :class:`~ob_async.errors.ObError`."""
        rid = request_id or new_request_id()
        response = await self.exchange(method, path, params=params, body=body, request_id=rid)
        headers = response.headers
        content_type = headers.get("Content-Type")
        json_labelled = content_type is not None and _is_json_type(content_type)
        if response.status == 401 and self._auth.rejected and not json_labelled:
            raise self._refused(rid)
        if content_type is not None and not json_labelled:
            return self._refuse_content_type(response, content_type, rid)
        return open_envelope(response.status, response.body, headers=headers, request_id=rid)

    async def exchange(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        request_id: str,
    ) -> RawResponse:
        """One authenticated HTTP exchange, envelope unopened; redirects are refused."""
        url = self.url(path, params, request_id)
        debug = logger.isEnabledFor(logging.DEBUG)
        if debug:
            started = time.perf_counter()
            logger.debug("requestId=%s %s %s", request_id, method, path)
        try:
            if self._handshake.warm:
                response = await self._authenticated(method, url, body, request_id)
            else:
                try:
                    cold = await self._handshake.exchange(
                        method,
                        url,
                        b"" if body is None else body,
                        lambda authorization: self._send(
                            method, url, body, authorization, request_id
                        ),
                    )
                finally:
                    self._lanes.flow_ended()
                # None: answered 401 in a context the origin's strictness retired; the
                # request goes again in a lane (the session is warm by then).
                if cold is None:
                    response = await self._authenticated(method, url, body, request_id)
                else:
                    response = cold
        except (AuthenticationError, ChallengeError) as error:
            # Raised by the digest engine, which knows nothing of requestIds.
            if error.request_id is None:
                error.request_id = request_id
            raise
        if debug:
            logger.debug(
                "requestId=%s HTTP %d in %.1f ms (%d bytes)",
                request_id,
                response.status,
                (time.perf_counter() - started) * 1000,
                len(response.body),
            )
        if 300 <= response.status < 400:
            location = response.headers.get("Location", "nowhere")
            raise ProtocolError(
                f"HTTP {response.status} redirect to {location!r} refused: ob-async does not "
                f"follow redirects, so that credentials stay with {self.origin}",
                status=response.status,
                request_id=request_id,
            )
        return response

    def url(self, path: str, params: Mapping[str, str] | None, request_id: str) -> str:
        """The encoded URL of a call; ``requestId`` is always the first query parameter."""
        if not params:
            # What urlencode gives for the one parameter, without building a dict; our
            # own requestIds (UUIDs) need no quoting.
            if is_url_safe(request_id) is None:
                request_id = quote(request_id, safe="")
            return f"{self._base}{path}?requestId={request_id}"
        query = urlencode({"requestId": request_id, **params}, quote_via=quote)
        return f"{self._base}{path}?{query}"

    async def _authenticated(
        self, method: str, url: str, body: bytes | None, request_id: str
    ) -> RawResponse:
        auth, lanes = self._auth, self._lanes
        payload = b"" if body is None else body
        for _ in range(MAX_RESTARTS + 1):
            if not lanes.open():
                await lanes.wait()
            flow = auth.flow(method, url, payload)
            try:
                response = await self._send(method, url, body, next(flow), request_id)
                if response.status != 401:
                    return response
                end = await self._answer_challenges(
                    flow, response, method=method, url=url, body=body, request_id=request_id
                )
                if isinstance(end, RawResponse):
                    return end
            finally:
                # Gives a strict origin's lane back (DigestAuth); what dropping it would do.
                flow.close()
                lanes.flow_ended()
        raise too_many_restarts(self.origin)

    async def _answer_challenges(
        self,
        flow: Generator[str | None, DigestResponse, FlowEnd],
        response: RawResponse,
        *,
        method: str,
        url: str,
        body: bytes | None,
        request_id: str,
    ) -> RawResponse | FlowEnd:
        """Feed responses to the digest flow and send its answers until it is done.

        The answer that ends the exchange is fed too, so that the engine sees which
        credentials were accepted. :attr:`FlowEnd.RESTART` if the request is to go
        again in a new flow.
        """
        while True:
            try:
                authorization = flow.send(digest_response(response))
            except StopIteration as stop:
                # The flow ends at any answer but a 401, or at a final 401 (DigestAuth.flow).
                return FlowEnd.RESTART if stop.value is FlowEnd.RESTART else response
            response = await self._send(method, url, body, authorization, request_id)

    async def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        authorization: str | None,
        request_id: str,
    ) -> RawResponse:
        http = self._http
        if http is None:
            raise RuntimeError("the session is not open; use 'async with ObClient(...)'")
        headers = self._get_headers if body is None else self._body_headers
        if authorization is not None:
            headers = {**headers, "Authorization": authorization}
        limiter = self.limiter
        if limiter is not None:
            if not limiter.admit():
                await limiter.acquire(current_priority())
            notify_admitted()
        try:
            async with http.request(
                method,
                URL(url, encoded=True),
                data=body,
                headers=headers,
                allow_redirects=False,
            ) as response:
                if limiter is not None:
                    limiter.observe(response.status, response.headers)
                payload = await self._read_body(response, request_id)
                return RawResponse(response.status, response.headers, payload)
        except aiohttp.ClientConnectorError as error:
            raise TransportError(
                f"cannot connect to {self.origin}: {error.strerror or error}",
                may_have_reached_server=False,
                request_id=request_id,
            ) from error
        except aiohttp.ConnectionTimeoutError as error:
            raise TransportTimeout(
                f"connecting to {self.origin} timed out after {self.config.connect_timeout:g}s",
                may_have_reached_server=False,
                request_id=request_id,
            ) from error
        except aiohttp.ClientResponseError as error:
            # aiohttp could not parse what came back: the server answered, but badly.
            raise ProtocolError(
                f"malformed HTTP response from {self.origin}: {error.message}",
                request_id=request_id,
                unprocessed=authorization is None,
            ) from error
        except (aiohttp.ServerTimeoutError, TimeoutError) as error:
            raise TransportTimeout(
                f"{method} to {self.origin} failed after the request was sent: "
                "timed out waiting for the response",
                may_have_reached_server=True,
                request_id=request_id,
            ) from error
        except aiohttp.ClientError as error:
            raise TransportError(
                f"{method} to {self.origin} failed after the request was sent: {_describe(error)}",
                may_have_reached_server=True,
                request_id=request_id,
            ) from error

    async def _read_body(self, response: aiohttp.ClientResponse, request_id: str) -> bytes:
        limit = self.config.max_response_bytes
        declared = response.content_length
        if declared is not None and declared > limit:
            raise self._too_large(response.status, f"declares {declared} bytes", request_id)
        # A compressed body's declared length says nothing of what it inflates to (a
        # 50 KB gzip can hold 50 MB): only an identity body may be read in one go.
        if declared is not None and "Content-Encoding" not in response.headers:
            return await response.read()
        received = bytearray()
        async for chunk in response.content.iter_chunked(64 * 1024):
            received += chunk
            if len(received) > limit:
                raise self._too_large(response.status, f"exceeded {limit} bytes", request_id)
        return bytes(received)

    def _refused(self, request_id: str) -> AuthenticationError:
        """The digest engine's refusal of the credentials, for a 401 that is no API envelope
        (no Content-Type, or not JSON).

        A server's own page (Apache's and lighttpd's HTML) says no more than the engine
        knows, and would only make the refusal a protocol error.
        """
        refusal = self._auth.refusal()
        refusal.request_id = request_id
        return refusal

    def _too_large(self, status: int, detail: str, request_id: str) -> ProtocolError:
        return ProtocolError(
            f"HTTP {status} response body {detail}; the limit is "
            f"{self.config.max_response_bytes} bytes (ClientConfig.max_response_bytes)",
            status=status,
            request_id=request_id,
        )

    def _refuse_content_type(
        self, response: RawResponse, content_type: str, request_id: str
    ) -> Envelope:
        # A failure envelope under the wrong label is still the API's refusal and keeps
        # its class (a 429 stays throttling); a success is never taken from a non-JSON type.
        open_envelope(
            response.status, response.body, headers=response.headers, request_id=request_id
        )
        raise ProtocolError(
            f"HTTP {response.status} with Content-Type {content_type!r}; the API sends JSON",
            status=response.status,
            request_id=request_id,
        )


_JSON_TYPE_CACHE: dict[str, bool] = {}


def _is_json_type(content_type: str) -> bool:
    known = _JSON_TYPE_CACHE.get(content_type)
    if known is not None:
        return known
    media_type = content_type.split(";", 1)[0].strip().lower()
    answer = media_type in _JSON_CONTENT_TYPES or media_type.endswith("+json")
    if len(_JSON_TYPE_CACHE) < 64:
        _JSON_TYPE_CACHE[content_type] = answer
    return answer


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
