"""``ObCloudHook``: an Airflow connection of type ``oceanbase_cloud`` made into an ObClient.

Host is the endpoint, login the AccessKey ID, password the AccessKey secret, and the extra
holds the project id and the client's options (``_provider_info.CONNECTION_FIELDS``). The
secret is handed to Airflow's secrets masker as soon as it is read, so that a log line that
somehow carries it is masked too; nothing here logs, templates or returns it.
"""

from __future__ import annotations

import copy
from typing import Any

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowFailException
from airflow.sdk.log import mask_secret

from ob_async._client import ObClient
from ob_async.airflow._provider_info import (
    CONNECTION_TYPE,
    DEFAULT_CONNECTION_ID,
    UI_FIELD_BEHAVIOUR,
)
from ob_async.airflow._settings import ConnectionSettings
from ob_async.errors import InvalidInputError


class ObCloudHook(BaseHook):
    """Reads an OceanBase Cloud connection and builds clients from it.

    :param ob_conn_id: the Airflow connection (type ``oceanbase_cloud``)
    """

    conn_name_attr = "ob_conn_id"
    default_conn_name = DEFAULT_CONNECTION_ID
    conn_type = CONNECTION_TYPE
    hook_name = "OceanBase Cloud"

    def __init__(self, ob_conn_id: str = DEFAULT_CONNECTION_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ob_conn_id = ob_conn_id

    def settings(self) -> ConnectionSettings:
        """The connection's settings (in a worker: a blocking read of the connection)."""
        return _settings_of(self.ob_conn_id, self.get_connection(self.ob_conn_id))

    async def asettings(self) -> ConnectionSettings:
        """The connection's settings, read without blocking the event loop (the triggerer)."""
        return _settings_of(self.ob_conn_id, await self.aget_connection(self.ob_conn_id))

    def task_settings(self) -> ConnectionSettings:
        """The settings, for a task: a connection that cannot be read as settings fails the
        task without retries (a retry would read the same connection)."""
        try:
            return self.settings()
        except InvalidInputError as error:
            raise AirflowFailException(str(error)) from None

    def get_conn(self) -> ObClient:
        """A new, unopened client: ``async with hook.get_conn() as client: ...``."""
        return self.settings().client()

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return copy.deepcopy(UI_FIELD_BEHAVIOUR)


def _settings_of(conn_id: str, connection: Any) -> ConnectionSettings:
    if connection.password:
        mask_secret(connection.password)
    return ConnectionSettings.read(
        conn_id,
        host=connection.host,
        port=connection.port,
        login=connection.login,
        password=connection.password,
        extra=connection.extra_dejson,
    )
