"""`alpr personnel propose|pending|approve|reject` and `alpr audit account-review` over the local stack
(issue 21): the administrator proposes, the approver it names decides with their own signed-in call,
and the commander signs off every account of the registry in the terminal."""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner, Result

from alpr.cli.main import app
from alpr.client.http import AlprClient
from alpr.local.stack import LocalStack
from alpr.names import ACCOUNT_REVIEWS_PREFIX

# The stack starts with the first e2e test that needs it: a minute or two on a busy machine.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

ACCOUNT_NOTE = "left the unit in November"


def _alpr(stack: LocalStack, user: str, *args: str, answers: str | None = None) -> Result:
    signed_in = ["--api", stack.api_url, "--token", stack.token(user)]
    return CliRunner().invoke(app, [*args, *signed_in], input=answers, env={"COLUMNS": "200"})


def _propose(stack: LocalStack, username: str, *roles: str) -> str:
    """The administrator proposes a new account with these roles; the proposal's id."""
    result = _alpr(
        stack,
        "admin",
        "personnel",
        "propose",
        username,
        "--kind",
        "account",
        "--approver",
        "supervisor",
        "--reason",
        "joins the burglary unit on Monday",
        "--full-name",
        "Dana Detective",
        "--job-title",
        "Detective",
        "--organisation",
        "Local Police Department",
        *[option for role in roles for option in ("--role", role)],
        "--trained",
        datetime.now(UTC).date().isoformat(),
    )
    assert result.exit_code == 0, result.output
    assert f"for {username}) awaits supervisor" in result.output, result.output
    found = re.search(r"Proposal (\S+) \(account", result.output)
    assert found, result.output
    return found.group(1)


def _account(stack: LocalStack, username: str) -> Result:
    return _alpr(stack, "admin", "personnel", "show", username)


def test_an_account_proposed_by_the_administrator_is_pending_then_in_effect_once_approved(
    stack: LocalStack,
) -> None:
    # Given the administrator proposes a new investigator account
    username = f"dana-{secrets.token_hex(3)}"
    proposal_id = _propose(stack, username, "investigator")

    # Then it is pending, listed for its approver, and not in the registry yet
    pending = _alpr(stack, "supervisor", "personnel", "pending")
    assert pending.exit_code == 0, pending.output
    assert proposal_id in pending.output and username in pending.output
    assert _account(stack, username).exit_code == 1

    # When the supervisor it names approves it, signed in as themselves
    approved = _alpr(stack, "supervisor", "personnel", "approve", proposal_id, "--note", "welcome aboard")
    assert approved.exit_code == 0, approved.output
    assert f"Approved: account for {username} is in effect." in approved.output

    # Then the account exists with its role, naming its approver and the proposal; it is no longer pending
    shown = _account(stack, username)
    assert shown.exit_code == 0, shown.output
    account = json.loads(shown.output)
    assert (account["roles"], account["status"], account["approved_by"], account["proposal_id"]) == (
        ["investigator"],
        "active",
        "supervisor",
        proposal_id,
    )
    assert proposal_id not in _alpr(stack, "supervisor", "personnel", "pending").output


def test_a_rejected_proposal_changes_nothing(stack: LocalStack) -> None:
    username = f"rejected-{secrets.token_hex(3)}"
    proposal_id = _propose(stack, username, "investigator", "supervisor")

    rejected = _alpr(
        stack, "supervisor", "personnel", "reject", proposal_id, "--note", "not a supervisor yet"
    )

    assert rejected.exit_code == 0, rejected.output
    assert f"Rejected: account for {username}; nothing changed." in rejected.output
    assert _account(stack, username).exit_code == 1
    assert proposal_id not in _alpr(stack, "supervisor", "personnel", "pending").output


def test_a_rejection_without_a_reason_is_refused(stack: LocalStack) -> None:
    proposal_id = _propose(stack, f"unexplained-{secrets.token_hex(3)}", "investigator")

    refused = _alpr(stack, "supervisor", "personnel", "reject", proposal_id, "--note", "no")

    assert refused.exit_code == 1
    assert "HTTP 400" in refused.output and "three words" in refused.output
    assert proposal_id in _alpr(stack, "supervisor", "personnel", "pending").output


def test_the_administrator_cannot_approve_their_own_proposal(stack: LocalStack) -> None:
    username = f"self-approved-{secrets.token_hex(3)}"
    proposal_id = _propose(stack, username, "investigator")

    refused = _alpr(stack, "admin", "personnel", "approve", proposal_id)

    assert refused.exit_code == 1
    assert "HTTP 403: 'admin' (roles: administrator) may not personnel:approve" in refused.output
    assert _account(stack, username).exit_code == 1
    assert proposal_id in _alpr(stack, "supervisor", "personnel", "pending").output


def _account_review_answers(stack: LocalStack, disabled: str) -> str:
    """The commander's answers, account by account in the registry's order: keep (no note) for
    every account but `disabled`, which is to be disabled, with a note."""
    registry = AlprClient(stack.api_url, stack.token("commander")).call("GET", "/v1/personnel")
    return "".join(
        f"disable\n{ACCOUNT_NOTE}\n" if account["username"] == disabled else "\n\n" for account in registry
    )


def test_the_commander_reviews_every_account_in_the_terminal_and_the_review_is_on_record(
    stack: LocalStack,
) -> None:
    # When the commander walks the registry, keeping every account but one
    answers = _account_review_answers(stack, disabled="untrained")
    result = _alpr(stack, "commander", "audit", "account-review", answers=answers)

    # Then the receipt is printed: the review, its findings and where it is kept
    assert result.exit_code == 0, result.output
    receipt = re.search(r"Account review (\S+) recorded: (\{.*?\}); kept at\s+(\S+)", result.output)
    assert receipt, result.output
    review_id, findings, key = receipt.groups()
    assert "'disable': 1" in findings and "'keep':" in findings
    assert key.startswith(f"{ACCOUNT_REVIEWS_PREFIX}dt={datetime.now(UTC).date()}/")

    # And the account-reviews query shows the finding beside the account as it stood
    shown = CliRunner().invoke(
        app, ["audit", "query", "account-reviews", "--port", str(stack.port), "--format", "json"]
    )
    assert shown.exit_code == 0, shown.output
    rows = [row for row in json.loads(shown.output) if row["review_id"] == review_id]
    untrained = next(row for row in rows if row["username"] == "untrained")
    assert (untrained["reviewer"], untrained["finding"], untrained["note"]) == (
        "commander",
        "disable",
        ACCOUNT_NOTE,
    )
    assert {row["finding"] for row in rows if row["username"] != "untrained"} == {"keep"}


def test_an_administrator_cannot_record_the_account_review(stack: LocalStack) -> None:
    answers = _account_review_answers(stack, disabled="")

    result = _alpr(stack, "admin", "audit", "account-review", answers=answers)

    assert result.exit_code == 1
    assert "HTTP 403" in result.output
