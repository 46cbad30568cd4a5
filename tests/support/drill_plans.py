"""Drill plans of the simulator's default world, and the credentials the drill tests use."""

from __future__ import annotations

import textwrap
from pathlib import Path

ACCESS_KEY_ID = "drill-test-ak"
SECRET = "Drill-Test-Secret-7f3a9c"  # recognisable: tests assert it never leaks
PROJECT = "project-e2e"


def write_plan(
    path: Path,
    restores: int,
    *,
    drill: str = "",
    defaults: str = "",
    source: str = "ob-prod-sh",
    restore_time: str = "latest",
) -> Path:
    """A plan of ``restores`` restores of the simulator's default world into ob-dr-east."""
    tenants = [f"tsh{n:03d}" for n in range(1, 13)]
    body = textwrap.dedent(
        f"""
        [drill]
        name = "e2e"
        poll_initial = "0.2s"
        poll_max = "0.5s"
        {drill}

        [defaults]
        target_instance_id = "ob-dr-east"
        target_tenant_primary_zone = "cn-shanghai-e"
        target_tenant_name = "e2e_{{index}}_{{source_tenant_id}}"
        restore_time = "{restore_time}"
        cpu = 1
        memory = 2
        unit_num = 1
        {defaults}
        """
    )
    for index in range(restores):
        body += (
            f'\n[[restore]]\nsource_instance_id = "{source}"\n'
            f'source_tenant_id = "{tenants[index % len(tenants)]}"\n'
        )
    path.write_text(body)
    return path
