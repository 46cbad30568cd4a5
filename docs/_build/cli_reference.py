"""Writes the command-line reference (reference/cli.md) from ``ob-restore``'s own parser.

Run by the mkdocs-gen-files plugin on every build, so the reference is the parser:
an option added to a command appears here without anyone writing it down.
"""

from __future__ import annotations

import argparse
import os

import mkdocs_gen_files

from ob_async._cli import build_parser

PAGE = "reference/cli.md"


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _section(name: str, parser: argparse.ArgumentParser) -> str:
    # The help text is the reference: the same words, formats, examples and exit codes
    # `ob-restore COMMAND --help` prints, at a fixed width so the page does not depend on
    # the terminal that built it.
    return f"## `{name}`\n\n```text\n{parser.format_help().rstrip()}\n```\n"


def render() -> str:
    os.environ["COLUMNS"] = "80"  # the width every command's help is tested to fit
    parser = build_parser()
    commands = _subcommands(parser)
    lines = [
        "# Command line",
        "",
        "Every command of `ob-restore`, as its `--help` shows it. This page is generated",
        "from the argument parser on every build of this site, so it cannot drift from it.",
        "",
        "Commands: " + ", ".join(f"[`{name}`](#ob-restore-{name})" for name in commands) + ".",
        "",
        _section("ob-restore", parser),
        *(_section(f"ob-restore {name}", sub) for name, sub in commands.items()),
    ]
    return "\n".join(lines)


with mkdocs_gen_files.open(PAGE, "w") as page:
    page.write(render())
