"""The release approval, end to end on moto in-process: the real ASL from the synthesized
template, executed by moto's Step Functions, its Lambda tasks running our handlers, the
emails through SESv2, the task token sealed with KMS, the link key from Secrets Manager.

The template is deployed with the local runtime's own deployer (so its creators for the
state machine, the secret and the SES identity are exercised too); the decisions are
taken through `release_service.decide`, as the API route does. The HTTP routes (sign-in,
gate) are covered by tests/e2e/test_release_e2e.py.
"""

from __future__ import annotations

import email
import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from alpr.domain.errors import Forbidden
from alpr.domain.links import LinkRefused
from alpr.domain.models import BoundingBox, Caller, Read
from alpr.domain.release import ReleaseStatus
from alpr.domain.release_bundle import verify_bundle
from alpr.local import moto_patches
from alpr.local.deploy import Deployer
from alpr.local.template import Template, template_path
from alpr.names import ACCESS_LOG_PREFIX, Env
from alpr.services import release as release_service
from alpr.services.container import container, use

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
BASE_URL = "https://api.example.test/prod"
LETTER = "letters/x/letter.pdf"
RECORDS = Caller(username="records", groups=frozenset({"records"}))
COMMANDER = Caller(username="commander", groups=frozenset({"commander"}))
INVESTIGATOR = Caller(username="investigator", groups=frozenset({"investigator"}))
LINK = re.compile(r"^(APPROVE|DENY):\s+(\S+)$", re.MULTILINE)


@pytest.fixture(scope="module")
def deployed() -> Iterator[dict[str, Any]]:
    """The synthesized stack in moto, Step Functions executing, our handlers in-process.

    Deployed once for the module (about 7 s); every test files its own request and looks only
    at the emails about it.
    """
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from _deploy(monkeypatch)


