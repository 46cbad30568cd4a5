"""``ObClient``: the one object an application holds to talk to OceanBase Cloud.

It owns a :class:`~ob_async.session.Session` (one aiohttp connection pool and
the digest state) and offers every API operation of :class:`~ob_async.api.OpenApi`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType

from .api import OpenApi
from .credentials import ENV_CREDENTIALS_FILE, ENV_PROJECT_ID, Credentials
from .errors import InvalidInputError
from .session import ClientConfig, Session

ENV_ENDPOINT = "OB_ENDPOINT"
DEFAULT_ENDPOINT = "https://api-cloud.oceanbase.com"


class ObClient(OpenApi):
    """An async client for one endpoint and project.

    Use it as an async context manager::

        async with ObClient(endpoint, Credentials.from_env(), project_id) as client:
            await client.create_restore_task(instance_id, request)
    """

    def __init__(
        self,
        endpoint: str,
        credentials: Credentials,
        project_id: str,
        *,
        config: ClientConfig | None = None,
    ) -> None:
        super().__init__(Session(endpoint, credentials, project_id, config))

    @classmethod
    def from_env(
        cls,
        *,
        config: ClientConfig | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> ObClient:
        """Build a client from ``OB_ENDPOINT``, ``OB_PROJECT_ID`` and the credentials.

        Credentials come from ``OB_CREDENTIALS_FILE`` when set, otherwise from
        ``OB_ACCESS_KEY_ID``/``OB_ACCESS_KEY_SECRET``.
        """
        env = os.environ if environ is None else environ
        project_id = env.get(ENV_PROJECT_ID, "")
        if not project_id:
            raise InvalidInputError(f"environment variable {ENV_PROJECT_ID} not set")
        credentials_file = env.get(ENV_CREDENTIALS_FILE)
        credentials = (
            Credentials.from_file(credentials_file)
            if credentials_file
            else Credentials.from_env(env)
        )
        return cls(env.get(ENV_ENDPOINT, DEFAULT_ENDPOINT), credentials, project_id, config=config)

    def __repr__(self) -> str:
        return f"ObClient({self.session!r})"

    async def __aenter__(self) -> ObClient:
        await self.session.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.session.close()

    async def close(self) -> None:
        await self.session.close()
