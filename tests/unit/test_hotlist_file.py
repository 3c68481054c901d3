"""The NCIC-style extract: parsed whole, or rejected whole with line numbers; refused categories counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alpr.domain.clock import FixedClock
from alpr.domain.errors import InvalidRequest
from alpr.domain.hotlist import (
    LOCAL_SOURCE,
    Category,
    HotlistFileRejected,
    ListVersion,
    LocalEntryRequest,
    local_entry,
    parse_hotlist_file,
)

SAMPLE = Path(__file__).resolve().parents[2] / "events" / "hotlist" / "ncic_sample.txt"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
HEAD = "ALPR-HOTLIST|1|NCIC|2026-11-29T06:00:00Z\nFILE|LIC|LIS|NIC|ORI|DOE|EXP\n"


def parse(text: str, **kwargs):
    return parse_hotlist_file(text.splitlines(keepends=True), now=NOW, **kwargs)


def test_the_sample_file_imports_with_every_line_accounted_for():
    parsed = parse(SAMPLE.read_text())
    assert parsed.source == "NCIC"
    assert parsed.refreshed_at == datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
    assert len(parsed.entries) == 8
    assert parsed.refused == {"immigration_violator": 1}
    assert parsed.expired == 1
    stolen = next(e for e in parsed.entries if e.plate == "6TRJ244")
    assert (stolen.category, stolen.state, stolen.vin, stolen.nic, stolen.ori, stolen.case_number) == (
        Category.STOLEN_VEHICLE,
        "CA",
        "1HGCM82633A004352",
        "V260001001",
        "CA0340000",
        "26-004417",
    )
    # An entry is good through its EXP date.
    plate = next(e for e in parsed.entries if e.plate == "7WLS305")
    assert plate.expires_at == datetime(2027, 1, 1, tzinfo=UTC)


def test_refused_categories_come_from_configuration():
    text = HEAD + "V|7ABC123|CA|V1|CA0340000|20261101|\nW|2FAS488|CA|W1|CA0340000|20261101|\n"
    parsed = parse(text, refused=frozenset({Category.WANTED_PERSON}))
    assert [e.plate for e in parsed.entries] == ["7ABC123"]
    assert parsed.refused == {"wanted_person": 1}


def test_a_malformed_file_is_rejected_whole_with_every_bad_line_named():
    text = (
        HEAD
        + "V|7ABC123|CA|V1|CA0340000|20261101|\n"  # line 3: fine
        + "X|7ABC124|CA|V2|CA0340000|20261101|\n"  # line 4: unknown file code
        + "V|7AB*|CA|V3|CA0340000|20261101|\n"  # line 5: not a plate
        + "V|7ABC125|CA|V4|CA0340000|2026-11-01|\n"  # line 6: bad date
        + "V|7ABC126|CAL|V5|CA0340000|20261101|\n"  # line 7: bad state
        + "V|7ABC127|CA|V1|CA0340000|20261101|\n"  # line 8: NIC again
        + "V|7ABC128|CA|V6|CA0340000\n"  # line 9: too few fields
    )
    with pytest.raises(HotlistFileRejected) as rejected:
        parse(text)
    assert [e.split(":")[0] for e in rejected.value.errors] == [f"line {n}" for n in (4, 5, 6, 7, 8, 9)]
    assert "nothing imported" in rejected.value.message
    assert "already on line 3" in rejected.value.errors[4]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("NCIC EXTRACT\n", "line 1"),
        ("ALPR-HOTLIST|1|NCIC|yesterday\n", "not ISO 8601"),
        ("ALPR-HOTLIST|1|NCIC|2026-11-29T06:00:00\n", "no zone"),
        ("ALPR-HOTLIST|1|NCIC|2026-11-29T13:00:00Z\n", "in the future"),
        ("ALPR-HOTLIST|1|NCIC|2026-11-29T06:00:00Z\n", "no column line"),
        ("ALPR-HOTLIST|1|NCIC|2026-11-29T06:00:00Z\nFILE|LIC|NIC|DOE\n", "'ORI' is missing"),
        ("ALPR-HOTLIST|1|NCIC|2026-11-29T06:00:00Z\nFILE|LIC|NIC|ORI|DOE|FOO\n", "unknown column 'FOO'"),
    ],
)
def test_header_problems_reject_the_file(text, says):
    with pytest.raises(HotlistFileRejected) as rejected:
        parse(text)
    assert says in rejected.value.message


def test_the_file_must_name_the_source_it_is_imported_as():
    with pytest.raises(HotlistFileRejected) as rejected:
        parse(HEAD, source="CA-SVS")
    assert "names source 'NCIC'" in rejected.value.message


def test_list_staleness_is_measured_from_the_extraction_time():
    version = ListVersion(
        source="NCIC", version="v", refreshed_at=NOW - timedelta(hours=25), imported_at=NOW, entries=1
    )
    assert version.stale(NOW, timedelta(hours=24))
    assert not version.stale(NOW, timedelta(hours=26))
    local = version.model_copy(update={"source": LOCAL_SOURCE})
    assert not local.stale(NOW, timedelta(hours=24))  # local entries expire one by one instead


def request(**changes) -> LocalEntryRequest:
    fields = {
        "plate": "7ab*",
        "state": "ca",
        "case_number": "26-004512",
        "reason": "shooting at 5th and Main, partial plate from a witness",
        "expires_at": NOW + timedelta(days=7),
    } | changes
    return LocalEntryRequest.model_validate(fields)


def test_a_local_entry_takes_a_pattern_and_who_entered_it():
    made = local_entry(request(), entered_by="investigator", clock=FixedClock(NOW), max_days=30)
    assert (made.plate, made.state, made.source, made.entered_by, made.entered_at) == (
        "7AB*",
        "CA",
        LOCAL_SOURCE,
        "investigator",
        NOW,
    )
    assert made.is_pattern


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"expires_at": NOW + timedelta(days=31)}, "more than 30 days"),
        ({"expires_at": NOW - timedelta(minutes=1)}, "in the future"),
        ({"plate": "7*"}, "at least 3 known"),
        ({"plate": "7AB#1"}, "not a plate"),
        ({"state": "California"}, "two-letter"),
        ({"category": "immigration_violator"}, "refused by configuration"),
    ],
)
def test_local_entries_are_refused_with_the_reason(changes, says):
    with pytest.raises(InvalidRequest) as refused:
        local_entry(request(**changes), entered_by="investigator", clock=FixedClock(NOW), max_days=30)
    assert says in refused.value.message
