"""Hotlists on moto: import through the handler, matching stored reads into alerts (table + SNS),
local entries with retro-match and alerts with dispositions through the API handler."""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alpr.demo.hotlist import fresh_sample
from alpr.domain.alerts import CLETS_LINE
from alpr.domain.models import Read
from alpr.names import (
    Env,
    Group,
)
from alpr.services import hotlist as hotlist_service
from alpr.services.container import container, use
from tests.integration.conftest import (
    REGION,
    FakeContext,
    Stack,
    access_records,
    create_hotlist_tables,
    load_event,
    load_handler,
)
from tests.integration.gate_support import GOOD_PURPOSE, call, event, person
from tests.unit.test_search import a_read

SAMPLE = Path(__file__).resolve().parents[2] / "events" / "hotlist" / "ncic_sample.txt"
NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class Hotlists:
    stack: Stack
    bucket: str
    table: str
    alerts_table: str
    queue_url: str
    sqs: Any
    queue_arn: str = ""

    def messages(self) -> list[dict[str, Any]]:
        """What SNS delivered to the test's subscription (raw JSON envelopes)."""
        got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in got.get("Messages", [])]


@pytest.fixture
def hotlists(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hotlists]:
    """The Hotlist and Alerts tables (keys and indexes as in infra/storage.py), the hotlist bucket,
    the alerts topic with a queue subscribed to it."""
    import boto3

    suffix = uuid.uuid4().hex[:8]
    load_sample_bucket = json.loads((SAMPLE.parent / "s3_object_created.json").read_text())
    bucket = load_sample_bucket["Records"][0]["s3"]["bucket"]["name"]
    names = Hotlists(stack, bucket, f"hotlist-{suffix}", f"alerts-{suffix}", "", None)
    create_hotlist_tables(stack.dynamodb, names.table, names.alerts_table)
    stack.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    sns = boto3.client("sns", region_name=REGION)
    names.sqs = boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name=f"alerts-{suffix}")["TopicArn"]
    names.queue_url = names.sqs.create_queue(QueueName=f"alerts-{suffix}")["QueueUrl"]
    queue_arn = names.sqs.get_queue_attributes(QueueUrl=names.queue_url, AttributeNames=["QueueArn"])
    names.queue_arn = queue_arn["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=names.queue_arn)
    for key, value in {
        Env.HOTLIST_TABLE: names.table,
        Env.ALERTS_TABLE: names.alerts_table,
        Env.HOTLIST_BUCKET: bucket,
        Env.ALERTS_TOPIC: topic,
    }.items():
        monkeypatch.setenv(key, value)
    use(None)
    yield names
    use(None)


def sample() -> bytes:
    """The sample extract, extracted two hours ago (its line 1 would otherwise age with the calendar)."""
    with tempfile.TemporaryDirectory() as tmp:
        return fresh_sample(Path(tmp), NOW - timedelta(hours=2)).read_bytes()


def import_sample(names: Hotlists, body: bytes | None = None) -> dict[str, Any]:
    """Drop the sample extract (or `body`) where the sample S3 event says and run the import handler."""
    s3_event = load_event("hotlist/s3_object_created.json")
    key = s3_event["Records"][0]["s3"]["object"]["key"]
    names.stack.s3.put_object(Bucket=names.bucket, Key=key, Body=body if body is not None else sample())
    response = load_handler("hotlist_import").lambda_handler(s3_event, FakeContext())
    report = names.stack.s3.get_object(Bucket=names.bucket, Key=f"reports/{key}.json")["Body"].read()
    return {"response": response, "report": json.loads(report)}


def test_the_sample_extract_imports_through_the_handler(hotlists: Hotlists) -> None:
    # When the sample S3 event runs the import handler on the sample extract
    result = import_sample(hotlists)
    # Then the file is imported whole, the refused category and the expired entry counted
    assert result["response"] == {
        "imports": [{"key": "incoming/NCIC/ncic_sample.txt", "outcome": "imported"}]
    }
    report = result["report"]
    assert (report["source"], report["imported"], report["refused"], report["expired"]) == (
        "NCIC",
        8,
        {"immigration_violator": 1},
        1,
    )
    (version,) = container().hotlist_store.current_versions()
    assert version.version == report["version"] and version.entries == 8
    assert version.snapshot_key and container().hotlist_store.get_snapshot(version.snapshot_key)


def test_a_malformed_extract_is_rejected_whole_and_the_current_list_stays(hotlists: Hotlists) -> None:
    first = import_sample(hotlists)["report"]
    broken = sample().decode().replace("V|4GHK771|CA|", "V|4GHK 77#1|CA|") + "Q|7ABC123\n"
    result = import_sample(hotlists, broken.encode())["report"]
    assert result["outcome"] == "rejected"
    assert [e.split(":")[0] for e in result["errors"]] == ["line 5", "line 18"]
    latin1 = import_sample(hotlists, sample().replace(b"HOND", "HÖND".encode("latin-1")))["report"]
    assert latin1["outcome"] == "rejected" and latin1["errors"] == [
        "line 4: not UTF-8 text (save the file as UTF-8)"
    ]
    (version,) = container().hotlist_store.current_versions()
    assert version.version == first["version"]


def stored(*reads: Read) -> None:
    for read in reads:
        container().read_store.put_read(read)


def test_a_stored_read_on_a_list_becomes_an_alert_in_the_table_and_on_sns(hotlists: Hotlists) -> None:
    # Given the sample list and a read of a listed stolen vehicle
    import_sample(hotlists)
    read = a_read("6TRJ244", NOW - timedelta(minutes=1))
    stored(read)
    # When the read is matched (as recognize does after storing it)
    hotlist_service.refresh_hotlists()
    (alert,) = hotlist_service.match_reads([read])
    # Then the alert is stored, open, and the officer's message went out with the CLETS line
    kept = container().alert_store.get_alert(alert.alert_id)
    assert kept is not None and kept.status.value == "open" and kept.notified
    assert (kept.plate_read, kept.plate_listed, kept.match.value, kept.source, kept.category.value) == (
        "6TRJ244",
        "6TRJ244",
        "exact",
        "NCIC",
        "stolen_vehicle",
    )
    (message,) = hotlists.messages()
    assert message["Subject"] == f"ALPR alert {alert.alert_id}: stolen vehicle"
    assert CLETS_LINE in message["Message"] and f"/v1/alerts/{alert.alert_id}" in message["Message"]
    # And the notification carries none of the alert's data (plate, unit, place, entry)
    for data in ("6TRJ244", "unit-07", "NCIC", '"lat"'):
        assert data not in message["Subject"] + message["Message"]
    # And its delivery is in the access log: which alert, to whom, when
    (delivery,) = [r for r in access_records(hotlists.stack) if r["action"] == "alerts:notify"]
    assert delivery["returned_ids"] == [alert.alert_id]
    assert delivery["query"]["recipients"] == [f"sqs:{hotlists.queue_arn}"]
    # And the read itself carries the hit (searches return it beside the read)
    kept_read = container().read_store.get_read(read.read_id)
    assert kept_read is not None
    assert [(h["alert_id"], h["source"], h["match"]) for h in kept_read.hotlist_hits] == [
        (alert.alert_id, "NCIC", "exact")
    ]
    # And a redelivered read alerts nobody twice
    assert hotlist_service.match_reads([read]) == []
    assert hotlists.messages() == []


def test_a_read_in_another_state_or_of_an_expired_entry_raises_nothing(hotlists: Hotlists) -> None:
    import_sample(hotlists)
    nevada = a_read("6TRJ244", NOW).model_copy(update={"state": "NV"})
    expired_entry = a_read("1OLD000", NOW)  # on the sample list past its EXP date
    assert hotlist_service.match_reads([nevada, expired_entry]) == []


def api(method: str, path: str, *, body: Any = None, query: dict[str, str] | None = None) -> tuple[int, Any]:
    return call(
        "api",
        event(
            method,
            path,
            username="investigator",
            groups=["investigator"],
            purpose=GOOD_PURPOSE,
            body=body,
            query=query,
        ),
    )


def entry_body(plate: str, **changes: Any) -> dict[str, Any]:
    return {
        "plate": plate,
        "state": "CA",
        "case_number": "26-004512",
        "reason": "shooting at 5th and Main; witness saw the first three characters",
        "expires_at": (NOW + timedelta(days=14)).isoformat().replace("+00:00", "Z"),
    } | changes


def test_a_new_partial_plate_lists_its_earlier_sightings_and_then_alerts(hotlists: Hotlists) -> None:
    # Given reads of two plates that fit 7AB* and one that does not, stored before the entry
    earlier = [
        a_read("7ABC123", NOW - timedelta(days=3)),
        a_read("7ABX990", NOW - timedelta(hours=5)),
        a_read("8ABC123", NOW - timedelta(hours=2)),
    ]
    stored(*earlier)
    # When an investigator enters the partial plate
    status, created = api("POST", "/v1/hotlist/entries", body=entry_body("7ab*"))
    # Then the entry is stored with who entered it, and the earlier sightings come back newest first
    assert status == 200, created
    assert (created["entry"]["plate"], created["entry"]["entered_by"]) == ("7AB*", "investigator")
    assert [r["plate"] for r in created["earlier_sightings"]] == ["7ABX990", "7ABC123"]
    assert set(created["match_kinds"].values()) == {"wildcard"}
    # And the next read that fits raises an alert
    later = a_read("7ABZ001", NOW)
    stored(later)
    (alert,) = hotlist_service.match_reads([later])
    assert (alert.match.value, alert.source, alert.plate_listed) == ("wildcard", "LOCAL", "7AB*")
    # And the entry is listed, then removed
    status, listed = api("GET", "/v1/hotlist/entries")
    assert status == 200 and [e["plate"] for e in listed["items"]] == ["7AB*"]
    assert [s["source"] for s in listed["lists"]] == ["LOCAL"]
    status, _ = api("DELETE", f"/v1/hotlist/entries/{created['entry']['entry_id']}")
    assert status == 200
    hotlist_service.refresh_hotlists()  # recognize's check at its next batch
    assert hotlist_service.match_reads([a_read("7ABZ002", NOW)]) == []
    assert api("DELETE", f"/v1/hotlist/entries/{created['entry']['entry_id']}")[0] == 404


@pytest.mark.timeout(120)
def test_an_entry_broader_than_a_partial_plate_search_may_be_is_refused_and_not_stored(
    hotlists: Hotlists, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 19 item 6: `7A*1` made one query per matching plate and returned them all, where
    # GET /v1/reads/search refuses the same pattern. Given more plates fitting it than the limit
    monkeypatch.setattr("alpr.domain.search.MAX_PATTERN_PLATES", 20)
    stored(*(a_read(f"7A{n:03d}1", NOW - timedelta(hours=1, minutes=n)) for n in range(21)))
    # When an investigator enters it as a local hotlist entry
    status, refused = api("POST", "/v1/hotlist/entries", body=entry_body("7A*1"))
    # Then it is refused like the search, and no entry is stored
    assert status == 400, refused
    assert "matches 21 plates" in refused["message"]
    assert api("GET", "/v1/hotlist/entries")[1]["items"] == []
    # While the same entry with one plate fewer in the dictionary's window is accepted
    monkeypatch.setattr("alpr.domain.search.MAX_PATTERN_PLATES", 21)
    status, created = api("POST", "/v1/hotlist/entries", body=entry_body("7A*1"))
    assert status == 200 and len(created["earlier_sightings"]) == 21


def test_only_the_entrys_creator_or_a_supervisor_removes_it_and_it_keeps_who_did(
    hotlists: Hotlists,
) -> None:
    # Given the investigator's entry, and another investigator of the department
    status, created = api("POST", "/v1/hotlist/entries", body=entry_body("7AB*"))
    assert status == 200, created
    record = container().personnel.get("investigator")
    assert record is not None
    container().personnel.put(record.model_copy(update={"username": "mallory"}))
    entry_id = created["entry"]["entry_id"]
    # When the other investigator removes it: refused, and it stays
    status, _ = call(
        "api",
        event(
            "DELETE",
            f"/v1/hotlist/entries/{entry_id}",
            username="mallory",
            groups=["investigator"],
            purpose=GOOD_PURPOSE,
        ),
    )
    assert status == 403
    assert [e["entry_id"] for e in api("GET", "/v1/hotlist/entries")[1]["items"]] == [entry_id]
    # When a supervisor removes it: gone, and the removal says who
    status, removed = call(
        "api",
        event(
            "DELETE",
            f"/v1/hotlist/entries/{entry_id}",
            username="supervisor",
            groups=["supervisor"],
            purpose=GOOD_PURPOSE,
        ),
    )
    assert status == 200, removed
    assert removed["removed_by"] == "supervisor" and removed["removed_at"]
    assert [e.removed_by for e in container().hotlist_store.removed_entries()] == ["supervisor"]


def test_an_entry_without_expiry_or_past_the_maximum_is_refused(hotlists: Hotlists) -> None:
    body = entry_body("7AB*")
    del body["expires_at"]
    assert api("POST", "/v1/hotlist/entries", body=body)[0] == 422
    status, refused = api(
        "POST",
        "/v1/hotlist/entries",
        body=entry_body("7AB*", expires_at=(NOW + timedelta(days=45)).isoformat().replace("+00:00", "Z")),
    )
    assert status == 400 and "30 days" in refused["message"]


def test_an_alert_is_closed_only_with_a_disposition_by_a_named_user(hotlists: Hotlists) -> None:
    import_sample(hotlists)
    read = a_read("6TRJ244", NOW)
    stored(read)
    (alert,) = hotlist_service.match_reads([read])
    status, page = api("GET", "/v1/alerts")
    assert status == 200 and [a["alert_id"] for a in page["items"]] == [alert.alert_id]
    path = f"/v1/alerts/{alert.alert_id}/disposition"
    # Without a disposition nothing closes
    assert api("POST", path, body={})[0] == 422
    assert api("POST", path, body={"disposition": "closed"})[0] == 422
    assert api("GET", f"/v1/alerts/{alert.alert_id}")[1]["status"] == "open"
    # With one it closes, naming who and when
    status, closed = api(
        "POST", path, body={"disposition": "confirmed_clets", "note": "CLETS: stolen, recovered"}
    )
    assert status == 200, closed
    assert closed["status"] == "closed"
    (disposition,) = closed["dispositions"]
    assert (disposition["disposition"], disposition["by"]) == ("confirmed_clets", "investigator")
    assert api("POST", path, body={"disposition": "dismissed"})[0] == 400
    assert api("GET", "/v1/alerts", query={"status": "closed"})[1]["items"][0]["alert_id"] == alert.alert_id
    assert api("GET", "/v1/alerts")[1]["items"] == []


def test_hits_on_a_list_past_its_age_are_marked_stale(hotlists: Hotlists) -> None:
    # Given the sample extract, extracted 30 hours ago (the limit is 24)
    with tempfile.TemporaryDirectory() as tmp:
        old = fresh_sample(Path(tmp), NOW - timedelta(hours=30)).read_bytes()
    import_sample(hotlists, old)
    # When a listed plate is read
    read = a_read("6TRJ244", NOW)
    stored(read)
    hotlist_service.refresh_hotlists()
    (alert,) = hotlist_service.match_reads([read])
    # Then the alert says the list is stale, and so does the lists' health
    assert alert.stale and 30.0 <= alert.list_age_hours <= 30.2
    assert any(c.startswith("STALE LIST: NCIC") for c in alert.cautions)
    (health,) = hotlist_service.list_sources()
    assert (health["source"], health["stale"]) == ("NCIC", True) and 30.0 <= health["age_hours"] <= 30.2
    # (the notification names the alert only: staleness is read in the alert, signed in)
    (message,) = hotlists.messages()
    assert message["Subject"] == f"ALPR alert {alert.alert_id}: stolen vehicle"


def test_state_and_federal_hit_details_are_shown_only_to_clets_authorised_users(hotlists: Hotlists) -> None:
    # Given a hit on the NCIC list, and a trained investigator with no CLETS authorisation on record
    import_sample(hotlists)
    read = a_read("6TRJ244", NOW)
    stored(read)
    (alert,) = hotlist_service.match_reads([read])
    person("newhire", [Group.INVESTIGATOR], datetime.now(UTC), trained=datetime.now(UTC).date())

    def as_newhire(path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
        request = event(
            "GET", path, username="newhire", groups=["investigator"], purpose=GOOD_PURPOSE, query=query
        )
        status, body = call("api", request)
        assert status == 200, body
        return body

    # When they open the alert, list alerts and search the plate
    seen = as_newhire(f"/v1/alerts/{alert.alert_id}")
    listed = as_newhire("/v1/alerts")["items"][0]
    (found,) = as_newhire("/v1/reads", {"plate": "6TRJ244"})["items"]
    # Then they see that there is a hit and its category, and none of the entry's details
    for shown in (seen, listed):
        assert (shown["alert_id"], shown["category"]) == (alert.alert_id, "stolen_vehicle")
        assert shown["entry_id"] is None and shown["case_number"] is None and shown["vehicle"] is None
        assert shown["plate_listed"] is None and "CLETS authorisation" in shown["details_withheld"]
    (hit,) = found["hotlist_hits"]
    assert hit["category"] == "stolen_vehicle" and "entry_id" not in hit and "plate_listed" not in hit
    # And an investigator with a dated CLETS authorisation sees them
    status, full = api("GET", f"/v1/alerts/{alert.alert_id}")
    assert status == 200 and full["entry_id"] == alert.entry_id and full["case_number"] == "26-004417"
    assert full["details_withheld"] is None
