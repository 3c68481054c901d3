"""The plate decoder on hand-made CTC probability arrays."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from alpr.recognition import normalise_plate
from alpr.recognition.decoder import (
    ALPHABET,
    BLANK,
    N_CLASSES,
    SURE_GLYPH,
    Decoded,
    combine,
    contested,
    decode,
    length_prior,
    log_likelihood,
    log_likelihoods,
    needs_second_opinion,
    plate_prior,
    serial_pattern,
    state_serial,
)


def _probs(steps: list[dict[str, float]]) -> np.ndarray:
    """One row per timestep: the given symbols' probabilities, the rest on the blank ('-')."""
    out = np.zeros((len(steps), N_CLASSES), np.float32)
    for t, step in enumerate(steps):
        for sym, p in step.items():
            out[t, BLANK if sym == "-" else ALPHABET.index(sym) + 1] = p
        out[t, BLANK] += 1.0 - out[t].sum()
    return out


def _word(text: str, p: float = 0.98) -> list[dict[str, float]]:
    steps: list[dict[str, float]] = []
    for ch in text:
        steps += [{ch: p}, {ch: p}, {"-": 1.0}]
    return steps


def test_clean_sequence_decodes_exactly_with_repeats_and_blanks() -> None:
    # Given a path "7 7 - A A - A - 1" (repeats collapse, a blank separates the two A's)
    probs = _probs(_word("7AA1"))
    # When decoded
    best = decode(probs)[0]
    # Then the repeated letter survives and confidences are per character
    assert best.text == "7AA1"
    assert len(best.char_confidences) == 4
    assert best.confidence == pytest.approx(0.98**4, rel=1e-3)


def test_confusable_is_resolved_by_the_models_own_probabilities() -> None:
    # Given a position where the model prefers O (0.55) over 0 (0.40)
    steps = [*_word("AB"), {"O": 0.55, "0": 0.4}, {"-": 1.0}, *_word("12")]
    options = decode(_probs(steps))
    # Then O wins, 0 is the runner-up candidate, and the uncertain character carries a low confidence
    assert options[0].text == "ABO12"
    assert options[1].text == "AB012"
    assert options[0].char_confidences[2] == pytest.approx(0.55, abs=1e-3)
    assert options[0].confidence > options[1].confidence


def test_candidates_are_ordered_best_first_and_unique() -> None:
    steps = [*_word("8"), {"B": 0.5, "8": 0.45}, {"-": 1.0}, *_word("XY2"), {"Z": 0.6, "2": 0.35}]
    options = decode(_probs(steps), n_candidates=4)
    texts = [o.text for o in options]
    assert len(texts) == len(set(texts))
    scores = [o.confidence * length_prior(len(o.text)) for o in options]
    assert scores == sorted(scores, reverse=True)
    assert {"8BXY2Z", "88XY2Z", "8BXY22"} <= set(texts)


def test_weak_character_can_be_dropped_as_an_alternative() -> None:
    # Given a spurious character that is barely above the blank
    steps = [*_word("ABC123"), {"7": 0.51}]
    texts = [o.text for o in decode(_probs(steps))]
    assert texts[0] == "ABC1237"
    assert "ABC123" in texts


def test_all_blank_gives_no_reading() -> None:
    assert decode(_probs([{"-": 1.0}] * 10)) == []


def test_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError):
        decode(np.zeros((5, 10), np.float32))


def test_length_prior_prefers_plate_lengths() -> None:
    assert length_prior(7) > length_prior(4) > length_prior(3) > length_prior(2) > length_prior(12)


def test_normalise_strips_everything_but_letters_and_digits() -> None:
    assert normalise_plate(" 7-abc.123 ") == "7ABC123"


def test_plate_prior_prefers_mixed_serials_to_timestamps_and_words() -> None:
    assert plate_prior("7ABC123") > plate_prior("201406")
    assert plate_prior("7ABC123") > plate_prior("NOTICE")
    assert plate_prior("AB1") < plate_prior("AB1234")


