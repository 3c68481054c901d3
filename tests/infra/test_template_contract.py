"""The template contract the local runtime and scripts rely on (docs/infra.md)."""

from __future__ import annotations

import pytest

from alpr.names import STACK_NAME
from tests.infra.conftest import Synth

FIXED_IDS = {
    "DataKey": "AWS::KMS::Key",
    "UploadsBucket": "AWS::S3::Bucket",
    "QuarantineBucket": "AWS::S3::Bucket",
    "EvidenceBucket": "AWS::S3::Bucket",
    "AccessLogBucket": "AWS::S3::Bucket",
    "ServerAccessLogsBucket": "AWS::S3::Bucket",
    "ReadsTable": "AWS::DynamoDB::Table",
    "PlatesTable": "AWS::DynamoDB::Table",
    "HotlistTable": "AWS::DynamoDB::Table",
    "AlertsTable": "AWS::DynamoDB::Table",
    "PersonnelTable": "AWS::DynamoDB::Table",
    "ReleaseRequestsTable": "AWS::DynamoDB::Table",
    "IngestQueue": "AWS::SQS::Queue",
    "IngestDeadLetterQueue": "AWS::SQS::Queue",
    "ApiFunction": "AWS::Lambda::Function",
    "UploadsFunction": "AWS::Lambda::Function",
    "RecognizeFunction": "AWS::Lambda::Function",
    "AlprLayer": "AWS::Lambda::LayerVersion",
    "ModelsLayer": "AWS::Lambda::LayerVersion",
    "UserPool": "AWS::Cognito::UserPool",
    "UserPoolClient": "AWS::Cognito::UserPoolClient",
    "RestApi": "AWS::ApiGateway::RestApi",
}


@pytest.mark.parametrize(("logical_id", "kind"), sorted(FIXED_IDS.items()))
def test_fixed_logical_id(synth: Synth, logical_id: str, kind: str) -> None:
    assert synth.resources[logical_id]["Type"] == kind


def test_template_is_written_under_the_stack_name(synth: Synth) -> None:
    # The local runtime reads cdk.out/<STACK_NAME>.template.json.
    assert (synth.outdir / f"{STACK_NAME}.template.json").is_file()


def test_acknowledgments_travel_in_the_template_metadata(synth: Synth) -> None:
    rules = synth.resources["ServerAccessLogsBucket"]["Metadata"]["cdk_nag"]["rules_to_suppress"]
    assert [r["id"] for r in rules] == ["AwsSolutions-S1"]
    assert rules[0]["reason"]


def test_cfn_lint_finds_no_errors(synth: Synth) -> None:
    # cfn-lint checks properties against the CloudFormation resource specification, which
    # Template assertions and cdk-nag do not. W3005 (a DependsOn CDK adds beside a GetAtt) is benign.
    from cfnlint.api import lint_file

    matches = lint_file(synth.outdir / f"{STACK_NAME}.template.json")
    findings = [f"{m.rule.id} {m.message}" for m in matches if m.rule.id != "W3005"]
    assert not findings, findings
