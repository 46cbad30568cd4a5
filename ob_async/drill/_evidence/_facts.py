"""The facts of a run that an auditor asks for first: what ran, where, by whom, when."""

from __future__ import annotations

import getpass
import socket
from datetime import datetime
from urllib.parse import urlsplit

import attrs


@attrs.frozen(kw_only=True)
class Person:
    """Who did something, as the operating system names them."""

    user: str
    host: str

    @classmethod
    def current(cls) -> Person:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no name for this uid (a container, say)
            user = "unknown"
        return cls(user=user, host=socket.gethostname())


@attrs.frozen(kw_only=True)
class TargetPair:
    """Where one restore read from and wrote to: segregated when the instances differ."""

    item: str
    source_instance: str
    target_instance: str

    @property
    def segregated(self) -> bool:
        return self.source_instance != self.target_instance


@attrs.frozen(kw_only=True)
class RunFacts:
    """The facts of one drill run, as a bundle records them (facts.json)."""

    run_id: str
    drill: str
    tool_version: str
    endpoint_origin: str | None
    """Scheme, host and port of the API endpoint; never a path, query or user name."""
    project_id: str | None
    started_at: datetime | None
    ended_at: datetime | None
    ran_by: Person | None
    restores: tuple[TargetPair, ...] = ()

    @property
    def target_instances(self) -> list[str]:
        return sorted({pair.target_instance for pair in self.restores})


def origin_of(endpoint: str) -> str:
    """``https://host:port`` of an endpoint URL, without anything that could carry a secret."""
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"
