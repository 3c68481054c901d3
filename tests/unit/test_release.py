"""Release rules and the request's life, on in-memory fakes."""

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alpr.domain import release_flow
from alpr.domain.clock import FixedClock
from alpr.domain.errors import Forbidden, InvalidRequest
from alpr.domain.links import LinkRefused
from alpr.domain.models import BoundingBox, Caller, Read
from alpr.domain.release import (
    RULE_PUBLIC_AGENCY,
    RULE_RECORDS_RELEASE,
    RULE_WRITTEN_REQUEST,
    ReleaseStatus,
    RequestForm,
    StaleRequest,
    assess,
)
from alpr.domain.release_bundle import build_bundle, in_scope, verify_bundle
from alpr.domain.release_mail import decision_email, requester_email
from tests.fakes.release_memory import InMemoryReleaseStore

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
STAFF = Caller(username="records", groups=frozenset({"records"}))
COMMANDER = Caller(username="commander", groups=frozenset({"commander"}))


SAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "events" / "release" / "request_form.json").read_text()
)


def form(**changes) -> RequestForm:
    """The sample written request (events/release/request_form.json), with `changes`."""
    return RequestForm.model_validate({**SAMPLE, **changes})


@pytest.mark.parametrize(
    ("jurisdiction", "who"),
    [("other_state", "out-of-state"), ("federal", "federal"), ("private", "private")],
)
def test_out_of_state_federal_and_private_requesters_are_refused_with_the_rule(jurisdiction, who):
    assessment = assess(form(jurisdiction=jurisdiction))
    assert assessment.status is ReleaseStatus.REFUSED
    assert assessment.rule == RULE_PUBLIC_AGENCY
    assert "1798.90.55(b)" in assessment.rule and "2023-DLE-06" in assessment.rule
    assert who in assessment.reason


def test_federal_law_enforcement_is_refused_too():
    # The AG bulletin: no sharing with federal agencies, law enforcement included.
    assert assess(form(jurisdiction="federal", agency_type="law_enforcement")).status is ReleaseStatus.REFUSED


def test_a_non_law_enforcement_california_agency_is_routed_to_records():
    assessment = assess(form(agency_type="other"))
    assert (assessment.status, assessment.rule) == (ReleaseStatus.ROUTED_TO_RECORDS, RULE_RECORDS_RELEASE)


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({"purpose": "  "}, "intended purpose"),
        ({"agency_name": ""}, "agency name"),
        ({"requester": {"name": "", "email": "x@example.gov"}}, "requester's name"),
        ({"requester": {"name": "A", "email": "", "phone": ""}}, "email or phone"),
    ],
)
def test_a_request_without_purpose_requester_or_agency_is_refused(changes, missing):
    assessment = assess(form(**changes))
    assert assessment.status is ReleaseStatus.REFUSED and assessment.rule == RULE_WRITTEN_REQUEST
    assert missing in assessment.reason


@pytest.mark.parametrize("agency_type", ["law_enforcement", "prosecutorial"])
def test_california_law_enforcement_and_prosecutors_go_to_the_commander(agency_type):
    assert assess(form(agency_type=agency_type)).status is ReleaseStatus.PENDING


def test_a_window_that_ends_before_it_starts_is_invalid():
    with pytest.raises(ValueError, match="end after"):
        form(scope={"plates": ["7ABC123"], "start": "2026-11-02T00:00:00Z", "end": "2026-11-01T00:00:00Z"})


def _awaiting(store, clock, round_="commander"):
    request = release_flow.file_request(store, clock, STAFF, form())
    release_flow.validate(store, clock, request.request_id)
    return release_flow.open_round(store, clock, request.request_id, round_, "cmdr@example.gov", 3600)


