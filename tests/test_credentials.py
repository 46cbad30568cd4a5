"""Credentials: where they come from, and that the secret never shows."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ob_async._http.credentials import Credentials
from ob_async.errors import InvalidInputError

SECRET = "s3cr3t-Never-Show-Me"


def test_repr_and_str_hide_the_secret() -> None:
    credentials = Credentials("AK123", access_key_secret=SECRET)
    for text in (repr(credentials), str(credentials), f"{credentials}", f"{credentials!r}"):
        assert SECRET not in text
        assert "AK123" in text
    assert credentials.reveal_secret() == SECRET


def test_from_env() -> None:
    credentials = Credentials.from_env({"OB_ACCESS_KEY_ID": "AK", "OB_ACCESS_KEY_SECRET": SECRET})
    assert credentials.access_key_id == "AK"
    assert credentials.reveal_secret() == SECRET


def test_from_env_names_what_is_missing() -> None:
    with pytest.raises(InvalidInputError, match="OB_ACCESS_KEY_SECRET not set"):
        Credentials.from_env({"OB_ACCESS_KEY_ID": "AK"})


def write(path: Path, text: str, mode: int) -> Path:
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_from_file(tmp_path: Path) -> None:
    file = write(
        tmp_path / "creds",
        f"# drill account\nOB_ACCESS_KEY_ID=AK\nOB_ACCESS_KEY_SECRET='{SECRET}'\n",
        0o600,
    )
    credentials = Credentials.from_file(file)
    assert credentials.access_key_id == "AK"
    assert credentials.reveal_secret() == SECRET


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_file_readable_by_group_or_others_is_refused(tmp_path: Path, mode: int) -> None:
    file = write(tmp_path / "creds", f"OB_ACCESS_KEY_ID=AK\nOB_ACCESS_KEY_SECRET={SECRET}\n", mode)
    with pytest.raises(
        InvalidInputError, match=r"accessible by group or others.*chmod 600"
    ) as caught:
        Credentials.from_file(file)
    assert SECRET not in str(caught.value)


def test_malformed_line_is_named_without_its_content(tmp_path: Path) -> None:
    file = write(tmp_path / "creds", f"OB_ACCESS_KEY_ID=AK\n{SECRET}\n", 0o600)
    with pytest.raises(InvalidInputError, match="line 2: expected KEY=VALUE") as caught:
        Credentials.from_file(file)
    assert SECRET not in str(caught.value)


def test_missing_file_and_missing_keys(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read"):
        Credentials.from_file(tmp_path / "nope")
    file = write(tmp_path / "creds", "OB_ACCESS_KEY_ID=AK\n", 0o600)
    with pytest.raises(InvalidInputError, match="OB_ACCESS_KEY_SECRET missing"):
        Credentials.from_file(file)


def test_empty_values_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="secret is empty"):
        Credentials("AK", access_key_secret="")


@pytest.mark.parametrize(
    "text",
    [
        f'export OB_ACCESS_KEY_ID="AK"\nexport OB_ACCESS_KEY_SECRET="{SECRET}"\n',
        f"export OB_ACCESS_KEY_ID='AK'\n  export\tOB_ACCESS_KEY_SECRET='{SECRET}'\n",
        f"OB_ACCESS_KEY_ID = AK\nOB_ACCESS_KEY_SECRET = {SECRET}\n",
        f"# a comment\n\naccess_key_id=AK\naccess_key_secret={SECRET}\n",
    ],
)
def test_shell_style_files_are_read(tmp_path: Path, text: str) -> None:
    credentials = Credentials.from_file(write(tmp_path / "creds", text, 0o600))
    assert credentials.access_key_id == "AK"
    assert credentials.reveal_secret() == SECRET


def test_a_hash_and_quotes_inside_a_value_are_kept(tmp_path: Path) -> None:
    file = write(tmp_path / "creds", "OB_ACCESS_KEY_ID=AK\nOB_ACCESS_KEY_SECRET=a#b'c\"d\n", 0o600)
    assert Credentials.from_file(file).reveal_secret() == "a#b'c\"d"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            f'OB_ACCESS_KEY_ID=AK\nOB_ACCESS_KEY_SECRET="{SECRET}\n',
            'line 2: the value opens a " quote',
        ),
        (f"OB_ACCESS_KEY_ID=AK\nset OB_ACCESS_KEY_SECRET={SECRET}\n", "line 2: the key before '='"),
    ],
)
def test_malformed_shell_lines_are_named_without_their_content(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message) as caught:
        Credentials.from_file(write(tmp_path / "creds", text, 0o600))
    assert SECRET not in str(caught.value)
    assert "OB_ACCESS_KEY_ID missing" not in str(caught.value)
