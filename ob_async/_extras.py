"""The extras: which optional dependencies each part of the product needs, and one error for a
missing one.

The core (``pip install ob-async``) is the client alone. The product's parts are extras, so an
application that only awaits a restore installs no MySQL driver, SQL engine, terminal UI or
metrics library. A part whose extra is missing fails at first use with one message naming the
command that installs it, never with a bare ``ModuleNotFoundError`` from deep inside.
"""

from __future__ import annotations

import importlib.util

EXTRAS: dict[str, tuple[str, ...]] = {
    "data": ("asyncmy", "sqlglot"),
    "cli": ("rich", "prometheus_client", "cryptography", "asyncmy", "sqlglot", "mysql_mimic"),
    "simulator": ("mysql_mimic", "sqlglot"),
    "airflow": (
        "airflow",
        "rich",
        "prometheus_client",
        "cryptography",
        "asyncmy",
        "sqlglot",
        "mysql_mimic",
    ),
}
"""Each extra and the import names of what it installs (pyproject.toml's lists, as imported)."""


class MissingExtraError(ImportError):
    """A part of ob-async was used without the extra that installs its dependencies."""

    def __init__(self, extra: str, feature: str, missing: list[str]) -> None:
        super().__init__(
            f"{feature} needs the '{extra}' extra ({', '.join(missing)} not installed): "
            f"pip install 'ob-async[{extra}]'"
        )
        self.extra = extra
        self.missing = missing


def require_extra(extra: str, feature: str) -> None:
    """Raise :class:`MissingExtraError` unless every dependency of ``extra`` can be imported."""
    missing = [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExtraError(extra, feature, missing)