def test_the_commander_approves_once_and_the_history_keeps_every_step():
    store, clock = InMemoryReleaseStore(), FixedClock(NOW)
    opened = _awaiting(store, clock)
    decided = release_flow.decide(store, clock, opened.approve, COMMANDER, letter_on_file=True)
    assert decided.status is ReleaseStatus.APPROVED and decided.decision.by == "commander"
    assert [c.status for c in decided.history] == [
        ReleaseStatus.RECEIVED,
        ReleaseStatus.PENDING,
        ReleaseStatus.AWAITING_COMMANDER,
        ReleaseStatus.APPROVED,
    ]
    with pytest.raises(LinkRefused, match="already used"):
        release_flow.decide(store, clock, opened.approve, COMMANDER, letter_on_file=True)  # replayed
    with pytest.raises(LinkRefused, match="already used"):
        release_flow.decide(store, clock, opened.deny, COMMANDER)  # the other link of the pair


def test_a_link_of_a_request_closed_for_no_decision_is_refused_as_expired():
    # Even before the link's own expiry time: the workflow's timer closed the request first.
    store, clock = InMemoryReleaseStore(), FixedClock(NOW)
    opened = _awaiting(store, clock)
    release_flow.expire(store, clock, opened.request.request_id)
    with pytest.raises(LinkRefused, match="expired: nobody decided"):
        release_flow.decide(store, clock, opened.approve, COMMANDER, letter_on_file=True)


def test_someone_who_is_not_a_commander_cannot_decide():
    store, clock = InMemoryReleaseStore(), FixedClock(NOW)
    opened = _awaiting(store, clock)
    investigator = Caller(username="investigator", groups=frozenset({"investigator", "supervisor"}))
    with pytest.raises(Forbidden, match="commander or designee"):
        release_flow.decide(store, clock, opened.approve, investigator, letter_on_file=True)
    assert store.get(opened.request.request_id).status is ReleaseStatus.AWAITING_COMMANDER


def test_the_filer_may_not_decide_their_own_request():
    # Given a commander who also holds the records role files a request
    store, clock = InMemoryReleaseStore(), FixedClock(NOW)
    both = Caller(username="cmdr-records", groups=frozenset({"commander", "records"}))
    request = release_flow.file_request(store, clock, both, form())
    release_flow.validate(store, clock, request.request_id)
    opened = release_flow.open_round(store, clock, request.request_id, "commander", "c@example.gov", 3600)
    # When they try to approve or deny it, Then it is refused, saying why
    for link, reason in ((opened.approve, ""), (opened.deny, "no")):
        with pytest.raises(Forbidden, match=r"filed release request .* may not decide it"):
            release_flow.decide(store, clock, link, both, reason, letter_on_file=True)
    # And another commander may
    assert release_flow.decide(store, clock, opened.approve, COMMANDER, letter_on_file=True).decision


def test_no_approval_until_the_written_request_is_on_file_but_a_denial_stays_possible():
    store, clock = InMemoryReleaseStore(), FixedClock(NOW)
    opened = _awaiting(store, clock)
    with pytest.raises(Forbidden, match=r"letter is not on file.*439\.7\(a\)"):
        release_flow.decide(store, clock, opened.approve, COMMANDER, letter_on_file=False)
    assert store.get(opened.request.request_id).status is ReleaseStatus.AWAITING_COMMANDER
    denied = release_flow.decide(
        store, clock, opened.deny, COMMANDER, "no letter received", letter_on_file=False
    )
    assert denied.status is ReleaseStatus.DENIED


def test_a_denial_needs_a_reason():
    store, clock = InMemoryReleaseStore(), FixedClock(NOW)
    opened = _awaiting(store, clock)
    with pytest.raises(InvalidRequest, match="reason"):
        release_flow.decide(store, clock, opened.deny, COMMANDER, "")
    denied = release_flow.decide(store, clock, opened.deny, COMMANDER, "no case connection shown")
    assert denied.status is ReleaseStatus.DENIED and denied.decision.reason == "no case connection shown"


def test_escalation_makes_the_commanders_links_stale():
    store, clock = InMemoryReleaseStore(), FixedClock(NOW)
    first = _awaiting(store, clock)
    second = release_flow.open_round(
        store, clock, first.request.request_id, "designee", "dsg@example.gov", 3600
    )
    with pytest.raises(LinkRefused, match="newer links"):
        release_flow.decide(store, clock, first.approve, COMMANDER, letter_on_file=True)
    assert (
        release_flow.decide(store, clock, second.approve, COMMANDER, letter_on_file=True).decision.round
        == "designee"
    )


