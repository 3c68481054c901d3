"""The access gate over HTTP on the local stack: token-level refusals on every route, and the gate's own.

Token-level cases (no token, tampered, expired, another pool's) are decided by the API
Gateway Cognito authorizer (locally `alpr.local.http_api`) before any function runs; in the
cloud, API Gateway's access log (caller, IP, status) records them. The gate-level cases
are in tests/integration/test_gate_matrix.py; here a few run end to end with the access log.
"""

from __future__ import annotations

import base64
import gzip
import importlib.util
import json
import re
import time
import uuid
from importlib import resources
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from alpr.client.http import AlprClient, ApiError
from alpr.domain.access import Purpose, rule_for
from alpr.local.stack import REGION, LocalStack
from alpr.names import ACCESS_LOG_PREFIX, Output
from tests.e2e.conftest import E2E_PURPOSE

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ("api", "uploads")
METHODS = ("get", "put", "post", "delete", "patch")


def _app(function: str) -> Any:
    path = ROOT / "functions" / function / "handler.py"
    spec = importlib.util.spec_from_file_location(f"e2e_{function}_{uuid.uuid4().hex}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


@pytest.fixture(scope="module")
def gated_routes(stack: LocalStack) -> list[tuple[str, str]]:
    """(METHOD, concrete path) of every route of the OpenAPI documents that is not public."""
    routes = []
    for function in FUNCTIONS:
        for path, item in (_app(function).get_openapi_schema().paths or {}).items():
            for method in METHODS:
                rule = rule_for(method, path)
                if getattr(item, method, None) is not None and not (rule and rule.public):
                    routes.append((method.upper(), re.sub(r"\{[^}]+\}", "x1", path)))
    assert len(routes) > 3
    return routes


def _payload(token: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


def _moto_signed(claims: dict[str, Any]) -> str:
    """A token signed with the key moto's Cognito signs with (as the pool would)."""
    private = json.loads(
        gzip.decompress((resources.files("moto") / "cognitoidp/resources/jwks-private.json.gz").read_bytes())
    )
    key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(private))
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def tokens(stack: LocalStack) -> dict[str, str | None]:
    good = stack.token("investigator")
    header, _, signature = good.split(".")
    claims = _payload(good)
    elevated = base64.urlsafe_b64encode(
        json.dumps({**claims, "cognito:groups": ["administrator"]}).encode()
    ).rstrip(b"=")
    now = int(time.time())
    return {
        "no-token": None,
        "tampered": ".".join([header, elevated.decode(), signature]),
        "expired": _moto_signed({**claims, "iat": now - 7200, "auth_time": now - 7200, "exp": now - 3600}),
        "other-pool": _other_pool_token(stack),
    }


def _other_pool_token(stack: LocalStack) -> str:
    """Sign in to a second user pool on the same embedded AWS (same signing key, other issuer)."""
    import boto3

    cognito = boto3.client("cognito-idp", endpoint_url=stack.endpoint_url, region_name=REGION)
    pool = cognito.create_user_pool(PoolName=f"other-{uuid.uuid4().hex[:6]}")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="other", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    password = f"Ot{uuid.uuid4().hex}!9A"
    cognito.admin_create_user(UserPoolId=pool, Username="investigator", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username="investigator", Password=password, Permanent=True
    )
    result = cognito.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "investigator", "PASSWORD": password},
    )
    token: str = result["AuthenticationResult"]["IdToken"]
    return token


def test_a_re_signed_token_with_a_valid_expiry_is_accepted(stack: LocalStack) -> None:
    # The control for the expired case: re-signing alone does not make the authorizer refuse.
    claims = _payload(stack.token("investigator"))
    now = int(time.time())
    token = _moto_signed({**claims, "iat": now, "exp": now + 600})
    client = AlprClient(stack.api_url, token, purpose=E2E_PURPOSE)
    assert client.search_plate("7ZZZ999") == []


@pytest.mark.parametrize("case", ["no-token", "tampered", "expired", "other-pool"])
def test_every_route_refuses_a_bad_token_with_401(
    stack: LocalStack, gated_routes: list[tuple[str, str]], tokens: dict[str, str | None], case: str
) -> None:
    token = tokens[case]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers.update(E2E_PURPOSE.headers())
    answers = {
        (method, path): requests.request(method, stack.api_url + path, headers=headers, json={}, timeout=30)
        for method, path in gated_routes
    }
    # A page a browser opens (no credentials at all) sends the browser to sign in instead.
    answers.update(
        {
            (method, path): requests.request(method, stack.api_url + path, allow_redirects=False, timeout=30)
            for method, path in gated_routes
            if case == "no-token" and method == "GET" and path.endswith("/decision")
        }
    )
    wrong = {
        route: (r.status_code, r.text[:80])
        for route, r in answers.items()
        if r.status_code
        != (302 if case == "no-token" and route[0] == "GET" and route[1].endswith("/decision") else 401)
    }
    assert not wrong, f"{case}: expected 401 everywhere, got {wrong}"


def _log_records(stack: LocalStack, aws: Any) -> list[dict[str, Any]]:
    s3 = aws("s3")
    bucket = stack.outputs()[Output.ACCESS_LOG_BUCKET.value]
    records = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=ACCESS_LOG_PREFIX):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            records.extend(json.loads(line) for line in body.splitlines())
    return records


