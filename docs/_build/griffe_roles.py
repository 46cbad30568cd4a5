"""A griffe extension: the docstrings' Sphinx roles read as code in the API reference.

The package's docstrings name other objects the Sphinx way (``:class:`ObError```,
``:meth:`~ObClient.submit_restore```) because that is how they read in an editor's
hover and in ``help()``. mkdocstrings reads docstrings as Markdown, where a role would
show as written; this turns each into the code span it stands for (the last part of
the name when it starts with ``~``, as Sphinx shows it).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:class|meth|func|attr|mod|data|exc|obj|const):`(~?)([^`]+)`")


def _as_code(match: re.Match[str]) -> str:
    short, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


class SphinxRolesAsCode(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(_as_code, obj.docstring.value)