def test_the_named_designee_alone_decides_the_escalated_round():
    # Given the designee's round, opened for the designee policy 439.3.1(e) names
    store, clock = InMemoryReleaseStore(), FixedClock(NOW)
    first = _awaiting(store, clock)
    second = release_flow.open_round(
        store, clock, first.request.request_id, "designee", "dsg@example.gov", 3600, decider="lpark"
    )
    assert "lpark" in store.get(first.request.request_id).history[-1].note
    # When another commander follows the designee's link, then it is refused, naming the designee
    with pytest.raises(Forbidden, match="designee 'lpark'"):
        release_flow.decide(store, clock, second.approve, COMMANDER, letter_on_file=True)
    # And the designee decides
    designee = Caller(username="lpark", groups=frozenset({"commander"}))
    decided = release_flow.decide(store, clock, second.approve, designee, letter_on_file=True)
    assert (decided.decision.by, decided.decision.round) == ("lpark", "designee")


def test_a_stale_write_is_refused():
    store, clock = InMemoryReleaseStore(), FixedClock(NOW)
    request = release_flow.file_request(store, clock, STAFF, form())
    copy = store.get(request.request_id)
    release_flow.validate(store, clock, request.request_id)
    with pytest.raises(StaleRequest):
        store.save(copy)


def _read(read_id, plate, captured_at, lat=38.0, lon=-122.0, expires_at=None):
    return Read(
        read_id=read_id,
        plate=plate,
        confidence=0.9,
        char_confidences=[0.9] * len(plate),
        low_confidence=False,
        captured_at=captured_at,
        captured_key=f"{captured_at.isoformat()}#{read_id}",
        unit_id="unit-01",
        lat=lat,
        lon=lon,
        cell_day="9q9p3s#2026-11-10",
        image_bucket="uploads",
        image_key=f"raw/unit-01/{read_id}.jpg",
        box=BoundingBox(x=1, y=2, w=3, h=4),
        model_version="test",
        expires_at=expires_at,
        ingested_at=captured_at,
    )


def test_only_reads_in_scope_and_within_retention_are_released():
    scope = form().scope
    inside = _read("R1", "7ABC123", datetime(2026, 11, 10, tzinfo=UTC))
    other_plate = _read("R2", "7ABC124", datetime(2026, 11, 10, tzinfo=UTC))
    too_early = _read("R3", "7ABC123", datetime(2026, 10, 10, tzinfo=UTC))
    expired = _read("R4", "7ABC123", datetime(2026, 11, 10, tzinfo=UTC), expires_at=int(NOW.timestamp()) - 1)
    assert [r.read_id for r in (inside, other_plate, too_early, expired) if in_scope(r, scope, NOW)] == ["R1"]


def test_area_scope_keeps_reads_inside_the_circle():
    scope = form(
        scope={
            "area": {"lat": 38.0, "lon": -122.0, "radius_m": 500},
            "start": "2026-11-01T00:00:00Z",
            "end": "2026-11-29T00:00:00Z",
        }
    ).scope
    near = _read("N", "1AAA111", datetime(2026, 11, 10, tzinfo=UTC), lat=38.002, lon=-122.0)  # ~220 m
    far = _read("F", "1AAA111", datetime(2026, 11, 10, tzinfo=UTC), lat=38.01, lon=-122.0)  # ~1.1 km
    assert [r.read_id for r in (near, far) if in_scope(r, scope, NOW)] == ["N"]


def test_a_bundle_verifies_by_hash_and_any_change_is_found():
    store, clock = InMemoryReleaseStore(), FixedClock(NOW)
    request = release_flow.file_request(store, clock, STAFF, form())
    read = _read("R1", "7ABC123", datetime(2026, 11, 10, tzinfo=UTC))
    files = {f.path: f.data for f in build_bundle(request, [read], {read.image_key: b"\xff\xd8jpeg"})}
    assert set(files) == {"request.json", "reads.json", "reads.csv", "images/R1.jpg", "manifest.json"}
    assert verify_bundle(files) == []
    manifest = json.loads(files["manifest.json"])
    assert {e["path"]: e["sha256"] for e in manifest["files"]}["images/R1.jpg"] == hashlib.sha256(
        b"\xff\xd8jpeg"
    ).hexdigest()
    assert "7ABC123" in files["reads.csv"].decode()
    tampered = {**files, "reads.csv": files["reads.csv"] + b"extra,row\n"}
    assert verify_bundle(tampered) == ["reads.csv: SHA-256 differs from the manifest"]
    assert verify_bundle({k: v for k, v in files.items() if k != "images/R1.jpg"}) == [
        "images/R1.jpg: missing"
    ]