def test_plate_prior_doubts_rows_of_thin_strokes() -> None:
    # A grille or fence reads as four or more 1s and Is in a row; three in a plate are fine
    assert plate_prior("H11111") < 0.3 * plate_prior("H12345")
    assert plate_prior("IIII1II") < plate_prior("NOTICE")
    assert plate_prior("4141119") == plate_prior("4141129")


def test_log_likelihood_sums_over_alignments() -> None:
    import numpy as np

    from alpr.recognition.decoder import ALPHABET, log_likelihood

    probs = np.full((6, 37), 0.01 / 36)
    for t, ch in enumerate("A-B-C-"):
        probs[t, 0 if ch == "-" else ALPHABET.index(ch) + 1] = 0.99
    probs /= probs.sum(axis=1, keepdims=True)
    assert np.exp(log_likelihood(probs, "ABC")) > 0.9
    assert log_likelihood(probs, "ABC") > log_likelihood(probs, "A8C") + 5
    assert log_likelihood(probs, "ABC") > log_likelihood(probs, "AB") + 5


def test_combine_lets_a_sure_second_reader_overrule_a_narrowly_wrong_first() -> None:
    # Given a first reader torn between 8 and B (8 slightly ahead) and a second sure of B
    own = _probs([*_word("7A"), {"8": 0.52, "B": 0.46}, {"-": 1.0}, *_word("C123")])
    second = _probs(_word("7ABC123"))
    # When combined with equal weight
    ranked = combine(own, second, 0.5)
    # Then B wins, and the first reader's 8 stays among the alternatives
    assert ranked[0].text == "7ABC123"
    assert "7A8C123" in [o.text for o in ranked]


def test_combine_keeps_the_first_reader_when_the_second_is_unsure() -> None:
    # Given a first reader sure of 8 and a second slightly preferring B
    own = _probs(_word("7A8C123"))
    second = _probs([*_word("7A"), {"B": 0.5, "8": 0.45}, {"-": 1.0}, *_word("C123")])
    # Then the first reader's 8 stands
    assert combine(own, second, 0.5)[0].text == "7A8C123"


def test_combine_weighs_the_readers() -> None:
    # Given two readers that each prefer their own letter by the same margin
    # (neither reading fits a US serial format, so no format bonus tips the balance)
    own = _probs([*_word("7A"), {"8": 0.7, "B": 0.25}, {"-": 1.0}, *_word("C1")])
    second = _probs([*_word("7A"), {"B": 0.7, "8": 0.25}, {"-": 1.0}, *_word("C1")])
    # Then the weight decides, and a reading of nothing proposes nothing
    assert combine(own, second, 0.7)[0].text == "7A8C1"
    assert combine(own, second, 0.3)[0].text == "7ABC1"
    nothing = _probs([{"-": 1.0}] * 6)
    assert combine(nothing, nothing, 0.5) == []


def test_serial_pattern_marks_letters_and_digits() -> None:
    assert serial_pattern("7ABC123") == "9AAA999"
    assert serial_pattern("DK0H7Z") == "AA9A9A"


def test_combine_prefers_a_reading_that_fits_a_state_format_when_the_readers_hesitate() -> None:
    # Given two readers that both lean to O over 0 in the third place of a Missouri-style serial
    # (AA9A9A: DK0H7Z fits it, DKOH7Z fits no US format)
    leaning = _probs([*_word("DK"), {"O": 0.55, "0": 0.4}, {"-": 1.0}, *_word("H7Z")])
    # Then the format decides for the digit, and the letter stays the alternative
    ranked = combine(leaning, leaning, 0.5)
    assert [o.text for o in ranked[:2]] == ["DK0H7Z", "DKOH7Z"]
    # But when both are sure of the letter, the letter stands (a vanity plate fits no format)
    sure = _probs([*_word("DK"), {"O": 0.95, "0": 0.02}, {"-": 1.0}, *_word("H7Z")])
    assert combine(sure, sure, 0.5)[0].text == "DKOH7Z"


