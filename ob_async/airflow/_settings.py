"""An Airflow connection read as the client's settings: endpoint, AccessKey pair, project, options.

Pure: it takes the connection's fields, not Airflow's ``Connection``, so that it is the same
in a worker, in the triggerer and in tests. Every problem names the connection and the field,
never the secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ob_async._client import ObClient
from ob_async._http.config import ClientConfig
from ob_async._http.credentials import Credentials
from ob_async._restore.poll_config import PollConfig
from ob_async._restore.retry import RetryPolicy
from ob_async.airflow._provider_info import CONNECTION_FIELDS, CONNECTION_TYPE
from ob_async.errors import InvalidInputError

_PREFIX = f"extra__{CONNECTION_TYPE}__"

# Which extra key sets which field of which settings record.
_CLIENT_OPTIONS = {
    "allow_insecure_http": ("allow_insecure_http", bool),
    "verify_tls": ("verify_tls", bool),
    "connect_timeout": ("connect_timeout", float),
    "total_timeout": ("total_timeout", float),
    "max_connections": ("max_connections", int),
}
_POLL_OPTIONS = {
    "poll_initial_interval": ("initial_interval", float),
    "poll_max_interval": ("max_interval", float),
}
_RETRY_OPTIONS = {"max_attempts": ("max_attempts", int)}


@attrs.frozen(kw_only=True)
class ConnectionSettings:
    """Everything an :class:`~ob_async.ObClient` is built from; the secret stays in
    ``credentials``, whose repr hides it."""

    conn_id: str
    endpoint: str
    credentials: Credentials
    project_id: str
    config: ClientConfig
    poll: PollConfig
    retry_policy: RetryPolicy

    @classmethod
    def read(
        cls,
        conn_id: str,
        *,
        host: str | None,
        port: int | None,
        login: str | None,
        password: str | None,
        extra: Mapping[str, Any],
    ) -> ConnectionSettings:
        where = f"Airflow connection {conn_id!r}"
        options = _options(extra, where)
        project_id = options.pop("project_id", None)
        if not isinstance(project_id, str) or not project_id.strip():
            raise InvalidInputError("no project: set 'project_id' in its extra", where=where)
        endpoint = _endpoint(host, port, where)
        client_options = _pick(options, _CLIENT_OPTIONS, where)
        poll_options = _pick(options, _POLL_OPTIONS, where)
        retry_options = _pick(options, _RETRY_OPTIONS, where)
        try:
            return cls(
                conn_id=conn_id,
                endpoint=endpoint,
                credentials=Credentials(login or "", access_key_secret=password or ""),
                project_id=project_id.strip(),
                config=ClientConfig(**client_options),
                poll=PollConfig(**poll_options),
                retry_policy=RetryPolicy(**retry_options),
            )
        except InvalidInputError as error:  # the credentials': "where" is theirs
            raise InvalidInputError(error.reason, where=f"{where}: {error.where}") from None
        except (TypeError, ValueError) as error:  # an option's validator
            raise InvalidInputError(f"an option in its extra: {error}", where=where) from None

    def client(self, *, poll: PollConfig | None = None) -> ObClient:
        """A new client (not opened: use it as an async context manager); ``poll``
        overrides the connection's poll settings (a drill plan has its own)."""
        return ObClient(
            self.endpoint,
            self.credentials,
            self.project_id,
            config=self.config,
            poll=poll or self.poll,
            retry_policy=self.retry_policy,
        )


def _options(extra: Mapping[str, Any], where: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for raw_key, value in extra.items():
        key = raw_key.removeprefix(_PREFIX)
        if key not in CONNECTION_FIELDS:
            known = ", ".join(CONNECTION_FIELDS)
            raise InvalidInputError(
                f"unknown key {raw_key!r} in its extra; known: {known}", where=where
            )
        if value is not None and value != "":
            options[key] = value
    return options


def _pick(
    options: Mapping[str, Any], table: Mapping[str, tuple[str, type]], where: str
) -> dict[str, Any]:
    picked: dict[str, Any] = {}
    for key, (field, kind) in table.items():
        if key not in options:
            continue
        picked[field] = _as(kind, options[key], f"{where}: extra {key!r}")
    return picked


def _as(kind: type, value: Any, where: str) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise InvalidInputError(f"expected true or false, got {value!r}", where=where)
    if isinstance(value, bool):
        raise InvalidInputError(f"expected a number, got {value!r}", where=where)
    try:
        return int(value) if kind is int else float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"expected a number, got {value!r}", where=where) from None


def _endpoint(host: str | None, port: int | None, where: str) -> str:
    """The connection's host as a base URL: a bare host name means https, and a port
    given apart is added to it."""
    text = (host or "").strip()
    if not text:
        raise InvalidInputError(
            "no endpoint: set its host, e.g. https://api-cloud.oceanbase.com", where=where
        )
    if "://" not in text:
        text = f"https://{text}"
    if port:
        scheme, _, rest = text.partition("://")
        authority, slash, path = rest.partition("/")
        if ":" in authority.rsplit("]", 1)[-1]:
            raise InvalidInputError("the host already names a port; leave Port empty", where=where)
        text = f"{scheme}://{authority}:{port}{slash}{path}"
    return text
