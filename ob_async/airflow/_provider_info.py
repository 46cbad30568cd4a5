"""What Airflow's providers manager reads of ob-async: the ``apache_airflow_provider`` entry point.

This module imports nothing of Airflow nor of the client: the providers manager loads it
while Airflow itself is starting up, for every installed provider, to learn the connection
type and where its hook lives.
"""

from __future__ import annotations

from typing import Any

from ob_async._version import __version__

CONNECTION_TYPE = "oceanbase_cloud"
DEFAULT_CONNECTION_ID = "oceanbase_cloud_default"

_NUMBER = {"type": ["number", "null"]}
_INTEGER = {"type": ["integer", "null"]}
_BOOLEAN = {"type": ["boolean", "null"]}

CONNECTION_FIELDS: dict[str, dict[str, Any]] = {
    "project_id": {
        "label": "Project ID",
        "schema": {"type": ["string", "null"]},
        "description": "sent as X-Ob-Project-Id with every call (required)",
    },
    "allow_insecure_http": {
        "label": "Allow plain http:// off loopback",
        "schema": {**_BOOLEAN, "default": False},
    },
    "verify_tls": {"label": "Verify TLS certificates", "schema": {**_BOOLEAN, "default": True}},
    "connect_timeout": {"label": "Connect timeout (s)", "schema": _NUMBER},
    "total_timeout": {"label": "Timeout of one HTTP exchange (s)", "schema": _NUMBER},
    "max_connections": {"label": "Connections per client, at most", "schema": _INTEGER},
    "max_attempts": {"label": "Attempts per call, at most", "schema": _INTEGER},
    "poll_initial_interval": {
        "label": "First poll after a restore (s)",
        "schema": _NUMBER,
        "description": "later polls back off up to the maximum interval",
    },
    "poll_max_interval": {"label": "Longest poll interval (s)", "schema": _NUMBER},
}
"""The connection's ``extra`` keys (each also accepted as ``extra__oceanbase_cloud__KEY``)."""

UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["schema", "extra"],
    "relabeling": {"host": "Endpoint", "login": "AccessKey ID", "password": "AccessKey secret"},
    "placeholders": {"host": "https://api-cloud.oceanbase.com", "login": "the AccessKey ID"},
}
"""How Airflow's connection form shows the connection's fields."""


def get_provider_info() -> dict[str, Any]:
    """The provider's description, in the shape of Airflow's ``provider_info.schema.json``."""
    return {
        "package-name": "ob-async",
        "name": "OceanBase Cloud (ob-async)",
        "description": "Deferrable restores of OceanBase Cloud tenants and disaster-recovery "
        "drills, on the ob-async asyncio client.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "OceanBase Cloud",
                "external-doc-url": "https://en.oceanbase.com/docs/oceanbase-cloud",
                "tags": ["service"],
            }
        ],
        "operators": [
            {"integration-name": "OceanBase Cloud", "python-modules": ["ob_async.airflow"]}
        ],
        "hooks": [{"integration-name": "OceanBase Cloud", "python-modules": ["ob_async.airflow"]}],
        "triggers": [
            {"integration-name": "OceanBase Cloud", "python-modules": ["ob_async.airflow"]}
        ],
        "connection-types": [
            {
                "hook-class-name": "ob_async.airflow.ObCloudHook",
                "hook-name": "OceanBase Cloud",
                "connection-type": CONNECTION_TYPE,
                "conn-fields": CONNECTION_FIELDS,
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
            }
        ],
    }