def test_a_serial_format_outweighs_plate_crnns_lean_to_0_where_states_print_0_and_o_alike() -> None:
    # Given Iowa's 778AOS (999AAA), which plate-crnn reads as 778A0S, sure of the 0 (the crops'
    # tuning half, docs/recognition.md step 42; here 0.92 against 0.08), and the general reader,
    # whose 0 and O count as one glyph
    own = _probs([*_word("778A"), {"0": 0.92, "O": 0.08}, {"-": 1.0}, *_word("S")])
    # Then the format decides for the letter
    (best, *_) = combine(own, own, 0.5)
    assert best.text == "778AOS"
    # and `contested` shows the glyph plate-crnn was sure of as doubted
    assert min(contested(decode(own)[0], best).char_confidences) < 0.5


def test_combine_leaves_zero_or_o_to_the_plate_reader() -> None:
    # Given plate-crnn leaning to 0 and the general reader sure of O (it spells English words), in
    # a string that fits no serial format either way
    own = _probs([*_word("ABCD"), {"0": 0.6, "O": 0.35}])
    second = _probs([*_word("ABCD"), {"O": 0.95, "0": 0.03}])
    # Then the plate reader decides, and both spellings stay proposed
    ranked = combine(own, second, 0.5)
    assert [o.text for o in ranked[:2]] == ["ABCD0", "ABCDO"]
    # And against a glyph outside the pair (Q), the general reader's sure O still counts
    own_q = _probs([*_word("ABCD"), {"Q": 0.6, "O": 0.35}])
    assert combine(own_q, second, 0.5)[0].text == "ABCDO"


def _every_path(probs: np.ndarray, text: str) -> float:
    """P(text) by brute force: every path of classes over the timesteps that collapses to text."""
    import itertools

    total = 0.0
    for path in itertools.product(range(N_CLASSES), repeat=probs.shape[0]):
        out, prev = [], BLANK
        for k in path:
            if k not in (prev, BLANK):
                out.append(ALPHABET[k - 1])
            prev = k
        if "".join(out) == text:
            total += float(np.prod([probs[t, k] for t, k in enumerate(path)]))
    return float(np.log(total))


def test_log_likelihoods_equal_the_sum_over_every_path() -> None:
    # Given random probabilities over three timesteps
    probs = np.random.default_rng(0).dirichlet(np.ones(N_CLASSES), size=3)
    texts = ["AB", "AA", "7", "ABC"]
    # Then the batched forward pass equals brute force (a repeat needs a blank between: AA)
    batched = log_likelihoods(probs, texts)
    for text, value in zip(texts, batched, strict=True):
        assert value == pytest.approx(_every_path(probs, text), rel=1e-9)
        assert log_likelihood(probs, text) == pytest.approx(value, rel=1e-12)


# ---- a glyph plate-crnn is sure of is never changed silently (issue 17, item 4) ----------------


def _reading(text: str, confidences: list[float]) -> Decoded:
    return Decoded(text, float(np.prod(confidences)), tuple(confidences))


def test_a_sure_glyph_outvoted_by_the_second_reader_is_flagged_not_hidden() -> None:
    # Given plate-crnn sure of Q (0.99) and the combined choice reading O there
    own = _reading("HNQ196", [0.99, 0.98, 0.99, 0.97, 0.99, 0.98])
    chosen = _reading("HNO196", [0.99, 0.98, 0.96, 0.97, 0.99, 0.98])
    # Then the choice stands, but that glyph carries plate-crnn's doubt, so the read is low confidence
    marked = contested(own, chosen)
    assert marked.text == "HNO196"
    assert marked.char_confidences[2] == pytest.approx(0.01)
    assert (
        marked.char_confidences[:2] + marked.char_confidences[3:]
        == chosen.char_confidences[:2] + (chosen.char_confidences[3:])
    )


