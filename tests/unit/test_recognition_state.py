"""Reading the issuing state from the words printed on a plate."""

import pytest

from alpr.demo.synth import render_scene
from alpr.recognition import Engine, decode_image
from alpr.recognition.state import STATE_WORDS, match_state


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("California", "CA"),
        ("CALIFORNLA", "CA"),  # one misread letter
        ("dmv.ca.gov", "CA"),
        ("West Virginia", "WV"),
        ("Virginia", "VA"),
        ("Arkansas", "AR"),
        ("Kansas", "KS"),
        ("Land of Lincoln", "IL"),
        ("* NEW YORK *", "NY"),
        ("Garden State", "NJ"),
    ],
)
def test_state_names_and_slogans_are_matched(text: str, state: str) -> None:
    found = match_state(text)
    assert found is not None and found[0] == state


@pytest.mark.parametrize("text", ["", "xx", "7ABC123", "DEALER SERVICE", "2014-06-11"])
def test_unrelated_text_names_no_state(text: str) -> None:
    assert match_state(text) is None


def test_every_state_and_dc_is_covered() -> None:
    assert len(STATE_WORDS) == 51
    for code, phrases in STATE_WORDS.items():
        found = match_state(phrases[0])
        assert found is not None and found[0] == code, phrases[0]


@pytest.mark.parametrize(
    ("plate", "state", "seed"), [("7ABC123", "CA", 3), ("KXJ4821", "NY", 12), ("AB1234", "IL", 2)]
)
def test_engine_reads_the_state_of_rendered_plates(plate: str, state: str, seed: int) -> None:
    engine = Engine.load(threads=1)
    data, _ = render_scene(plate, state, seed=seed)
    best = engine.read(decode_image(data))[0]
    assert (best.text, best.state) == (plate, state)
