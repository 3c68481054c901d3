"""DynamoDB item conversion: floats travel as Decimal and come back as the same numbers."""

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from alpr.adapters.dynamo import from_item, to_item
from alpr.domain.clock import FixedClock
from alpr.domain.models import Capture, Read
from alpr.domain.reads import reads_from_image
from alpr.domain.retention import Retention

# DynamoDB numbers span 1E-130 to 9.99E+125 in magnitude; ours (positions, confidences) sit well inside.
floats = st.floats(min_value=-1e125, max_value=1e125).filter(lambda x: x == 0 or abs(x) > 1e-120)


@given(st.dictionaries(st.text(min_size=1, max_size=5), floats | st.integers(-(2**53), 2**53) | st.none()))
def test_numbers_round_trip(data: dict) -> None:
    # DynamoDB keeps numbers, not their Python type: whole floats may come back as int.
    back = from_item(to_item(data))
    assert back.keys() == data.keys()
    for key, value in data.items():
        if isinstance(value, float):
            assert float(back[key]) == value
        else:
            assert back[key] == value and type(back[key]) is type(value)


class Reading:
    text = "7ABC123"
    confidence = 0.987654321
    char_confidences = (0.91, 0.999, 1.0)
    box = (1, 2, 3, 4)
    state = None
    low_confidence = False


def test_read_round_trips_through_an_item() -> None:
    capture = Capture(
        unit_id="u1", captured_at=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC), lat=38.1, lon=-121.9
    )
    (read,) = reads_from_image(
        capture,
        image_bucket="b",
        image_key="k",
        etag="e",
        readings=[Reading()],
        model_version="m",
        retention=Retention(),
        clock=FixedClock(datetime(2026, 1, 2, 3, 5, tzinfo=UTC)),
    )
    item = to_item(read.model_dump(mode="json"))
    assert item["lat"] == {"N": "38.1"} and item["state"] == {"NULL": True}
    assert Read.model_validate(from_item(item)) == read
