"""`alpr hotlist import` checks the whole file on this machine before anything is uploaded."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from alpr.cli.main import app


def test_a_malformed_extract_is_refused_before_upload_with_its_line_numbers(tmp_path: Path) -> None:
    # Given an extract with two bad lines (and no stack to upload to: nothing may be uploaded)
    extract = tmp_path / "ncic.txt"
    extract.write_text(
        "ALPR-HOTLIST|1|NCIC|2026-11-28T06:00:00Z\n"
        "FILE|LIC|LIS|NIC|ORI|DOE\n"
        "V|7ABC123|CA|V1|CA0340000|20261101\n"
        "V|7AB*|CA|V2|CA0340000|20261101\n"
        "Z|8XYZ456|CA|V3|CA0340000|20261101\n"
    )
    # When it is imported
    result = CliRunner().invoke(app, ["hotlist", "import", str(extract), "--source", "NCIC", "--port", "1"])
    # Then the command stops with every bad line named
    assert result.exit_code == 1, result.output
    assert "rejected whole" in result.output
    assert "line 4: LIC '7AB*' is not a plate" in result.output
    assert "line 5: FILE 'Z'" in result.output


def test_an_extract_for_another_source_is_refused(tmp_path: Path) -> None:
    extract = tmp_path / "svs.txt"
    extract.write_text("ALPR-HOTLIST|1|NCIC|2026-11-28T06:00:00Z\nFILE|LIC|NIC|ORI|DOE\n")
    result = CliRunner().invoke(app, ["hotlist", "import", str(extract), "--source", "CA-SVS", "--port", "1"])
    assert result.exit_code == 1 and "names source 'NCIC'" in result.output
