"""docs/compliance.md is checked, not believed: every obligation has a row, and every control and
test a row names exists (issue 21, item 8)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from alpr.domain.access import AccessPolicy
from alpr.domain.public_policy import usage_and_privacy_policy

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "docs" / "compliance.md"
POLICY = ROOT / "docs" / "policy-439-alpr.txt"  # the department's policy as posted, checked in
SHARED = ROOT.parent / "shared"  # the project's shared notes, next to a worktree when present
STATUSES = {"enforced", "partial", "missing", "procedural", "n/a"}
# The statutes ../shared/LAW.md cites (checked against it when it is there).
STATUTES = (
    "1798.90.51(a)",
    "1798.90.51(b)",
    "1798.90.52",
    "1798.90.53(a)",
    "1798.90.53(b)",
    "1798.90.54",
    "1798.90.55(b)",
    "34090.6",
)
# The CJIS Security Policy items this system takes on (LAW.md, "CJIS Security Policy").
CJIS = (
    "MFA",
    "audit logons",
    "audit permission changes",
    "audit log protection",
    "audit review",
    "audit retention",
    "account review",
    "account approval",
    "account removal",
    "lockout",
    "session lock",
    "encryption",
    "training",
    "incident reporting",
)


@dataclass(frozen=True)
class Row:
    obligation: str
    controls: list[str]
    tests: list[str]
    status: str
    note: str


def _names(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


@cache
def rows() -> list[Row]:
    found = []
    for line in TABLE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("| ") or len(cells) != 5 or cells[0] in ("obligation", "---"):
            continue
        status, _, note = cells[4].partition(":")
        found.append(Row(cells[0], _names(cells[2]), _names(cells[3]), status.strip(), note.strip()))
    return found


def policy_sections(text: str) -> list[str]:
    """Every section and subsection of policy 439: '439.4', '439.4(d)', '439.7(a)(2)'."""
    sections: list[str] = []
    section = letter = ""
    for line in text.splitlines():
        if heading := re.match(r"^(439\.\d+(?:\.\d+)?) [A-Z]", line):
            section, letter = heading[1], ""
            sections.append(section)
        elif (sub := re.match(r"^- \(([a-z])\) ", line)) and section:
            letter = f"{section}({sub[1]})"
            sections.append(letter)
        elif (item := re.match(r"^ - (\d)\. ", line)) and letter:
            sections.append(f"{letter}({item[1]})")
    return sections


@cache
def _definitions(path: Path) -> dict[str, set[str]]:
    """Top-level names of a Python file → the names defined in each (methods of a class)."""
    tree = ast.parse(path.read_text())
    names: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names[node.name] = set()
        elif isinstance(node, ast.ClassDef):
            names[node.name] = {
                n.name for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            }
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update({t.id: set() for t in targets if isinstance(t, ast.Name)})
    return names


def control_exists(dotted: str) -> bool:
    """`alpr.domain.access.decide`, `alpr.api.gate.gate`, `infra.audit.Audit`: the module's file
    defines the name (a class's method when one more part follows)."""
    parts = dotted.split(".")
    base = {"alpr": ROOT / "layers" / "alpr", "infra": ROOT}.get(parts[0])
    if base is None:
        return False
    for cut in range(len(parts) - 1, 0, -1):
        path = base.joinpath(*parts[:cut]).with_suffix(".py")
        if path.is_file():
            rest = parts[cut:]
            defined = _definitions(path)
            if len(rest) == 1:
                return rest[0] in defined
            return len(rest) == 2 and rest[1] in defined.get(rest[0], set())
    return False


def test_exists(reference: str) -> bool:
    """`tests/unit/test_x.py::test_name`: the file defines that test (at top level or in a class)."""
    file, _, name = reference.partition("::")
    path = ROOT / file
    if not (file.startswith("tests/") and name.startswith("test_") and path.is_file()):
        return False
    defined = _definitions(path)
    return name in defined or any(name in methods for methods in defined.values())


test_exists.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def test_the_table_parses_into_rows_with_known_statuses() -> None:
    assert len(rows()) > 40
    unknown = [(r.obligation, r.status) for r in rows() if r.status not in STATUSES]
    assert not unknown, f"statuses must be one of {sorted(STATUSES)}: {unknown}"
    assert len({r.obligation for r in rows()}) == len(rows()), "one row per obligation"


def test_every_section_and_subsection_of_policy_439_has_a_row() -> None:
    sections = policy_sections(POLICY.read_text())
    assert {"439.1", "439.3.1(e)", "439.4(f)", "439.6(c)", "439.7(a)(3)", "439.8"} <= set(sections)
    missing = sorted(set(sections) - {r.obligation for r in rows()})
    assert not missing, f"policy 439 sections without a row in docs/compliance.md: {missing}"


def test_the_checked_in_policy_is_the_departments() -> None:
    seed = SHARED / "seeds" / "policy-439-alpr.txt"
    if not seed.is_file():
        pytest.skip("the project's shared seeds are not next to this checkout")
    assert POLICY.read_text() == seed.read_text()


def test_every_statute_and_cjis_item_has_a_row() -> None:
    obligations = [r.obligation for r in rows()]
    missing = [s for s in STATUTES if not any(o.endswith(f"§ {s}") for o in obligations)]
    missing += [c for c in CJIS if f"CJIS {c}" not in obligations]
    assert not missing, f"duties without a row in docs/compliance.md: {missing}"


def test_the_statutes_are_every_one_law_md_cites() -> None:
    law = SHARED / "LAW.md"
    if not law.is_file():
        pytest.skip("the project's shared notes are not next to this checkout")
    text = law.read_text()
    cited = set(re.findall(r"§§? ?(\d+(?:\.\d+)+(?:\([a-z]\))?)", text))
    cited |= {f"1798.90{m}" for m in re.findall(r", (\.\d+\([a-z]\))", text)}  # ".53(a)" after a full one
    cited -= {"1798.90.5"}  # the range "1798.90.5 to 1798.90.55", not a duty
    assert cited - {"1798.90.55"} <= set(STATUTES), sorted(cited - set(STATUTES))


def test_every_control_named_exists() -> None:
    named = [(r.obligation, c) for r in rows() for c in r.controls]
    assert len(named) > 40
    missing = [(o, c) for o, c in named if not control_exists(c)]
    assert not missing, f"controls named in docs/compliance.md that do not exist: {missing}"


def test_every_test_named_exists() -> None:
    named = [(r.obligation, t) for r in rows() for t in r.tests]
    assert len(named) > 60
    missing = [(o, t) for o, t in named if not test_exists(t)]
    assert not missing, f"tests named in docs/compliance.md that do not exist: {missing}"


def test_the_checks_fail_on_names_that_do_not_exist() -> None:
    assert control_exists("alpr.domain.access.decide")
    assert control_exists("infra.audit.Audit")
    assert control_exists("alpr.local.stack.TtlSweeper.sweep")
    assert not control_exists("alpr.domain.access.no_such_function")
    assert not control_exists("alpr.domain.no_such_module.decide")
    assert test_exists("tests/unit/test_compliance.py::test_every_test_named_exists")
    assert not test_exists("tests/unit/test_compliance.py::test_no_such_test")


def test_enforced_and_partial_rows_name_a_control_and_a_test() -> None:
    bare = [
        r.obligation for r in rows() if r.status in ("enforced", "partial") and not (r.controls and r.tests)
    ]
    assert not bare
    unexplained = [r.obligation for r in rows() if r.status in ("partial", "missing") and not r.note]
    assert not unexplained, f"partial or missing rows must say what is missing: {unexplained}"


def _status(obligation: str) -> str:
    return next(r.status for r in rows() if r.obligation == obligation)


def test_the_posted_policy_and_the_readme_claim_no_more_than_the_table() -> None:
    # While alert notifications leave without an access record, "every access is recorded" must
    # name that exception wherever it is claimed.
    posted = usage_and_privacy_policy(
        retention_days=365, access=AccessPolicy(), refused_hotlist_categories=()
    )
    policy = " ".join(section.text for section in posted.sections)
    readme = (ROOT / "README.md").read_text()
    if _status("439.6(a)") != "enforced":
        assert "alert notification" in policy
        assert "alert notification" in readme
    if _status("CJIS audit review") != "enforced":
        assert "weekly review is recorded" not in readme


def test_the_readme_lists_every_named_query_one_line_each() -> None:
    from alpr.domain.audit import CLOUDTRAIL_QUERIES, NAMED_QUERIES

    text = (ROOT / "README.md").read_text()
    block = text[text.index("<!-- queries:start -->") : text.index("<!-- queries:end -->")]
    listed = re.findall(r"^- `([a-z-]+)`", block, re.MULTILINE)
    assert listed == [q.name for q in (*NAMED_QUERIES, *CLOUDTRAIL_QUERIES)]