def test_an_unsure_glyph_may_be_changed_and_an_unchanged_reading_is_left_alone() -> None:
    own = _reading("7A8C123", [0.99, 0.99, 0.52, 0.99, 0.99, 0.99, 0.99])
    chosen = _reading("7ABC123", [0.99, 0.99, 0.95, 0.99, 0.99, 0.99, 0.99])
    assert contested(own, chosen) == chosen
    assert contested(chosen, chosen) == chosen


def test_a_reading_of_another_length_than_a_sure_one_is_doubted_whole() -> None:
    # Glyphs cannot be paired across lengths: a choice that drops or adds a glyph plate-crnn read
    # surely everywhere is doubted everywhere
    own = _reading("7ABC123", [0.99] * 7)
    chosen = _reading("7ABC12", [0.97] * 6)
    assert max(contested(own, chosen).char_confidences) == pytest.approx(0.01)
    # And against an unsure first reading it stands as it is
    assert contested(_reading("7ABC123", [0.99] * 6 + [0.4]), chosen) == chosen


@settings(max_examples=200, derandomize=True)
@given(
    st.text(alphabet=ALPHABET, min_size=2, max_size=8).flatmap(
        lambda own: st.tuples(
            st.just(own),
            st.text(alphabet=ALPHABET, min_size=len(own), max_size=len(own)),
            st.lists(st.floats(0.0, 1.0), min_size=len(own), max_size=len(own)),
            st.lists(st.floats(0.0, 1.0), min_size=len(own), max_size=len(own)),
        )
    )
)
def test_every_changed_sure_glyph_is_below_half_and_nothing_else_moves(case) -> None:
    own_text, chosen_text, own_conf, chosen_conf = case
    assume(any(a != b and c >= SURE_GLYPH for a, b, c in zip(own_text, chosen_text, own_conf, strict=True)))
    marked = contested(_reading(own_text, own_conf), _reading(chosen_text, chosen_conf))
    for a, b, o, before, after in zip(
        own_text, chosen_text, own_conf, chosen_conf, marked.char_confidences, strict=True
    ):
        if a != b and o >= SURE_GLYPH:
            assert after < 0.5 and after <= before
        else:
            assert after == before


def test_a_reading_sure_of_every_glyph_in_a_serial_format_needs_no_second_opinion() -> None:
    assert not needs_second_opinion(_reading("7ABC123", [0.99] * 7))
    # One glyph in doubt, or a string in no state's serial format, and the second reader is asked
    assert needs_second_opinion(_reading("7ABC123", [0.99] * 6 + [0.85]))
    assert needs_second_opinion(_reading("NTGUILTY", [0.99] * 8))


# ---- 0 and O by the state's serial formats (docs/recognition.md, step 40) ------------------------


@pytest.mark.parametrize(
    ("text", "state", "expected"),
    [
        # Louisiana's serials are AAA999 (and A999999): a leading 0 is the letter O
        ("0IT643", "LA", "OIT643"),
        # Iowa's 999AAA: the 0 among the letters is an O
        ("778A0S", "IA", "778AOS"),
        # the other way: an O among Illinois' AA99999 digits is a 0
        ("AB12O45", "IL", "AB12045"),
    ],
)
def test_the_states_serial_formats_tell_0_from_o(text: str, state: str, expected: str) -> None:
    assert state_serial(text, state) == expected


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("0IT643", None),  # no state read: 0IT643 fits another state's format (9AA999)
        ("OIT643", "LA"),  # already the state's format
        ("602013", "VA"),  # neither it nor 6O2013 is a Virginia serial: a vanity or an old plate
        ("0IT643", "ZZ"),  # a state whose formats are not known
        ("00617", "OR"),  # no 0/O variant fits Oregon's AAA999 or 999AAA
    ],
)
def test_a_reading_the_states_formats_do_not_decide_is_left_alone(text: str, state: str | None) -> None:
    assert state_serial(text, state) == text


def test_where_the_states_formats_allow_0_and_o_two_ways_the_reading_stays() -> None:
    # Oregon has AAA999 and 999AAA: O0O0O0 could be OOO000 or 000OOO
    assert state_serial("O0O0O0", "OR") == "O0O0O0"
