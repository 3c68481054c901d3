"""Legal holds and evidence export over HTTP on the local stack: a held read loses its TTL and its
image and crop are locked until released; an export can be fetched and verified; the CLI does both."""

import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import requests
from typer.testing import CliRunner

from alpr.cli.main import app
from alpr.client.http import AlprClient, ApiError, UnitCapture
from alpr.client.search import approve_hold, export_evidence, get_read, hold_read, release_hold, renew_hold
from alpr.demo.synth import render_scene
from alpr.domain.access import Purpose
from alpr.domain.release_bundle import verify_bundle
from alpr.names import HOLD_ID, TTL_ATTRIBUTE, Env, Output
from tests.e2e.test_walking_skeleton import unique_plate

pytestmark = pytest.mark.e2e

TRIAL = Purpose(
    category="homicide",
    case_number="26-000917",
    text="vehicle seen leaving the homicide on Pine St, kept for the preliminary hearing",
)


def test_a_hold_keeps_the_read_and_locks_its_image_until_released(stack, unit, investigator, aws):
    plate = unique_plate()
    image, _ = render_scene(plate, "CA", seed=11)
    unit.upload(
        image, UnitCapture(captured_at=datetime.now(UTC) - timedelta(minutes=3), lat=38.0, lon=-122.1)
    )
    (read,) = investigator.wait_for_plate(plate, count=1, timeout_s=60)
    detective = investigator.with_purpose(TRIAL)
    table = stack.deployment.shared_environment()[Env.READS_TABLE.value]
    dynamodb, s3 = aws("dynamodb"), aws("s3")

    def stored() -> dict:
        return dynamodb.get_item(TableName=table, Key={"read_id": {"S": read["read_id"]}})["Item"]

    def locks() -> set[str]:
        return {
            s3.get_object_legal_hold(Bucket=read["image_bucket"], Key=key)["LegalHold"]["Status"]
            for key in (read["image_key"], read["crop_key"])
        }

    # When the detective holds it for the case
    state = hold_read(detective, read["read_id"])
    # Then the read has no TTL and its image and crop are under legal hold
    assert [h["case_number"] for h in state["legal_holds"]] == [TRIAL.case_number]
    assert TTL_ATTRIBUTE not in stored()
    assert locks() == {"ON"}
    assert get_read(detective, read["read_id"])["legal_holds"][0]["reason"] == TRIAL.text
    # And another case cannot release it
    with pytest.raises(ApiError) as refused:
        release_hold(investigator, read["read_id"])
    assert refused.value.status == 404
    # When the case releases it, the read is back on its schedule and the objects unlocked
    state = release_hold(detective, read["read_id"])
    assert state["legal_holds"] == [] and state["expires_at"] == read["expires_at"]
    assert int(stored()[TTL_ATTRIBUTE]["N"]) == read["expires_at"]
    assert locks() == {"OFF"}


def test_an_auditor_cannot_hold_a_read(stack):
    auditor = AlprClient(stack.api_url, stack.token("auditor"), purpose=TRIAL)
    with pytest.raises(ApiError) as refused:
        hold_read(auditor, "01KB2Z8G3M4N5P6Q7R8S9T0V1W")
    assert refused.value.status == 403


def test_reads_booked_into_evidence_can_be_fetched_and_verified(stack, unit, investigator, aws):
    plate = unique_plate()
    image, _ = render_scene(plate, "CA", seed=12)
    unit.upload(
        image, UnitCapture(captured_at=datetime.now(UTC) - timedelta(minutes=2), lat=38.0, lon=-122.1)
    )
    (read,) = investigator.wait_for_plate(plate, count=1, timeout_s=60)
    receipt = export_evidence(investigator.with_purpose(TRIAL), [read["read_id"]])
    assert receipt["read_ids"] == [read["read_id"]] and receipt["case_number"] == TRIAL.case_number
    archive = requests.get(receipt["bundle_url"], timeout=30).content
    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
        files = {name: bundle.read(name) for name in bundle.namelist()}
    assert verify_bundle(files) == []
    assert files[f"images/{read['read_id']}.jpg"] == image
    s3 = aws("s3")
    held = s3.get_object_legal_hold(Bucket=receipt["bucket"], Key=receipt["prefix"] + "bundle.zip")
    assert held["LegalHold"]["Status"] == "ON"


def test_the_cli_holds_exports_and_releases_a_read(stack, unit, investigator):
    plate = unique_plate()
    image, _ = render_scene(plate, "CA", seed=13)
    unit.upload(
        image, UnitCapture(captured_at=datetime.now(UTC) - timedelta(minutes=1), lat=38.0, lon=-122.1)
    )
    (read,) = investigator.wait_for_plate(plate, count=1, timeout_s=60)
    stated = ["--api", stack.api_url, "--token", stack.token("investigator"), "--purpose", TRIAL.category]
    stated += ["--case", TRIAL.case_number, "--reason", TRIAL.text]
    runner = CliRunner()
    held = runner.invoke(app, ["search", "hold", read["read_id"], *stated])
    assert held.exit_code == 0, held.output
    assert f"held for case(s) {TRIAL.case_number}" in held.output
    exported = runner.invoke(app, ["search", "export", read["read_id"], *stated])
    assert exported.exit_code == 0, exported.output
    assert f"for case {TRIAL.case_number}: 1 read(s)" in exported.output
    released = runner.invoke(app, ["search", "hold", read["read_id"], "--release", *stated])
    assert released.exit_code == 0, released.output
    assert "back on its retention schedule" in released.output


def test_a_supervisor_approves_a_hold_and_its_holder_renews_it_over_http(stack, unit, investigator, aws):
    plate = unique_plate()
    image, _ = render_scene(plate, "CA", seed=17)
    unit.upload(
        image, UnitCapture(captured_at=datetime.now(UTC) - timedelta(minutes=2), lat=38.0, lon=-122.1)
    )
    (read,) = investigator.wait_for_plate(plate, count=1, timeout_s=60)
    detective = investigator.with_purpose(TRIAL)
    (hold,) = hold_read(detective, read["read_id"])["legal_holds"]
    assert hold["approved_by"] is None and hold["review_at"]
    holds_table = stack.outputs()[Output.HOLDS_TABLE.value]
    register = aws("dynamodb").get_item(TableName=holds_table, Key={HOLD_ID: {"S": hold["hold_id"]}})["Item"]
    assert register["state"]["S"] == "pending" and register["read_id"]["S"] == read["read_id"]
    # The holder may not approve it; a supervisor does
    with pytest.raises(ApiError) as refused:
        approve_hold(detective, hold["hold_id"])
    assert refused.value.status == 403
    supervisor = AlprClient(stack.api_url, stack.token("supervisor"))
    approved = approve_hold(supervisor, hold["hold_id"])
    assert (approved["state"], approved["approved_by"]) == ("approved", "supervisor")
    # The supervisor may not renew it; the holder does, for its case
    with pytest.raises(ApiError) as refused:
        renew_hold(supervisor.with_purpose(TRIAL), hold["hold_id"])
    assert refused.value.status == 403
    renewed = renew_hold(detective, hold["hold_id"])
    assert renewed["review_at"] > approved["review_at"]
    events = [e["action"] for e in get_read(detective, read["read_id"])["hold_history"]]
    assert events == ["placed", "approved", "renewed"]
    release_hold(detective, read["read_id"])