def _deploy(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "alpr-test",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        moto_patches.install(ROOT / "functions")
        try:
            template = Template.load(template_path(ROOT / "cdk.out"))
            deployment = Deployer(template, endpoint_url=None, region=REGION).deploy()  # type: ignore[arg-type]
            for key, value in deployment.shared_environment().items():
                monkeypatch.setenv(key, value)
            monkeypatch.setenv(Env.MODELS_DIR.value, str(ROOT / "layers" / "models"))
            monkeypatch.setenv(Env.WEB_BASE_URL.value, BASE_URL)  # where the decision links point
            use(None)
            # The written request every filed request names (approval needs it on file).
            container().release_bucket.put(LETTER, b"%PDF-1.4 the agency's letter", "application/pdf")
            yield {"deployment": deployment, "s3": boto3.client("s3", region_name=REGION)}
        finally:
            moto_patches.uninstall()
            use(None)


def form(**changes: Any) -> dict[str, Any]:
    """The sample written request (events/release/request_form.json), with `changes`."""
    return {**json.loads((ROOT / "events" / "release" / "request_form.json").read_text()), **changes}


def put_read(
    s3: Any, plate: str, when: datetime, image: bytes, lat: float = 38.0194, lon: float = -122.1341
) -> str:
    """A read as recognize stores it, with its image; returns its id."""
    from alpr.domain.reads import cell_day, time_key

    uploads = container().granted("uploads_bucket")
    read_id = f"01JD{uuid.uuid4().hex[:22].upper()}".translate(str.maketrans("ILOU", "1100"))
    # Not under raw/: the stack's S3 -> SQS -> recognize wiring would quarantine a fake image.
    key = f"seeded/unit-01/{when:%Y/%m/%d}/{read_id}.jpg"
    s3.put_object(Bucket=uploads, Key=key, Body=image)
    container().read_store.put_read(
        Read(
            read_id=read_id,
            plate=plate,
            confidence=0.95,
            char_confidences=[0.95] * len(plate),
            low_confidence=False,
            captured_at=when,
            captured_key=time_key(when, read_id),
            unit_id="unit-01",
            lat=lat,
            lon=lon,
            cell_day=cell_day(lat, lon, when),
            image_bucket=uploads,
            image_key=key,
            box=BoundingBox(x=10, y=10, w=100, h=30),
            model_version="test",
            expires_at=int((datetime.now(UTC) + timedelta(days=365)).timestamp()),
            ingested_at=when,
        )
    )
    return read_id


def seed_reads(s3: Any) -> tuple[list[str], bytes]:
    """Two reads of 7ABC123 in the window, one outside it, one of another plate; with images."""
    image = b"\xff\xd8\xff\xe0" + uuid.uuid4().bytes * 64
    kept = [
        put_read(s3, "7ABC123", datetime(2026, 11, 10, 8, 0, tzinfo=UTC), image),
        put_read(s3, "7ABC123", datetime(2026, 11, 12, 9, 30, tzinfo=UTC), image),
    ]
    put_read(s3, "7ABC123", datetime(2026, 10, 1, 9, 30, tzinfo=UTC), image)  # before the window
    put_read(s3, "8XYZ999", datetime(2026, 11, 10, 8, 0, tzinfo=UTC), image)  # not asked for
    return sorted(kept), image


def sent_messages() -> list[Message]:
    backend = ses_backends[DEFAULT_ACCOUNT_ID][REGION]
    return [email.message_from_string(m.raw_data) for m in backend.sent_messages if hasattr(m, "raw_data")]


def wait_for_mail(to: str, about: str, count: int = 1, timeout_s: float = 20.0) -> list[Message]:
    """Emails to `to` whose subject names request `about`."""
    deadline = time.monotonic() + timeout_s
    while True:
        mine = [m for m in sent_messages() if to in str(m["To"]) and about in str(m["Subject"])]
        if len(mine) >= count or time.monotonic() > deadline:
            assert len(mine) >= count, f"expected {count} emails to {to}, got {len(mine)}"
            return mine
        time.sleep(0.1)


def text_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text part")


def links_in(message: Message) -> dict[str, str]:
    """{"APPROVE": token, "DENY": token} from the email's text."""
    return {verb: release_service.token_of(url) for verb, url in LINK.findall(text_of(message))}


def wait_for_status(request_id: str, *statuses: ReleaseStatus, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        view = release_service.get_request(request_id)
        if view.status in statuses or time.monotonic() > deadline:
            assert view.status in statuses, f"{request_id} is {view.status}, expected {statuses}"
            return view
        time.sleep(0.1)


def execution_status(arn: str, timeout_s: float = 30.0) -> str:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    deadline = time.monotonic() + timeout_s
    while True:
        status: str = sfn.describe_execution(executionArn=arn)["status"]
        if status != "RUNNING" or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def file(form_data: dict[str, Any]) -> Any:
    from alpr.domain.release import RequestForm

    return release_service.file_request(
        RECORDS, RequestForm.model_validate({"letter_key": LETTER, **form_data}), letter_ticketed=True
    )


def test_approve_path_releases_exactly_the_reads_in_scope_verified_by_hash(deployed):
    # Given reads of the plate asked for, inside and outside the window, and of another plate
    kept, image = seed_reads(deployed["s3"])
    # When records staff file a request from a California sheriff
    filed = file(form(letter_key=LETTER))
    assert filed.status is ReleaseStatus.RECEIVED
    # Then the commander gets an email with two signed links (and no task token)
    (message,) = wait_for_mail("commander@", filed.request_id)
    assert filed.request_id in str(message["Subject"])
    links = links_in(message)
    assert set(links) == {"APPROVE", "DENY"}
    assert all(token.startswith(f"{filed.request_id}.") for token in links.values())
    assert "Token" not in text_of(message) and "AAAA" not in links["APPROVE"]
    assert (
        wait_for_status(filed.request_id, ReleaseStatus.AWAITING_COMMANDER).status
        is ReleaseStatus.AWAITING_COMMANDER
    )
    # When the commander approves
    decided = release_service.decide(links["APPROVE"], COMMANDER)
    assert decided.status is ReleaseStatus.APPROVED
    # Then the workflow fulfils it: exactly the two reads in scope, hashes verified
    view = wait_for_status(filed.request_id, ReleaseStatus.FULFILLED)
    assert execution_status(container().release_store.get(filed.request_id).execution_arn) == "SUCCEEDED"
    manifest = view.manifest
    assert manifest is not None and manifest.read_ids == kept
    s3 = deployed["s3"]
    files = {
        key.removeprefix(manifest.prefix): s3.get_object(Bucket=manifest.bucket, Key=key)["Body"].read()
        for key in container().release_bucket.list(manifest.prefix)
        if not key.endswith("bundle.zip")
    }
    assert verify_bundle(files) == []
    assert {f"images/{read_id}.jpg" for read_id in kept} <= set(files)
    assert all(files[f"images/{read_id}.jpg"] == image for read_id in kept)
    # The record on file keeps every hash, the manifest file's own included (it anchors the bundle)
    on_file = {e.path: e.sha256 for e in manifest.files}
    assert on_file.pop("manifest.json") == hashlib.sha256(files["manifest.json"]).hexdigest()
    assert on_file == {e["path"]: e["sha256"] for e in json.loads(files["manifest.json"])["files"]}
    # And the disclosure is in the access log, naming who received what under which request
    log_bucket = container().granted("access_log_bucket")
    records = [
        json.loads(s3.get_object(Bucket=log_bucket, Key=o["Key"])["Body"].read())
        for o in s3.list_objects_v2(Bucket=log_bucket, Prefix=ACCESS_LOG_PREFIX).get("Contents", [])
    ]
    (disclosure,) = [
        r for r in records if r["action"] == "release:disclose" and r["request_id"] == filed.request_id
    ]
    assert disclosure["request_id"] == filed.request_id and sorted(disclosure["returned_ids"]) == kept
    assert disclosure["query"]["recipient_agency"] == "Contra Costa County Sheriff's Office"
    assert disclosure["username"] == "commander" and disclosure["case_number"] == "26-004512"
    # And the requester gets an expiring link to the bundle
    (told,) = wait_for_mail("areyes@", filed.request_id)
    assert "approved" in text_of(told) and "X-Amz-Expires" in text_of(told)
    # And every step is on file
    assert [c.status for c in view.history] == [
        ReleaseStatus.RECEIVED,
        ReleaseStatus.PENDING,
        ReleaseStatus.AWAITING_COMMANDER,
        ReleaseStatus.APPROVED,
        ReleaseStatus.FULFILLED,
    ]


def test_an_area_request_releases_the_reads_inside_the_circle_and_window_only(deployed):
    # Given reads around a place: inside the circle, just outside it (same cells), and too early
    s3, image, when = deployed["s3"], b"\xff\xd8area", datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
    inside = sorted(
        [
            put_read(s3, "4AAA001", when, image, lat=37.9010, lon=-122.0500),  # ~110 m from the centre
            put_read(
                s3, "4AAA002", when + timedelta(hours=3), image, lat=37.9000, lon=-122.0520
            ),  # ~175 m, next day
        ]
    )
    put_read(s3, "4AAA003", when, image, lat=37.9045, lon=-122.0500)  # ~500 m: outside the 300 m circle
    put_read(
        s3, "4AAA001", datetime(2026, 10, 20, tzinfo=UTC), image, lat=37.9010, lon=-122.0500
    )  # too early
    area = {"lat": 37.9, "lon": -122.05, "radius_m": 300}
    filed = file(form(scope={"area": area, "start": "2026-11-15T00:00:00Z", "end": "2026-11-25T00:00:00Z"}))
    # When the commander approves
    release_service.decide(links_in(wait_for_mail("commander@", filed.request_id)[0])["APPROVE"], COMMANDER)
    # Then exactly the reads inside the circle and the window are released
    view = wait_for_status(filed.request_id, ReleaseStatus.FULFILLED)
    assert view.manifest is not None and view.manifest.read_ids == inside


def test_a_failed_fulfilment_is_recorded_and_nothing_is_released(deployed):
    # Given a damaged item among the plate's reads (a read the bundle could not describe)
    plate = "5FAIL" + uuid.uuid4().hex[:3].upper()
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName=container().granted("reads_table"),
        Item={
            "read_id": {"S": "01JDBAD0000000000000000000"},
            "plate": {"S": plate},
            "captured_key": {"S": "2026-11-10T08:00:00.000Z#01JDBAD0000000000000000000"},
        },
    )
    filed = file(form(scope={**form()["scope"], "plates": [plate]}))
    # When the commander approves
    release_service.decide(links_in(wait_for_mail("commander@", filed.request_id)[0])["APPROVE"], COMMANDER)
    # Then the request says the workflow failed, and why; the execution fails; nothing is released
    view = wait_for_status(filed.request_id, ReleaseStatus.FAILED)
    assert "ValidationError" in view.history[-1].note
    assert execution_status(container().release_store.get(filed.request_id).execution_arn) == "FAILED"
    assert view.manifest is None and container().release_bucket.list(f"bundles/{filed.request_id}/") == []


def test_deny_path_records_the_reason_and_tells_the_requester(deployed):
    filed = file(form())
    links = links_in(wait_for_mail("commander@", filed.request_id)[0])
    wait_for_status(filed.request_id, ReleaseStatus.AWAITING_COMMANDER)
    release_service.decide(links["DENY"], COMMANDER, "No connection to the case was shown")
    view = wait_for_status(filed.request_id, ReleaseStatus.DENIED)
    assert execution_status(container().release_store.get(filed.request_id).execution_arn) == "SUCCEEDED"
    assert view.decision is not None and view.decision.reason == "No connection to the case was shown"
    assert view.manifest is None and container().release_bucket.list(f"bundles/{filed.request_id}/") == []
    told = text_of(wait_for_mail("areyes@", filed.request_id)[0])
    assert "denied" in told and "No connection to the case was shown" in told


def test_replayed_forged_and_unauthorised_decisions_are_refused(deployed):
    filed = file(form())
    links = links_in(wait_for_mail("commander@", filed.request_id)[0])
    wait_for_status(filed.request_id, ReleaseStatus.AWAITING_COMMANDER)
    # Not a commander: refused, nothing changes
    with pytest.raises(Exception, match="commander or designee"):
        release_service.decide(links["APPROVE"], INVESTIGATOR)
    # Forged: a deny link turned into an approval
    request_id, _, expiry, nonce, mac = links["DENY"].split(".")
    with pytest.raises(LinkRefused, match="signature"):
        release_service.decide(".".join((request_id, "approve", expiry, nonce, mac)), COMMANDER)
    assert release_service.get_request(filed.request_id).status is ReleaseStatus.AWAITING_COMMANDER
    # Approved once, then the same link again, and the other link of the pair
    release_service.decide(links["APPROVE"], COMMANDER)
    with pytest.raises(LinkRefused, match="already used"):
        release_service.decide(links["APPROVE"], COMMANDER)
    with pytest.raises(LinkRefused, match="already used"):
        release_service.decide(links["DENY"], COMMANDER, "changed my mind")
    assert wait_for_status(filed.request_id, ReleaseStatus.FULFILLED).decision.decision == "approve"


@pytest.fixture
def two_second_decisions(deployed, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(Env.RELEASE_DECISION_SECONDS.value, "2")
    use(None)
    yield
    monkeypatch.undo()
    use(None)


def test_no_decision_escalates_to_the_designee_then_expires(deployed, two_second_decisions):
    # Given a decision time of 2 s (3 days in the cloud; the same ASL, TimeoutSecondsPath)
    filed = file(form())
    commander_links = links_in(wait_for_mail("commander@", filed.request_id)[0])
    # When nobody decides, then the designee gets fresh links
    designee_links = links_in(wait_for_mail("designee@", filed.request_id, timeout_s=15)[0])
    assert designee_links != commander_links
    wait_for_status(filed.request_id, ReleaseStatus.AWAITING_DESIGNEE, ReleaseStatus.NO_DECISION)
    # And the commander's old link no longer works (expired, or superseded by the designee's round)
    with pytest.raises(LinkRefused):
        release_service.decide(commander_links["APPROVE"], COMMANDER)
    # When the designee does not decide either, then the request closes as no_decision
    view = wait_for_status(filed.request_id, ReleaseStatus.NO_DECISION, timeout_s=15)
    assert view.rule is not None and "no approval" in view.rule
    assert execution_status(container().release_store.get(filed.request_id).execution_arn) == "SUCCEEDED"
    assert [c.status for c in view.history][-3:] == [
        ReleaseStatus.AWAITING_COMMANDER,
        ReleaseStatus.AWAITING_DESIGNEE,
        ReleaseStatus.NO_DECISION,
    ]
    # And an expired link is refused as expired
    with pytest.raises(LinkRefused, match="expired"):
        release_service.decide(designee_links["APPROVE"], COMMANDER)
    assert "closed without a decision" in text_of(wait_for_mail("areyes@", filed.request_id)[0])


def test_the_escalated_round_is_for_the_configured_designee(
    deployed, two_second_decisions, monkeypatch: pytest.MonkeyPatch
):
    # Given a designee named in the deployment's context (alpr_designee_username)
    monkeypatch.setenv(Env.DESIGNEE_USERNAME.value, "lpark")
    use(None)
    filed = file(form())
    wait_for_mail("commander@", filed.request_id)
    # When the commander does not decide in time, then the designee's links are for the designee alone
    designee_links = links_in(wait_for_mail("designee@", filed.request_id, timeout_s=15)[0])
    with pytest.raises(Forbidden, match="designee 'lpark'"):
        release_service.check_link(designee_links["APPROVE"], COMMANDER)
    designee = Caller(username="lpark", groups=frozenset({"commander"}))
    assert release_service.check_link(designee_links["APPROVE"], designee).link.decision == "approve"


@pytest.mark.parametrize(
    ("changes", "status", "cited"),
    [
        (
            {"jurisdiction": "other_state", "agency_name": "Reno Police Department"},
            ReleaseStatus.REFUSED,
            "1798.90.55(b)",
        ),
        (
            {"jurisdiction": "federal", "agency_name": "A federal task force"},
            ReleaseStatus.REFUSED,
            "2023-DLE-06",
        ),
        (
            {"jurisdiction": "private", "agency_type": "other", "agency_name": "Repo Co."},
            ReleaseStatus.REFUSED,
            "1798.90.55(b)",
        ),
        (
            {"agency_type": "other", "agency_name": "City Parking Division"},
            ReleaseStatus.ROUTED_TO_RECORDS,
            "Records Maintenance",
        ),
        ({"purpose": ""}, ReleaseStatus.REFUSED, "intended purpose"),
    ],
)
def test_the_workflow_refuses_or_routes_with_the_rule_cited_and_no_one_is_asked(
    deployed, changes, status, cited
):
    filed = file(form(**changes))
    view = wait_for_status(filed.request_id, status)
    assert view.rule is not None and cited in view.rule
    assert execution_status(container().release_store.get(filed.request_id).execution_arn) == "SUCCEEDED"
    told = text_of(wait_for_mail("areyes@", filed.request_id)[0])
    assert cited in told
    assert not [
        m for m in sent_messages() if "commander@" in str(m["To"]) and filed.request_id in str(m["Subject"])
    ]


def test_the_sample_events_go_through_their_handlers_as_they_are(deployed):
    # Given a request on file under the samples' id (events/release_*/)
    from alpr.domain import release_flow
    from alpr.domain.release import ReleaseRequest, RequestForm
    from tests.integration.conftest import FakeContext, load_event, load_handler

    validate = load_event("release_record/validate.json")
    request_id = validate["request_id"]
    now = datetime.now(UTC)
    request = ReleaseRequest(
        request_id=request_id,
        received_at=now,
        received_by="records",
        form=RequestForm.model_validate(form()),
        status=ReleaseStatus.RECEIVED,
        history=[],
    )
    request.change(ReleaseStatus.RECEIVED, now, "records")
    container().release_store.create(request)
    record, notify, fulfil = (load_handler(f) for f in ("release_record", "release_notify", "release_fulfil"))
    context = FakeContext()

    # When each step's sample event is handled, as the state machine would send it
    assert record.lambda_handler(validate, context)["outcome"] == "pending"
    asked = notify.lambda_handler(load_event("release_notify/ask_commander.json"), context)
    assert asked["sent_to"] == "commander@example.gov"
    assert container().release_store.task_token(request_id) not in (None, b"")  # sealed, not plain
    links = links_in(wait_for_mail("commander@", request_id)[0])
    assert all(u.startswith(f"{request_id}.") for u in links.values())
    from alpr.domain.links import verify

    release_flow.decide(
        container().release_store,
        container().clock,
        verify(links["APPROVE"], container().link_key(), now),
        COMMANDER,
        letter_on_file=True,
    )
    assert fulfil.lambda_handler(load_event("release_fulfil/fulfil.json"), context)["status"] == "fulfilled"
    told = notify.lambda_handler(load_event("release_notify/tell_requester.json"), context)
    assert told["status"] == "fulfilled"
    # Then a late expiry does not reopen a fulfilled request
    assert record.lambda_handler(load_event("release_record/expire.json"), context)["status"] == "fulfilled"
    assert b"example" not in container().release_store.task_token(request_id)


def test_a_request_whose_workflow_cannot_start_stays_on_file_saying_why(deployed, monkeypatch):
    # Given a state machine that does not exist (a misconfigured deployment)
    monkeypatch.setenv(
        Env.RELEASE_STATE_MACHINE.value, "arn:aws:states:us-east-1:123456789012:stateMachine:gone"
    )
    use(None)
    try:
        # When a request is filed, then the caller gets the error
        with pytest.raises(Exception, match=r"gone|does not exist|StateMachineDoesNotExist"):
            file(form())
        # And the request is on file as failed, with the reason
        (latest,) = release_service.list_requests(ReleaseStatus.FAILED)[:1]
        request = release_service.get_request(latest.request_id)
        assert "workflow not started" in request.history[-1].note
    finally:
        monkeypatch.undo()
        use(None)
