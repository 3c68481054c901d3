"""The shared API options: every command that calls the API has them, and keeps its own."""

from __future__ import annotations

from typing import Annotated

import typer
from typer.testing import CliRunner

from alpr.cli.main import app
from alpr.cli.options import uses_api
from alpr.client.http import AlprClient

runner = CliRunner()


def test_a_command_keeps_its_own_options_and_gains_the_shared_ones() -> None:
    result = runner.invoke(app, ["search", "canvass", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in ("--lat", "--from", "--to", "--api", "--token", "--purpose", "--case", "--reason"):
        assert option in result.output
    assert "ISO 8601 UTC" in result.output and "ALPR_API" in result.output


def test_the_client_is_built_from_the_options_and_the_environment() -> None:
    seen: list[AlprClient] = []
    probe = typer.Typer()

    @probe.command()
    @uses_api(purpose=True)
    def show(client: AlprClient, plate: str, near: Annotated[bool, typer.Option("--near")] = False) -> None:
        seen.append(client)
        print(plate, near)

    result = runner.invoke(
        probe,
        ["7ABC123", "--near", "--purpose", "homicide", "--case", "26-004512", "--reason", "the red van seen"],
        env={"ALPR_API": "http://api.example", "ALPR_TOKEN": "secret"},
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "7ABC123 True"
    (client,) = seen
    assert client.base_url == "http://api.example" and client.token == "secret"
    assert client.purpose is not None and client.purpose.case_number == "26-004512"


def test_without_a_purpose_off_a_terminal_a_data_command_stops() -> None:
    result = runner.invoke(app, ["search", "read", "01JD0000000000000000000000"])
    assert result.exit_code != 0
    assert "every search states a purpose" in result.output