def test_the_commanders_email_carries_the_request_and_both_links_but_no_task_token():
    store, clock = InMemoryReleaseStore(), FixedClock(NOW)
    opened = _awaiting(store, clock)
    email = decision_email(
        opened.request,
        "commander",
        "cmdr@example.gov",
        "https://a/approve",
        "https://a/deny",
        opened.approve.expires_at,
    )
    assert "APPROVE: https://a/approve" in email.text and "DENY:    https://a/deny" in email.text
    assert (
        "Contra Costa County Sheriff's Office" in email.text
        and "7ABC123" in email.text
        and "26-004512" in email.text
    )
    assert opened.request.request_id in email.subject


def test_the_links_come_before_the_requesters_words_which_are_quoted_and_the_valid_base_is_named():
    # Given a purpose written to look like one of our links
    store, clock = InMemoryReleaseStore(), FixedClock(NOW)
    fake = "Homicide 26-1.\nAPPROVE: https://evil.example/approve\nThanks"
    request = release_flow.file_request(store, clock, STAFF, form(purpose=fake))
    release_flow.validate(store, clock, request.request_id)
    opened = release_flow.open_round(store, clock, request.request_id, "commander", "c@example.gov", 3600)
    # When the email is written
    email = decision_email(
        opened.request,
        "commander",
        "c@example.gov",
        "https://alpr.example.gov/prod/v1/a",
        "https://alpr.example.gov/prod/v1/d",
        opened.approve.expires_at,
        base_url="https://alpr.example.gov/prod",
    )
    lines = email.text.splitlines()
    # Then our links come first, the base is named, and the requester's words are quoted below
    ours = lines.index("APPROVE: https://alpr.example.gov/prod/v1/a")
    assert ours < lines.index("  > Homicide 26-1.")
    assert "  > APPROVE: https://evil.example/approve" in lines
    assert not any(line.startswith("APPROVE: https://evil") for line in lines)
    assert "Valid decision links start with https://alpr.example.gov/prod/ " in email.text
    assert email.html.index("https://alpr.example.gov/prod/v1/a") < email.html.index("evil.example")


def test_the_requester_is_told_the_rule_when_refused():
    store, clock = InMemoryReleaseStore(), FixedClock(NOW)
    request = release_flow.file_request(store, clock, STAFF, form(jurisdiction="federal"))
    release_flow.validate(store, clock, request.request_id)
    email = requester_email(store.get(request.request_id))
    assert (
        email.to == "areyes@sheriff.example.gov" and "1798.90.55(b)" in email.text and "refused" in email.text
    )


def test_expiry_closes_a_request_as_no_decision():
    store, clock = InMemoryReleaseStore(), FixedClock(NOW)
    opened = _awaiting(store, clock)
    clock.at = NOW + timedelta(hours=2)
    closed = release_flow.expire(store, clock, opened.request.request_id)
    assert closed.status is ReleaseStatus.NO_DECISION and "no approval" in (closed.rule or "")
    with pytest.raises(LinkRefused):
        release_flow.decide(store, clock, opened.approve, COMMANDER, letter_on_file=True)


def test_plates_are_normalised_and_a_partial_or_wildcard_plate_is_refused():
    scope = form(scope={**SAMPLE["scope"], "plates": ["7abc 123", "7ABC-123", "8xyz999"]}).scope
    assert scope.plates == ["7ABC123", "8XYZ999"]
    with pytest.raises(ValueError, match="plate"):
        form(scope={**SAMPLE["scope"], "plates": ["7AB*"]})


