"""Every command's --help teaches: plain text, examples, formats and units, exit codes."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

import pytest

from ob_async._cli import build_parser


def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


COMMANDS = sorted(subparsers())


def help_text(command: str | None, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLUMNS", "80")
    parser = build_parser() if command is None else subparsers()[command]
    return parser.format_help()


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_has_examples_and_exit_codes_in_plain_text(
    command: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = help_text(command, monkeypatch)
    assert "\nexamples:\n  # " in text
    examples = text.split("\nexamples:\n", 1)[1].split("\nexit codes:\n", 1)[0]
    assert re.search(r"^  (\S+=\S+ )*ob-restore ", examples, re.MULTILINE)
    codes = text.split("\nexit codes:\n", 1)[1]
    assert re.search(r"^  0 +\S", codes, re.MULTILINE)
    assert re.search(r"^  2 +\S", codes, re.MULTILINE)
    assert "``" not in text  # no reStructuredText
    assert ":class:" not in text


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_fits_80_columns_and_never_cuts_a_url_or_flag(
    command: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = help_text(command, monkeypatch)
    assert [line for line in text.splitlines() if len(line) > 80] == []
    assert not re.search(r"https://api-\s*$", text, re.MULTILINE)
    # A flag or a hyphenated word is never split at its hyphen.
    assert not re.search(r"[a-z]-\n", text)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_says_what_it_does_and_every_value_its_form(command: str) -> None:
    parser = subparsers()[command]
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        assert action.help, f"{command} {action.option_strings} has no help"
        name = action.option_strings[-1].lstrip("-").replace("-", " ")
        assert action.help.strip().lower() != name, f"{command} {name}: help repeats the name"
        takes_value = action.nargs != 0 and not isinstance(
            action, argparse._StoreTrueAction | argparse._CountAction | argparse._HelpAction
        )
        if takes_value and action.choices is None:
            assert action.metavar, f"{command} {action.option_strings} shows no value form"


def test_submit_help_gives_the_formats_and_units(monkeypatch: pytest.MonkeyPatch) -> None:
    text = " ".join(help_text("submit", monkeypatch).split())
    assert "--restore-time TIME the point to restore to: ISO-8601 with a zone" in text
    assert "'latest'" in text
    assert "--memory GB memory per unit in GB" in text
    assert "--cpu CORES" in text
    assert "--timeout DURATION how long the whole command may take (submission," in text
    assert "source_instance_id (instead of --file)" not in text


def test_verbose_flag_explains_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    for command in ("drill", "submit", "windows"):
        text = " ".join(help_text(command, monkeypatch).split())
        assert "-v, --verbose log more on stderr: -v each step (INFO), -vv" in text


def test_help_through_the_real_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ob_async", "drill", "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert result.returncode == 0
    assert "examples:" in result.stdout
    assert "--fail-fast" in result.stdout
    assert "--max-failures N" in result.stdout
