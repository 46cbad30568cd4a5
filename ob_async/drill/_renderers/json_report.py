"""The JSON report: the header, then every entry, streamed (see docs/reports.md)."""

from __future__ import annotations

import json
from typing import IO

from ob_async.drill._renderers.source import ReportSource
from ob_async.drill._report.convert import to_json


def write_json(report: ReportSource, out: IO[bytes]) -> None:
    """Stream the JSON report: the header, then the items one by one."""
    head = json.dumps(to_json(report.header()), indent=2, ensure_ascii=False)
    out.write(head[: head.rfind("}")].rstrip().encode() + b',\n  "items": [')
    for number, entry in enumerate(report.entries()):
        out.write((",\n    " if number else "\n    ").encode())
        out.write(json.dumps(to_json(entry), ensure_ascii=False).encode())
    out.write(b"\n  ]\n}\n")