def test_a_round_cannot_be_opened_for_a_decided_request():
    store, clock = InMemoryReleaseStore(), FixedClock(NOW)
    opened = _awaiting(store, clock)
    release_flow.decide(store, clock, opened.approve, COMMANDER, letter_on_file=True)
    with pytest.raises(InvalidRequest, match="no decision is asked"):
        release_flow.open_round(store, clock, opened.request.request_id, "designee", "d@example.gov", 60)


def test_an_undone_decision_puts_the_request_back_as_it_was():
    # The execution timed out while the commander clicked: the decision is not kept.
    store, clock = InMemoryReleaseStore(), FixedClock(NOW)
    opened = _awaiting(store, clock)
    release_flow.decide(store, clock, opened.approve, COMMANDER, letter_on_file=True)
    back = release_flow.undo_decision(store, clock, opened.request.request_id, "task timed out")
    assert back.status is ReleaseStatus.AWAITING_COMMANDER and back.decision is None and not back.links.used
    assert "task timed out" in back.history[-1].note


def test_a_scope_larger_than_one_bundle_is_refused_not_cut_short():
    from alpr.domain.release_bundle import MAX_BUNDLE_READS, check_bundle_size

    check_bundle_size(MAX_BUNDLE_READS)
    with pytest.raises(InvalidRequest, match="narrower"):
        check_bundle_size(MAX_BUNDLE_READS + 1)


@pytest.mark.parametrize(
    "changes",
    [
        {"agency_name": "Sheriff\r\nBcc: someone@example.com"},
        {"case_number": "26-1\n"},
        {"requester": {**SAMPLE["requester"], "name": "A\nB"}},
    ],
)
def test_names_and_numbers_must_be_one_line(changes):
    # They end up in email headers (the subject): a line break there would be header injection.
    with pytest.raises(ValueError, match="one line"):
        form(**changes)


def test_a_restarted_workflow_asks_again_and_the_earlier_links_stop_working():
    # A request awaiting the commander when its workflow was lost (the local stack restarted)
    store, clock = InMemoryReleaseStore(), FixedClock(NOW)
    first = _awaiting(store, clock)
    request_id = first.request.request_id
    # When its workflow is started again
    assert release_flow.restart(store, clock, request_id, "the local stack restarted") is True
    # Then it is pending again, the rules already applied, and the history says why
    restarted = store.get(request_id)
    assert restarted.status is ReleaseStatus.PENDING and restarted.links is None
    assert "the local stack restarted" in restarted.history[-1].note
    assert release_flow.validate(store, clock, request_id).status is ReleaseStatus.PENDING
    # And the links of the lost round are refused, the new round's decide it
    again = release_flow.open_round(store, clock, request_id, "commander", "cmdr@example.gov", 3600)
    with pytest.raises(LinkRefused, match="newer links"):
        release_flow.decide(store, clock, first.approve, COMMANDER, letter_on_file=True)
    assert release_flow.decide(store, clock, again.approve, COMMANDER, letter_on_file=True).status is (
        ReleaseStatus.APPROVED
    )


def test_a_received_request_restarts_as_it_is_and_a_decided_one_is_not_restarted():
    store, clock = InMemoryReleaseStore(), FixedClock(NOW)
    received = release_flow.file_request(store, clock, STAFF, form())
    assert release_flow.restart(store, clock, received.request_id, "restarted") is True
    assert store.get(received.request_id).status is ReleaseStatus.RECEIVED
    refused = release_flow.file_request(store, clock, STAFF, form(jurisdiction="other_state"))
    release_flow.validate(store, clock, refused.request_id)
    assert release_flow.restart(store, clock, refused.request_id, "restarted") is False
    assert store.get(refused.request_id).status is ReleaseStatus.REFUSED


def test_an_approved_request_whose_fulfilment_was_lost_is_recorded_as_failed_with_why():
    store, clock = InMemoryReleaseStore(), FixedClock(NOW)
    opened = _awaiting(store, clock)
    release_flow.decide(store, clock, opened.approve, COMMANDER, letter_on_file=True)
    assert release_flow.restart(store, clock, opened.request.request_id, "the local stack restarted") is False
    failed = store.get(opened.request.request_id)
    assert failed.status is ReleaseStatus.FAILED and "before it was fulfilled" in failed.history[-1].note
