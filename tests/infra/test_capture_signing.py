"""The capture signing key (issue 23): a generated secret, encrypted with the data key, that only the
uploads and recognize functions may read, each told where it is."""

from __future__ import annotations

import json
from typing import Any

from alpr.names import Env
from tests.infra.conftest import Synth, as_list

SECRET = {"Ref": "CaptureSigningSecret"}
READERS = {"UploadsFunction", "RecognizeFunction"}


def _role(synth: Synth, function: str) -> str:
    role: str = synth.props(function)["Role"]["Fn::GetAtt"][0]
    return role


def _statements_naming(synth: Synth, resource: dict[str, Any]) -> list[tuple[list[Any], dict[str, Any]]]:
    """(roles, statement) for every role policy statement whose resources name `resource`."""
    return [
        (policy["Properties"]["Roles"], statement)
        for policy in synth.of_type("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if resource in as_list(statement["Resource"])
    ]


def test_the_key_is_generated_at_deploy_time_and_encrypted_with_the_data_key(synth: Synth) -> None:
    secret = synth.props("CaptureSigningSecret")
    assert "SecretString" not in secret, "the HMAC key is never in the template or the repository"
    assert secret["GenerateSecretString"]["PasswordLength"] >= 32
    assert secret["KmsKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    assert synth.resources["CaptureSigningSecret"]["DeletionPolicy"] == "Retain"


def test_only_uploads_and_recognize_may_read_the_key_and_only_read_it(synth: Synth) -> None:
    grants = _statements_naming(synth, SECRET)
    readers = {role["Ref"] for roles, _ in grants for role in roles}
    assert readers == {_role(synth, function) for function in READERS}
    for _, statement in grants:
        assert statement["Effect"] == "Allow"
        assert set(as_list(statement["Action"])) == {
            "secretsmanager:GetSecretValue",
            "secretsmanager:DescribeSecret",
        }
        assert as_list(statement["Resource"]) == [SECRET], "that secret only"


def test_no_role_reaches_secrets_by_wildcard(synth: Synth) -> None:
    for policy in synth.of_type("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if any(a.startswith("secretsmanager:") for a in as_list(statement["Action"])):
                assert "*" not in json.dumps(statement["Resource"]), statement


def test_the_two_functions_are_told_the_secret_and_no_other_is(synth: Synth) -> None:
    for logical_id, function in synth.of_type("AWS::Lambda::Function").items():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        if logical_id in READERS:
            assert variables[Env.CAPTURE_SIGNING_SECRET.value] == SECRET
        else:
            assert Env.CAPTURE_SIGNING_SECRET.value not in variables, logical_id
