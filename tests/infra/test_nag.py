"""cdk-nag (AwsSolutions) passes, and every acknowledgment is explained."""

from __future__ import annotations

import re
from pathlib import Path

from aws_cdk import App, Stack, Validations
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

from tests.infra.conftest import Synth

DOCS = Path(__file__).resolve().parents[2] / "docs" / "infra.md"


def _acknowledgments(root: IConstruct) -> dict[str, dict[str, str]]:
    """Construct path -> {rule id: reason} for every acknowledgment in the tree."""
    found: dict[str, dict[str, str]] = {}
    for construct in root.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY and entry.data:
                rules = {re.sub(r"^annotation::", "", k, flags=re.I): v for k, v in dict(entry.data).items()}
                found.setdefault(construct.node.path, {}).update(rules)
    return found


def test_stack_has_no_unacknowledged_aws_solutions_findings(synth: Synth) -> None:
    # Given the synthesized app (whose synth already ran the plugin) / When nag checks it again directly
    report = AwsSolutionsChecks().validate_scope(synth.app)
    # Then nothing is left
    findings = [(v.rule_name, [r.construct_path for r in v.violating_resources]) for v in report.violations]
    assert report.success, findings


def test_the_check_is_live_it_flags_an_unprotected_bucket() -> None:
    # Given a bucket with none of our protections
    app = App()
    stack = Stack(app, "Probe")
    s3.Bucket(stack, "Bare")
    # When nag checks it / Then it reports the missing SSL policy and access logs
    rules = {v.rule_name for v in AwsSolutionsChecks().validate_scope(app).violations}
    assert {"AwsSolutions-S1", "AwsSolutions-S10"} <= rules


def test_every_acknowledgment_has_a_reason(synth: Synth) -> None:
    acknowledgments = _acknowledgments(synth.stack)
    assert acknowledgments, "expected the documented acknowledgments"
    for path, rules in acknowledgments.items():
        for rule, reason in rules.items():
            assert len(reason.split()) >= 8, f"{path}: {rule} needs a reason a reviewer would accept"


def test_every_acknowledged_rule_is_documented(synth: Synth) -> None:
    documented = DOCS.read_text()
    rules = {rule.split("[")[0] for rules in _acknowledgments(synth.stack).values() for rule in rules}
    missing = sorted(rule for rule in rules if f"`{rule}`" not in documented)
    assert not missing, f"acknowledged but not explained in docs/infra.md: {missing}"


def test_every_checkov_skip_names_its_check_and_a_reason(synth: Synth) -> None:
    # Checkov runs in `make lint` (issue 19): what it is told to skip says why, on the resource.
    skips = [
        (lid, skip)
        for lid, res in synth.resources.items()
        for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    assert all(skip["id"].startswith("CKV_") and len(skip["comment"]) > 20 for _, skip in skips)
    # Every function of ours explains both: no DLQ of its own, no VPC
    functions = [lid for lid in synth.of_type("AWS::Lambda::Function")]
    for lid in functions:
        assert {"CKV_AWS_116", "CKV_AWS_117"} <= {s["id"] for f, s in skips if f == lid}, lid
