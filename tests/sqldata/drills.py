"""Running a data drill in-process against the simulator, for the tests."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ob_async._client import ObClient
from ob_async._restore.poll_config import PollConfig
from ob_async.drill._plan import load_plan
from ob_async.drill._runner import DrillOptions, DrillRunner
from ob_async.simulator import Simulator

PASSWORD_ENV = "OB_TENANT_PASSWORD"

LOGIN = f"""
[tenant_login]
user = "dr_reader"
password_env = "{PASSWORD_ENV}"
database = "app"
"""


def plan_text(
    body: str,
    *,
    restores: tuple[str, ...] = ("tsh001",),
    restore_time: str = "latest",
    drill: str = "",
    login: str = LOGIN,
) -> str:
    text = textwrap.dedent(
        f"""
        [drill]
        name = "data"
        poll_initial = "0.1s"
        poll_max = "0.3s"
        {drill}

        [defaults]
        target_instance_id = "ob-dr-east"
        target_tenant_primary_zone = "cn-shanghai-e"
        target_tenant_name = "{{source_tenant_id}}_data"
        restore_time = "{restore_time}"
        cpu = 1
        memory = 2
        unit_num = 1
        """
    )
    text += textwrap.dedent(login) + textwrap.dedent(body)
    for tenant in restores:
        text += f'\n[[restore]]\nsource_instance_id = "ob-prod-sh"\nsource_tenant_id = "{tenant}"\n'
    return text


async def run_data_drill(
    tmp_path: Path,
    text: str,
    *,
    environ: Mapping[str, str] | None = None,
    cleanup: bool | None = None,
    resume: bool = False,
    **simulator_options: Any,
) -> tuple[dict[str, Any], Simulator]:
    """Load the plan, run it against a fresh simulator; the report as JSON and the simulator."""
    path = tmp_path / "plan.toml"
    path.write_text(text)
    env = {PASSWORD_ENV: "Tenant-Pass-51c2e8"} if environ is None else environ
    plan = load_plan(path, environ=env, simulated=True)
    login = plan.data.login if plan.data else None
    options: dict[str, Any] = {"restore_seconds": 0.2, "seed": 3, **simulator_options}
    if login is not None:
        options.setdefault("tenant_password", login.reveal_password())
    async with Simulator(**options) as sim:
        async with ObClient(
            sim.url, sim.credentials, "p1", poll=PollConfig(initial_interval=0.1, max_interval=0.3)
        ) as client:
            runner = DrillRunner(
                client,
                plan,
                DrillOptions(
                    journal_path=tmp_path / "journal.jsonl", cleanup=cleanup, resume=resume
                ),
            )
            report = await runner.run()
            try:
                return report.to_json(), sim
            finally:
                report.close()
