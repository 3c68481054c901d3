"""The OpenAPI document in docs/ is the code's, and its ids are typed once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from alpr.api.params import ULID_PATTERN

PINNED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_pinned_document_is_the_codes() -> None:
    # Built in a process of its own, as `make openapi` builds it (see alpr.api.openapi)
    made = subprocess.run(
        [sys.executable, "-m", "alpr.api.openapi"], capture_output=True, text=True, check=True, timeout=120
    )
    assert made.stdout == PINNED.read_text(), (
        "the API changed: run `make openapi` and commit docs/openapi.json"
    )


def test_every_id_path_parameter_is_a_ulid_except_hotlist_entries() -> None:
    paths = json.loads(PINNED.read_text())["paths"]
    ids = [
        (path, parameter)
        for path, item in paths.items()
        for operation in item.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and parameter["name"].endswith("_id")
    ]
    assert ids
    for path, parameter in ids:
        if parameter["name"] == "entry_id":  # an NCIC entry's id is its NIC, not ours
            continue
        assert parameter["schema"]["pattern"] == ULID_PATTERN, path
