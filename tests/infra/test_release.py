"""The release construct: the approval state machine, its functions, the release bucket,
the link key, the sender identity, and who may do what with them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alpr.names import Env, Function
from tests.infra.conftest import Synth, as_list

ROOT = Path(__file__).resolve().parents[2]
RELEASE_FUNCTIONS = {
    "ReleaseRecordFunction": Function.RELEASE_RECORD,
    "ReleaseNotifyFunction": Function.RELEASE_NOTIFY,
    "ReleaseFulfilFunction": Function.RELEASE_FULFIL,
}


def _statements(synth: Synth, function: str) -> list[dict[str, Any]]:
    role = {"Ref": synth.props(function)["Role"]["Fn::GetAtt"][0]}
    return [
        statement
        for policy in synth.of_type("AWS::IAM::Policy").values()
        if role in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(synth: Synth, function: str) -> set[str]:
    return {action for s in _statements(synth, function) for action in as_list(s["Action"])}


def _env(synth: Synth, function: str) -> dict[str, Any]:
    variables: dict[str, Any] = synth.props(function)["Environment"]["Variables"]
    return variables


def test_the_state_machine_runs_the_asl_file_with_the_three_functions_substituted(synth: Synth) -> None:
    props = synth.props("ReleaseApprovalStateMachine")
    assert json.loads(props["DefinitionString"]) == json.loads(
        (ROOT / "statemachines" / "release_approval.asl.json").read_text()
    )
    assert props["DefinitionSubstitutions"] == {
        "RecordFunctionArn": {"Fn::GetAtt": ["ReleaseRecordFunction", "Arn"]},
        "NotifyFunctionArn": {"Fn::GetAtt": ["ReleaseNotifyFunction", "Arn"]},
        "FulfilFunctionArn": {"Fn::GetAtt": ["ReleaseFulfilFunction", "Arn"]},
    }
    assert props["StateMachineType"] == "STANDARD"
    assert props["TracingConfiguration"] == {"Enabled": True}
    logging = props["LoggingConfiguration"]
    assert logging["Level"] == "ALL" and logging["IncludeExecutionData"] is False  # no tokens in logs


def test_the_asl_waits_on_a_task_token_with_a_timeout_from_the_input(synth: Synth) -> None:
    states = json.loads(synth.props("ReleaseApprovalStateMachine")["DefinitionString"])["States"]
    for name, next_on_timeout in (("AskCommander", "AskDesignee"), ("AskDesignee", "Expire")):
        state = states[name]
        assert state["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
        assert state["Parameters"]["Payload"]["task_token.$"] == "$$.Task.Token"
        assert state["TimeoutSecondsPath"] == "$.decision_timeout_seconds"
        catches = {c["ErrorEquals"][0]: c["Next"] for c in state["Catch"]}
        assert catches["States.Timeout"] == next_on_timeout
        assert catches["ReleaseDenied"] == "TellRequester"


def test_the_state_machine_may_invoke_exactly_its_three_functions(synth: Synth) -> None:
    machine_role = {"Ref": synth.props("ReleaseApprovalStateMachine")["RoleArn"]["Fn::GetAtt"][0]}
    invoke = [
        s
        for policy in synth.of_type("AWS::IAM::Policy").values()
        if machine_role in policy["Properties"]["Roles"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if "lambda:InvokeFunction" in as_list(s["Action"])
    ]
    resources = [r for s in invoke for r in as_list(s["Resource"])]
    assert sorted(r["Fn::GetAtt"][0] for r in resources) == sorted(RELEASE_FUNCTIONS)


def test_each_release_function_is_a_python_zip_named_for_its_service(synth: Synth) -> None:
    for logical_id, service in RELEASE_FUNCTIONS.items():
        props = synth.props(logical_id)
        assert props["Runtime"] == "python3.11" and props["Handler"] == "handler.lambda_handler"
        assert _env(synth, logical_id)[Env.SERVICE.value] == service.value
        assert (ROOT / "functions" / service.value / "handler.py").exists()


def test_the_release_bucket_is_kms_encrypted_versioned_private_and_tls_only(synth: Synth) -> None:
    bucket = synth.props("ReleaseBucket")
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Prefix"] == "bundles/" and rule["ExpirationInDays"] == 30
    policies = [
        p
        for p in synth.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": "ReleaseBucket"}
    ]
    (policy,) = policies
    denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"].get("Bool", {}).get("aws:SecureTransport") == "false" for s in denies)


def test_the_link_key_is_a_generated_secret_encrypted_with_the_data_key(synth: Synth) -> None:
    secret = synth.props("ReleaseLinkSecret")
    assert "SecretString" not in secret, "the HMAC key is never in the template or the repository"
    assert secret["GenerateSecretString"]["PasswordLength"] >= 32
    assert secret["KmsKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    for function in ("ReleaseNotifyFunction", "ApiFunction"):
        assert _env(synth, function)[Env.RELEASE_LINK_SECRET.value] == {"Ref": "ReleaseLinkSecret"}
        assert "secretsmanager:GetSecretValue" in _actions(synth, function)
    for function in ("ReleaseRecordFunction", "ReleaseFulfilFunction"):
        assert "secretsmanager:GetSecretValue" not in _actions(synth, function)


def test_only_notify_sends_mail_and_only_from_the_release_identity(synth: Synth) -> None:
    assert synth.props("ReleaseMailIdentity")["EmailIdentity"] == "alpr-release@example.gov"
    send = [s for s in _statements(synth, "ReleaseNotifyFunction") if "ses:SendEmail" in as_list(s["Action"])]
    (statement,) = send
    assert "identity/alpr-release@example.gov" in json.dumps(statement["Resource"])
    for function in ("ApiFunction", "ReleaseRecordFunction", "ReleaseFulfilFunction"):
        assert not {a for a in _actions(synth, function) if a.startswith("ses:")}


def test_least_privilege_per_function(synth: Synth) -> None:
    record = _actions(synth, "ReleaseRecordFunction")
    assert not {a for a in record if a.startswith(("s3:", "states:", "ses:", "secretsmanager:"))}
    fulfil = _actions(synth, "ReleaseFulfilFunction")
    assert {"dynamodb:Query", "s3:GetObject", "s3:PutObject"} <= fulfil
    assert not {a for a in fulfil if a.startswith(("states:", "ses:"))}
    api = _actions(synth, "ApiFunction")
    assert {"states:StartExecution", "states:SendTaskSuccess", "states:SendTaskFailure"} <= api


def test_the_decision_time_is_three_days_by_default(synth: Synth) -> None:
    assert _env(synth, "ApiFunction")[Env.RELEASE_DECISION_SECONDS.value] == str(72 * 3600)
    assert _env(synth, "ApiFunction")[Env.RELEASE_STATE_MACHINE.value] == {
        "Ref": "ReleaseApprovalStateMachine"
    }
