"""The access-log writer's layout and its fake, pure."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from alpr.adapters.access_log import record_key, record_line
from alpr.domain.access import AccessLogUnavailable, AccessRecord
from tests.fakes.access_log import MemoryAccessLog

RECORD = AccessRecord(
    event_id="01JABCDEFGHJKMNPQRSTVWXYZ0",
    time=datetime(2026, 11, 29, 0, 5, 6, 789000, tzinfo=UTC),
    username="ivy",
    full_name="Ivy Investigator",
    organisation="PD",
    role="investigator",
    roles=["investigator"],
    action="reads:search",
    method="GET",
    route="/v1/reads",
    query={"plate": "7ABC123"},
    returned_ids=["01JREAD"],
    returned_count=1,
    purpose_category="homicide",
    case_number="26-001234",
    purpose_text="grey sedan seen leaving the shooting",
    outcome="allowed",
    status=200,
    source_ip="198.51.100.24",
    request_id="req-1",
)


def test_a_record_lives_under_its_utc_day_sorted_by_time() -> None:
    assert (
        record_key(RECORD) == "access-log/dt=2026-11-29/20261129T000506.789Z-01JABCDEFGHJKMNPQRSTVWXYZ0.json"
    )


def test_a_record_is_one_json_line_with_utc_time() -> None:
    line = record_line(RECORD)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    data = json.loads(line)
    assert data["time"] == "2026-11-29T00:05:06.789Z"
    assert AccessRecord.model_validate(data) == RECORD


def test_the_fake_fails_when_told() -> None:
    log = MemoryAccessLog()
    log.write(RECORD)
    log.fail = True
    with pytest.raises(AccessLogUnavailable):
        log.write(RECORD)
    assert log.records == [RECORD]