def test_untrained_is_refused_with_the_reason_and_logged(stack: LocalStack, aws: Any) -> None:
    client = AlprClient(stack.api_url, stack.token("untrained"), purpose=E2E_PURPOSE)
    with pytest.raises(ApiError) as refused:
        client.search_plate("7ABC123")
    assert refused.value.status == 403
    assert "training" in refused.value.body["message"]
    mine = [r for r in _log_records(stack, aws) if r["username"] == "untrained"]
    assert mine and mine[-1]["outcome"] == "refused" and mine[-1]["query"]["plate"] == "7ABC123"


@pytest.mark.parametrize(
    ("purpose", "words"),
    [
        (None, "purpose is required"),
        (Purpose(category="stolen-vehicle", case_number="26-000042", text="investigation"), "refused"),
        (
            Purpose(category="curiosity", case_number="26-000042", text="who parks next to me at work"),
            "category",
        ),
        (Purpose(category="homicide", case_number="42", text="grey sedan seen leaving the scene"), "format"),
    ],
)
def test_a_search_without_a_proper_purpose_is_400(
    stack: LocalStack, investigator: AlprClient, purpose: Purpose | None, words: str
) -> None:
    with pytest.raises(ApiError) as refused:
        investigator.with_purpose(purpose).search_plate("7ABC123")
    assert refused.value.status == 400
    assert words in refused.value.body["message"]


def test_an_allowed_search_is_logged_with_its_purpose(
    stack: LocalStack, investigator: AlprClient, aws: Any
) -> None:
    investigator.search_plate("8LOG123")
    (record,) = [r for r in _log_records(stack, aws) if r["query"].get("plate") == "8LOG123"]
    assert (record["username"], record["outcome"], record["case_number"]) == (
        "investigator",
        "allowed",
        E2E_PURPOSE.case_number,
    )
    assert record["full_name"] == "Ivy Investigator" and record["source_ip"] == "127.0.0.1"


def test_an_account_proposed_by_the_administrator_takes_effect_when_the_supervisor_approves(
    stack: LocalStack,
) -> None:
    admin = AlprClient(stack.api_url, stack.token("admin"))
    supervisor = AlprClient(stack.api_url, stack.token("supervisor"))
    account = {
        "full_name": "Dana Detective",
        "job_title": "Detective",
        "organisation": "Local Police Department",
        "roles": ["investigator"],
        "training_completed": "2026-10-01",
    }
    proposal = {"username": "dana", "kind": "account", "approver": "supervisor", "reason": "joins burglary"}
    # Given the administrator proposes a new account: it is pending, and not in the registry
    proposed = admin.call("POST", "/v1/personnel/proposals", json={**proposal, "account": account})
    assert (proposed["status"], proposed["proposed_by"]) == ("pending", "admin")
    with pytest.raises(ApiError) as missing:
        admin.call("GET", "/v1/personnel/dana")
    assert missing.value.status == 404
    assert proposed["proposal_id"] in {
        p["proposal_id"] for p in supervisor.call("GET", "/v1/personnel/proposals")
    }
    # The administrator may not approve their own proposal, nor name a non-supervisor
    with pytest.raises(ApiError) as own:
        admin.call("POST", f"/v1/personnel/proposals/{proposed['proposal_id']}/approve", json={})
    assert own.value.status == 403
    with pytest.raises(ApiError) as refused:
        admin.call(
            "POST",
            "/v1/personnel/proposals",
            json={**proposal, "approver": "investigator", "account": account},
        )
    assert refused.value.status == 400

    # When the supervisor approves it, signed in, the account is in effect, naming its approver
    supervisor.call("POST", f"/v1/personnel/proposals/{proposed['proposal_id']}/approve", json={})
    saved = admin.call("GET", "/v1/personnel/dana")
    assert (saved["status"], saved["approved_by"], saved["proposal_id"]) == (
        "active",
        "supervisor",
        proposed["proposal_id"],
    )

    # And a rejected change (a promotion) changes nothing
    promotion = {**account, "roles": ["investigator", "supervisor"]}
    second = admin.call("POST", "/v1/personnel/proposals", json={**proposal, "account": promotion})
    supervisor.call(
        "POST", f"/v1/personnel/proposals/{second['proposal_id']}/reject", json={"note": "not promoted yet"}
    )
    assert admin.call("GET", "/v1/personnel/dana") == saved

    listed = {p["username"] for p in admin.call("GET", "/v1/personnel")}
    assert {"dana", "investigator", "untrained", "unit-01"} <= listed
    with pytest.raises(ApiError) as forbidden:
        AlprClient(stack.api_url, stack.token("investigator")).call("GET", "/v1/personnel")
    assert forbidden.value.status == 403


def test_the_cli_states_a_purpose_and_refuses_without_one(stack: LocalStack) -> None:
    from typer.testing import CliRunner

    from alpr.cli.main import app

    runner = CliRunner()
    token = stack.token("investigator")
    base = ["search", "plate", "7ABC123", "--api", stack.api_url, "--token", token]
    without = runner.invoke(app, base)
    assert without.exit_code != 0 and "purpose" in without.output
    purpose = [
        "--purpose",
        "robbery",
        "--case",
        "26-000777",
        "--reason",
        "getaway car of the bank robbery on Main St",
    ]
    allowed = runner.invoke(app, [*base, *purpose])
    assert allowed.exit_code == 0, allowed.output
    assert "Reads of 7ABC123" in allowed.output


def test_the_personnel_cli_lists_the_registry(stack: LocalStack) -> None:
    from typer.testing import CliRunner

    from alpr.cli.main import app

    result = CliRunner().invoke(
        app,
        ["personnel", "list", "--api", stack.api_url, "--token", stack.token("admin")],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "untrained" in result.output and "unit-01" in result.output
