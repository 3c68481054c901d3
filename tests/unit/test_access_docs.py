"""docs/access.md's roles table is the code's (ROLE_ACTIONS): one table, shown twice, never two."""

from __future__ import annotations

import re
from pathlib import Path

from alpr.domain.access import ROLE_ACTIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"


def test_the_readme_roles_table_is_the_code_table() -> None:
    text = DOC.read_text()
    table = text[text.index("<!-- roles:start -->") : text.index("<!-- roles:end -->")]
    documented = {
        match[1]: {a.strip() for a in match[2].split(",") if a.strip()}
        for match in re.finditer(r"^\| `([a-z]+)` \| ([^|]*) \|$", table, re.MULTILINE)
    }
    assert documented == {role.value: {a.value for a in actions} for role, actions in ROLE_ACTIONS.items()}
