"""The recognition engine on rendered scenes, and its handling of bad input."""

import dataclasses

import cv2
import numpy as np
import pytest

from alpr.config import Config
from alpr.demo.synth import render_plate, render_scene
from alpr.recognition import Engine, ImageRejected, decode_image, decoder
from alpr.recognition.detect import (
    MAX_REFINED,
    REFINE_BELOW,
    WIDENED_PITCH,
    Candidate,
    centre_in,
    crop_line,
    edge_regions,
    find_candidates,
    mostly_inside,
    refine,
    second_look,
)
from alpr.recognition.engine import (
    DETECTOR_GLYPH_SHARE,
    DETECTOR_TOP,
    NUMBER_GLYPH_RATIO,
    PLATE_SUPPORT_SCORE,
    ROWS_VERSION,
    SMALL_GLYPH_CONFIDENCE,
    UNSURE_PLATE_PRIOR,
    ScoredRow,
    bands_under_small_print,
    cut_short,
    low_confidence,
    number_bands,
    on_a_plate,
    plate_seeds,
    printed_smaller,
    stretched_to_plates,
    working_copy,
)
from alpr.recognition.plate_detector import PARTS_VERSION, Box, PlateDetector
from alpr.services.container import Container


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load(threads=1)


# Rendered plates the engine must read exactly (letters and digits of several states).
PLATES = [
    ("7ABC123", "CA", 3),
    ("KXJ4821", "NY", 12),
    ("FGJ235", "TX", 21),
    ("6MMD595", "FL", 4),
    ("NW25K9P", "WA", 8),
]


@pytest.mark.parametrize(("text", "state", "seed"), PLATES)
def test_engine_reads_rendered_plates_exactly(engine: Engine, text: str, state: str, seed: int) -> None:
    data, (x, y, w, h) = render_scene(text, state, seed=seed)
    readings = engine.read(decode_image(data))
    assert readings, "no plate found"
    best = readings[0]
    assert best.text == text
    assert best.candidates[0][0] == text
    assert len(best.char_confidences) == len(text)
    assert 0.0 < best.confidence <= 1.0
    # The reported box overlaps the rendered plate.
    bx, by, bw, bh = best.box
    assert min(bx + bw, x + w) > max(bx, x) and min(by + bh, y + h) > max(by, y)
    assert best.crop.ndim == 3 and best.crop.shape[0] > 0


def test_readings_are_ordered_and_candidates_best_first(engine: Engine) -> None:
    data, _ = render_scene("5FPK224", "CA", seed=7)
    readings = engine.read(decode_image(data))
    for reading in readings:
        confs = [c for _, c in reading.candidates]
        assert confs == sorted(confs, reverse=True) or reading.candidates[0][0] == reading.text
        assert reading.text == reading.candidates[0][0]


def test_blurrier_darker_image_gives_lower_confidence(engine: Engine) -> None:
    data, _ = render_scene("4TRK771", "CA", seed=3)
    sharp = decode_image(data)
    degraded = cv2.GaussianBlur((sharp * 0.35).astype(np.uint8), (7, 7), 0)
    good = engine.read(sharp)[0]
    bad = engine.read(degraded)
    assert good.text == "4TRK771"
    assert not bad or bad[0].confidence < good.confidence


def test_plain_grey_image_has_no_plate(engine: Engine) -> None:
    assert engine.read(np.full((480, 640, 3), 128, np.uint8)) == []


def test_tiny_array_has_no_plate(engine: Engine) -> None:
    assert engine.read(np.zeros((4, 4, 3), np.uint8)) == []


def test_grayscale_array_is_accepted(engine: Engine) -> None:
    data, _ = render_scene("7ABC123", "CA", seed=3)
    gray = cv2.cvtColor(decode_image(data), cv2.COLOR_BGR2GRAY)
    assert [r.text for r in engine.read(gray)][:1] == ["7ABC123"]


def test_model_version_names_the_models_and_the_decoding_rules(engine: Engine) -> None:
    # Stored with every read and release bundle: it must change when the recognizer or the rules
    # that choose between its readings change.
    assert engine.model_version.startswith("plate-crnn-")
    assert engine.model_version.endswith(f"+{decoder.DECODING_VERSION}")
    # and the confidence below which a plate read from enlarged glyphs is flagged
    assert f"+small-glyphs-{SMALL_GLYPH_CONFIDENCE}+" in engine.model_version


def _jpeg(shape: tuple[int, int]) -> bytes:
    ok, buf = cv2.imencode(".jpg", np.full((*shape, 3), 200, np.uint8))
    assert ok
    return buf.tobytes()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"GIF89a....", "not a JPEG or PNG"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "truncated"),
        (_jpeg((20, 20)), "too small"),
    ],
)
def test_bad_bytes_are_rejected_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ImageRejected) as err:
        decode_image(data)
    assert reason in err.value.reason


def test_truncated_jpeg_is_rejected() -> None:
    data, _ = render_scene("7ABC123", seed=1)
    with pytest.raises(ImageRejected, match="truncated"):
        decode_image(data[: len(data) // 2])


def test_huge_declared_size_is_rejected_before_decoding() -> None:
    data = _jpeg((200, 300))
    with pytest.raises(ImageRejected, match="too big"):
        decode_image(data, max_pixels=50_000)


def test_png_is_accepted() -> None:
    ok, buf = cv2.imencode(".png", np.full((64, 96, 3), 10, np.uint8))
    assert ok
    assert decode_image(buf.tobytes()).shape == (64, 96, 3)


def test_garbage_after_jpeg_header_is_rejected() -> None:
    data = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\xff\xd9"
    with pytest.raises(ImageRejected):
        decode_image(data)


def test_every_rendered_state_design_is_read(engine: Engine) -> None:
    # Given one rendered scene per plate design the renderer knows (a plate next to taller car
    # parts once made the engine mistake the number for a state banner and drop it)
    from alpr.demo.synth import known_styles

    misses = []
    for seed, state in enumerate(known_styles()):
        text = f"{seed % 10}{'KXJ'[seed % 3]}{'PRT'[seed % 3]}{(seed * 37) % 1000:03d}"
        data, _ = render_scene(text, state, seed=100 + seed)
        readings = engine.read(decode_image(data))
        if not readings or readings[0].text != text:
            misses.append((state, text, readings[0].text if readings else None))
    # Then every one is read exactly
    assert misses == []


def test_refine_finds_the_number_row_inside_a_rough_plate_guess() -> None:
    """A plate-shaped blob gives only a rough box; the magnified second look finds the number
    row inside it, in the image's own coordinates."""
    data, (x, y, w, h) = render_scene("8JKP341", "CA", seed=6, width=640, height=360)
    image = decode_image(data)
    rough = Candidate((x, y, w, h), h / 2, 0.0, 7, 0.3, whole_plate=True)
    rows = refine(image, [rough])
    assert rows, "no row found inside the plate"
    best = max(rows, key=lambda c: c.box[2])
    bx, by, bw, bh = best.box
    assert x - 2 <= bx and bx + bw <= x + w + 2 and y - 2 <= by and by + bh <= y + h + 2
    assert bw > 0.6 * w
    assert not best.whole_plate and best.char_height < h / 2


def test_refine_leaves_large_rows_alone() -> None:
    # Given a candidate with glyphs taller than REFINE_BELOW around a plate whose number row a
    # magnified search would find (it does when the threshold is raised)
    data, (x, y, w, h) = render_scene("8JKP341", "CA", seed=5, width=1600, height=900)
    image = decode_image(data)
    big = Candidate((x, y, w, h), REFINE_BELOW + 2, 0.0, 7, 0.9)
    # Then it is not looked at again: large rows were found at full resolution already
    assert refine(image, [big]) == []


def test_edge_regions_find_a_far_plate_that_no_glyph_row_finds() -> None:
    # Given a car as far away as in a street photo, whose plate the glyph-row search misses
    data, box = render_scene("7ABC123", "CA", seed=1, distance=2.5)
    image = decode_image(data)
    rows = find_candidates(image, max_candidates=10)
    rows += refine(image, rows)
    assert not any(centre_in(c.box, box) for c in rows)
    # Then a band of dense vertical edges marks it, and the magnified second look finds its row
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    regions = edge_regions(gray)
    assert any(centre_in(r.box, box) for r in regions)
    assert all(r.whole_plate for r in regions)
    found = second_look(image, gray, rows)
    assert any(centre_in(c.box, box) and not c.whole_plate for c in found)
    # And nothing it adds repeats a row already found
    assert not any(c.box == r.box for c in found for r in rows)


def test_edge_regions_take_a_small_framed_plate_whole() -> None:
    # Given a small plate in a dark frame that its glyphs nearly touch: the band of dense edges is
    # the whole plate with its frame, about 1.7:1 (narrower than a row of glyphs)
    plate = cv2.resize(render_plate("SL7C6S", "FL", rng=np.random.default_rng(1)), (56, 38))
    cv2.rectangle(plate, (0, 0), (55, 37), (40, 40, 40), 3)
    image = np.full((360, 640, 3), 150, np.uint8)
    image[160:198, 300:356] = plate
    # Then it is one of the regions the second look searches
    regions = edge_regions(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    assert any(centre_in(r.box, (300, 160, 56, 38)) for r in regions)


def test_refine_looks_at_plate_blobs_after_many_small_rows() -> None:
    # Given more small rows than refine looks at, and after them (where find_candidates puts them)
    # a plate-shaped blob around a number row
    data, (x, y, w, h) = render_scene("8JKP341", "CA", seed=6, width=640, height=360)
    image = decode_image(data)
    small_rows = [Candidate((10, 10 + 20 * i, 40, 10), 10.0, 0.0, 4, 0.5) for i in range(MAX_REFINED + 1)]
    blob = Candidate((x, y, w, h), h / 2, 0.0, 7, 0.3, whole_plate=True)
    # Then the blob is looked at too, and the number row inside it found
    rows = refine(image, [*small_rows, blob])
    assert any(centre_in(r.box, (x, y, w, h)) and r.box[2] > 0.6 * w for r in rows)


@pytest.mark.parametrize(("text", "state", "seed"), [*PLATES[:2], ("CWM3083", "TX", 1), ("6MMD595", "FL", 5)])
def test_condensed_plate_fonts_are_read(engine: Engine, text: str, state: str, seed: int) -> None:
    # Given a plate whose glyphs are squeezed to 40 % of their width (Texas prints a narrow font)
    plate = render_plate(text, state, rng=np.random.default_rng(seed))
    plate = cv2.resize(plate, None, fx=0.2, fy=0.5, interpolation=cv2.INTER_AREA)
    image = np.full((360, 640, 3), 120, np.uint8)
    image[100 : 100 + plate.shape[0], 200 : 200 + plate.shape[1]] = plate
    # Then it is read exactly (the row is widened before reading, MIN_GLYPH_PITCH)
    readings = engine.read(image)
    assert readings and readings[0].text == text


def test_crop_line_widens_only_condensed_rows() -> None:
    image = np.full((100, 300, 3), 200, np.uint8)
    row = Candidate((50, 40, 140, 20), 20.0, 0.0, 7, 0.9)  # a glyph height of box per glyph
    width = crop_line(image, row, 32, 400).shape[1]
    # 20 glyphs in the same box (0.35 glyph heights each) are widened to WIDENED_PITCH
    condensed = dataclasses.replace(row, n_chars=20)
    assert crop_line(image, condensed, 32, 400).shape[1] == pytest.approx(width * WIDENED_PITCH / 0.35, abs=2)
    # A plate blob's glyph count is only a guess: it is never widened
    blob = dataclasses.replace(condensed, whole_plate=True)
    assert crop_line(image, blob, 32, 400).shape[1] == width


def test_edge_regions_of_a_flat_image_are_none() -> None:
    assert edge_regions(np.full((360, 640), 128, np.uint8)) == []


def test_engine_reads_a_far_plate(engine: Engine) -> None:
    data, _ = render_scene("7ABC123", "CA", seed=1, distance=2.5)
    readings = engine.read(decode_image(data))
    assert readings and readings[0].text == "7ABC123"


def test_two_plates_in_one_frame_are_both_read_with_their_states(engine: Engine) -> None:
    # Given two cars side by side in one frame (adjacent lanes)
    left = decode_image(render_scene("7ABC123", "CA", seed=3)[0])
    right = decode_image(render_scene("KXJ4821", "NY", seed=12)[0])
    readings = engine.read(np.concatenate([left, right], axis=1))
    # Then both plates are read, each with its own state (a confident second plate gets one too)
    found = {(r.text, r.state) for r in readings[:2]}
    assert found == {("7ABC123", "CA"), ("KXJ4821", "NY")}


def _split_number(left: str, right: str, gap: int) -> np.ndarray:
    """A plate number in two halves `gap` pixels apart (a logo, a dash or a missed glyph between)."""
    image = np.full((160, 640, 3), 235, np.uint8)
    cv2.putText(image, left, (30, 115), cv2.FONT_HERSHEY_SIMPLEX, 3.2, (20, 20, 20), 9)
    end = 30 + cv2.getTextSize(left, cv2.FONT_HERSHEY_SIMPLEX, 3.2, 9)[0][0]
    cv2.putText(image, right, (end + gap, 115), cv2.FONT_HERSHEY_SIMPLEX, 3.2, (20, 20, 20), 9)
    return image


def _spans(cands: list[Candidate], x0: int, x1: int) -> bool:
    return any(c.box[0] <= x0 + 10 and c.box[0] + c.box[2] >= x1 - 10 for c in cands)


def test_a_two_glyph_half_joins_the_row_beside_it() -> None:
    # Given "7K   PR4": the left half alone is too short to be a row
    image = _split_number("7K", "PR4", gap=100)
    ink = np.where((image < 128).all(axis=2))[1]
    # Then one candidate spans the whole number
    assert _spans(find_candidates(image), int(ink.min()), int(ink.max()))


def test_three_tight_glyphs_are_a_row() -> None:
    # Given "123   ABC" set bold and tight, as Mississippi prints it (three glyphs about 1.3
    # glyph heights wide)
    wide = _split_number("123", "ABC", gap=200)
    image = cv2.resize(wide, (wide.shape[1] // 2, wide.shape[0]), interpolation=cv2.INTER_AREA)
    ink = np.where((image < 128).all(axis=2))[1]
    cands = find_candidates(image)
    # Then the whole number is a candidate, not only one half
    assert _spans(cands, int(ink.min()), int(ink.max()))


# ---- the learned plate detector leading the row search (issue 17) ------------------------------


def test_model_version_names_the_plate_detector_when_it_leads(engine: Engine) -> None:
    detector = PlateDetector.load(threads=1)
    assert f"+{detector.version}+" in engine.model_version
    # and the score below which its boxes no longer support a reading
    assert f"+{detector.version}+support-{PLATE_SUPPORT_SCORE}+" in engine.model_version
    # and how plate-like text on its unsure boxes must be
    assert f"+unsure-prior-{UNSURE_PLATE_PRIOR}+" in engine.model_version
    # and how much smaller than a plate's number its other text is printed
    assert f"+number-glyphs-{NUMBER_GLYPH_RATIO}+" in engine.model_version
    # and how it makes the pieces of one plate one box (the same network's reads change with it)
    assert f"+{PARTS_VERSION}+" in engine.model_version
    assert f"+{ROWS_VERSION}+" in engine.model_version
    assert "plate-detector" not in Engine.load(threads=1, detected=False).model_version


def test_plate_seeds_are_the_detector_boxes_grown_in_working_pixels() -> None:
    detector = PlateDetector.load(threads=1)
    data, (x, y, w, h) = render_scene("7ABC123", "CA", seed=3)
    image = decode_image(data)
    scale = 0.5
    seeds = plate_seeds(detector.detect(image), image.shape, scale)
    assert 1 <= len(seeds) <= DETECTOR_TOP
    plate = (round(x * scale), round(y * scale), round(w * scale), round(h * scale))
    seed, score = seeds[0]
    assert seed.whole_plate and score >= detector.threshold
    # The best box, grown and scaled, holds the plate; its glyphs are guessed at half its height.
    sx, sy, sw, sh = seed.box
    assert sx <= plate[0] and sy <= plate[1]
    assert sx + sw >= plate[0] + plate[2] and sy + sh >= plate[1] + plate[3]
    assert seed.char_height == pytest.approx(DETECTOR_GLYPH_SHARE * detector.detect(image)[0].h * scale)


def test_plate_seeds_are_clipped_at_the_image_edge() -> None:
    detector = PlateDetector.load(threads=1)
    data, (x, _y, w, _h) = render_scene("7ABC123", "CA", seed=3)
    image = decode_image(data)
    # The plate's left third cut off by the frame's edge.
    cut = image[:, x + w // 3 :]
    seeds = plate_seeds(detector.detect(cut), cut.shape, 1.0)
    assert seeds
    for seed, _ in seeds:
        sx, sy, sw, sh = seed.box
        assert sx >= 0 and sy >= 0 and sx + sw <= cut.shape[1] and sy + sh <= cut.shape[0]
    assert any(s.box[0] == 0 for s, _ in seeds)


def test_a_row_stopping_short_of_its_plate_box_gets_a_copy_reaching_the_box() -> None:
    # A thin first glyph (a J) left out of the row: it starts 30 px inside the detector's box.
    ((seed, _),) = plate_seeds([Box(100, 50, 200, 40, 0.9)], (480, 640, 3), 1.0)
    row = Candidate((130, 60, 165, 20), 20.0, 0.0, 6, 0.8)
    (copy,) = stretched_to_plates([row], [seed], (480, 640, 3))
    assert copy.box == (100, 60, 200, 20)
    assert (copy.char_height, copy.score, copy.n_chars) == (20.0, 0.8, 7)


def test_a_row_already_reaching_its_plate_box_or_off_every_box_gets_no_copy() -> None:
    ((seed, _),) = plate_seeds([Box(100, 50, 200, 40, 0.9)], (480, 640, 3), 1.0)
    whole = Candidate((102, 60, 195, 20), 20.0, 0.0, 7, 0.8)
    elsewhere = Candidate((400, 300, 100, 20), 20.0, 0.0, 6, 0.8)
    assert stretched_to_plates([whole, elsewhere], [seed], (480, 640, 3)) == []


def test_a_plate_box_cut_by_the_frame_stretches_its_row_to_the_frame_edge() -> None:
    # The detector's box starts 5 px from the frame's left edge: the plate may go on beyond it.
    ((seed, _),) = plate_seeds([Box(5, 50, 200, 40, 0.9)], (480, 640, 3), 1.0)
    assert seed.box[0] == 0
    row = Candidate((40, 60, 160, 20), 20.0, 0.0, 6, 0.8)
    (copy,) = stretched_to_plates([row], [seed], (480, 640, 3))
    assert copy.box == (0, 60, 205, 20)


def test_a_plate_box_with_no_row_in_it_gets_its_number_band() -> None:
    # Where a plate too small or blurred for the row finder sits: the band a number fills, 22-82 %
    # of the detector's box high and 4 % in from its sides, glyphs half the box high.
    ((seed, _),) = plate_seeds([Box(100, 50, 200, 40, 0.9)], (480, 640, 3), 1.0)
    (band,) = number_bands([seed], [], (480, 640, 3))
    assert band.box == (108, 58, 184, 24)
    assert band.char_height == 20.0 and band.whole_plate


def test_a_plate_box_with_a_row_read_in_it_gets_no_band() -> None:
    ((seed, _),) = plate_seeds([Box(100, 50, 200, 40, 0.9)], (480, 640, 3), 1.0)
    row = Candidate((130, 60, 165, 20), 20.0, 0.0, 6, 0.8)
    elsewhere = Candidate((400, 300, 100, 20), 20.0, 0.0, 6, 0.8)
    assert number_bands([seed], [row], (480, 640, 3)) == []
    assert len(number_bands([seed], [elsewhere], (480, 640, 3))) == 1


def test_a_box_mostly_inside_another_is_a_fragment_of_it() -> None:
    row = (16, 41, 205, 59)
    assert mostly_inside((102, 40, 119, 59), row)  # "GUILTY" of "NTGUILTY"
    assert not mostly_inside(row, (102, 40, 119, 59))
    assert not mostly_inside((300, 40, 50, 20), row)


@pytest.mark.parametrize(("text", "state", "seed"), PLATES)
def test_a_plate_filling_the_frame_is_read_whole_with_the_detector_leading(
    engine: Engine, text: str, state: str, seed: int
) -> None:
    # A tight crop, as the crops benchmark and a unit's own plate crops are: the detector also
    # boxes parts of such a plate, and the engine must not read a part.
    plate = render_plate(text, state, rng=np.random.default_rng(seed))
    framed = cv2.copyMakeBorder(plate, 12, 12, 12, 12, cv2.BORDER_REPLICATE)
    readings = engine.read(framed)
    assert readings and readings[0].text == text


def test_a_plate_the_detector_is_sure_of_is_read_without_searching_the_whole_frame(engine: Engine) -> None:
    # Given a street-distance scene whose plate the detector boxes with a high score
    image = decode_image(render_scene("7ABC123", "CA", seed=1, distance=2.0)[0])
    work, scale = working_copy(image)
    gray = cv2.cvtColor(work, cv2.COLOR_BGR2GRAY)
    plates = plate_seeds(engine._detector.detect(image), image.shape, scale)
    assert plates[0][1] >= engine._detector.threshold
    # Then the rows around its boxes already hold the plate, and the engine reads it from them
    sure = engine.rows_in_sure_boxes(work, gray, plates)
    assert sure is not None and "7ABC123" in {row.best.text for row in sure}
    assert engine.read(image)[0].text == "7ABC123"


def test_without_a_sure_box_the_whole_frame_is_searched(engine: Engine) -> None:
    # A plate-free frame: nothing is boxed with confidence, so there is no short cut
    image = np.full((720, 1280, 3), 128, np.uint8)
    work, scale = working_copy(image)
    gray = cv2.cvtColor(work, cv2.COLOR_BGR2GRAY)
    assert (
        engine.rows_in_sure_boxes(work, gray, plate_seeds(engine._detector.detect(image), image.shape, scale))
        is None
    )


def _plate_free_street(seed: int) -> np.ndarray:
    """A rendered street scene with its plate painted out."""
    data, (x, y, w, h) = render_scene("7ABC123", "CA", seed=seed)
    image = decode_image(data).copy()
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[max(0, y - h // 4) : y + h + h // 4, max(0, x - w // 6) : x + w + w // 6] = 255
    return cv2.inpaint(image, mask, 5, cv2.INPAINT_TELEA)


def _plate_free_street_with_a_sign(seed: int) -> np.ndarray:
    """A plate-free street with a one-way sign beside the car."""
    image = _plate_free_street(seed)
    cv2.rectangle(image, (60, 60), (420, 150), (255, 255, 255), -1)
    cv2.putText(image, "ONEWAY", (75, 130), cv2.FONT_HERSHEY_SIMPLEX, 2.2, (20, 20, 20), 6, cv2.LINE_AA)
    return image


def _plate_free_street_with_a_plate_shaped_sign(seed: int, rim: int = 3, text: str = "ONEWAY") -> np.ndarray:
    """A plate-free street with a sign (one-way by default) on a board shaped like a plate (2:1, a
    dark rim)."""
    image = _plate_free_street(seed)
    cv2.rectangle(image, (60, 60), (240, 150), (255, 255, 255), -1)
    cv2.rectangle(image, (60, 60), (240, 150), (30, 30, 30), rim)
    cv2.putText(image, text, (75, 123), cv2.FONT_HERSHEY_SIMPLEX, 1.36, (20, 20, 20), 3, cv2.LINE_AA)
    return image


@pytest.mark.parametrize("seed", [3, 4])
def test_a_sign_the_detector_does_not_take_for_a_plate_is_not_read(engine: Engine, seed: int) -> None:
    # Given a street with no plate but a legible sign, which the rows alone read surely
    image = _plate_free_street_with_a_sign(seed)
    (alone,) = [r for r in Engine.load(threads=1, detected=False).read(image) if r.text == "ONEWAY"]
    assert not alone.low_confidence
    # Then the engine reports nothing: the detector, trained on such signs (docs/recognition.md,
    # step 36), does not box it even at the support score
    assert engine.read(image) == []


def _sign_box_scores(engine: Engine, image: np.ndarray, text: str = "ONEWAY") -> list[float]:
    """The scores of the detector's boxes (down to its verifier's candidates) on the sign, which the
    rows alone read surely."""
    (alone,) = [r for r in Engine.load(threads=1, detected=False).read(image) if r.text == text]
    assert not alone.low_confidence
    lowest = engine._detector.verifier.candidate_score
    return [b.score for b in engine._detector.detect(image, lowest) if on_a_plate(alone.box, [b])]


def test_a_plate_shaped_sign_the_detector_is_far_from_sure_of_is_not_read(engine: Engine) -> None:
    # Given a street with no plate but a legible sign on a plate-shaped board, which the detector
    # boxes, but below the support score (docs/recognition.md, step 39)
    image = _plate_free_street_with_a_plate_shaped_sign(8, rim=8)
    scores = _sign_box_scores(engine, image)
    assert scores and max(scores) < PLATE_SUPPORT_SCORE
    # Then the engine reports nothing there, not even flagged
    assert engine.read(image) == []


def test_a_word_on_a_sign_the_detector_is_unsure_of_is_not_read(engine: Engine) -> None:
    # Given a street with no plate but a one-way sign on a plate-shaped board, which the detector
    # boxes at the support score but below its threshold (unsure, not blind)
    image = _plate_free_street_with_a_plate_shaped_sign(4, rim=8)
    scores = _sign_box_scores(engine, image)
    assert scores and PLATE_SUPPORT_SCORE <= max(scores) < engine._detector.threshold
    # Then its word, which mixes no digit with its letters, is not reported even flagged
    # (docs/recognition.md, step 40)
    assert decoder.plate_prior("ONEWAY") < UNSURE_PLATE_PRIOR
    assert engine.read(image) == []


def _unsure_plate_shaped_sign(engine: Engine) -> np.ndarray:
    """A plate-free street with a sign that reads like a plate, on a plate-shaped board the detector
    boxes at the support score but below its threshold."""
    image = _plate_free_street_with_a_plate_shaped_sign(4, rim=5, text="ZONE4B")
    scores = _sign_box_scores(engine, image, "ZONE4B")
    assert scores and PLATE_SUPPORT_SCORE <= max(scores) < engine._detector.threshold
    assert decoder.plate_prior("ZONE4B") >= UNSURE_PLATE_PRIOR
    return image


def test_text_like_a_plate_where_the_detector_is_unsure_is_flagged_for_a_person(engine: Engine) -> None:
    # Given a street with no plate but a sign that reads like one, where the detector is unsure
    image = _unsure_plate_shaped_sign(engine)
    # Then the engine still reports it (the detector misses some plates) but never as a sure read
    readings = engine.read(image)
    assert [r.text for r in readings] == ["ZONE4B"]
    assert all(r.low_confidence for r in readings)


def test_a_department_may_have_no_read_where_the_detector_is_unsure(engine: Engine) -> None:
    # Given the sign the detector boxes only below its threshold, reported flagged by default
    image = _unsure_plate_shaped_sign(engine)
    assert any(r.text == "ZONE4B" and r.low_confidence for r in engine.read(image))
    # When the department raises the support score to the detector's own threshold
    threshold = engine._detector.threshold
    strict = Engine.load(threads=1, support_score=threshold)
    # Then nothing is read there, and its readings name the rule they were made with
    assert strict.read(image) == []
    assert f"+support-{threshold}+" in strict.model_version
    assert f"+support-{PLATE_SUPPORT_SCORE}+" in engine.model_version


def test_a_support_score_above_the_detectors_threshold_reports_only_plates_it_is_that_sure_of(
    engine: Engine,
) -> None:
    data, _ = render_scene("7ABC123", "CA", seed=3)
    image = decode_image(data)
    assert engine.read(image)[0].text == "7ABC123"
    # No box scores 1: nothing is sure enough
    assert Engine.load(threads=1, support_score=1.0).read(image) == []


def test_the_container_loads_the_engine_with_the_departments_support_score() -> None:
    threshold = PlateDetector.load(threads=1).threshold
    container = Container(Config(plate_support_score=threshold))
    assert f"+support-{threshold}+" in container.engine.model_version
    assert f"+support-{PLATE_SUPPORT_SCORE}+" in Container(Config()).engine.model_version


def test_text_the_detector_does_not_take_for_a_plate_at_all_is_not_a_read(engine: Engine) -> None:
    # Given a plate-free street with a camera's date overlay, which the rows alone read surely
    image = _plate_free_street(0)
    for thickness, colour in ((5, (0, 0, 0)), (2, (255, 255, 255))):
        cv2.putText(
            image, "CAM7 20261204", (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.1, colour, thickness, cv2.LINE_AA
        )
    (alone,) = Engine.load(threads=1, detected=False).read(image)[:1]
    assert alone.text.endswith("20261204") and not alone.low_confidence
    # and where the detector gives no box even PLATE_SUPPORT_SCORE
    assert not on_a_plate(alone.box, engine._detector.detect(image, PLATE_SUPPORT_SCORE))
    # Then the engine reports nothing there
    assert not any(r.text.endswith("1204") for r in engine.read(image))


def _row(
    text: str, confidence: float, glyph_height: float, box: tuple[int, int, int, int] = (0, 0, 1, 1)
) -> ScoredRow:
    """A read row with only what `printed_smaller` and `bands_under_small_print` weigh: its
    reading's confidence, its glyph height and where it is."""
    best = decoder.Decoded(text, confidence, (confidence,) * len(text))
    cand = Candidate(box, glyph_height, 0.0, len(text), 1.0)
    return ScoredRow(confidence, 0.0, cand, best, [best], np.zeros(1), np.zeros((1, 1)))


def test_the_slogan_under_a_plates_number_is_printed_smaller() -> None:
    # Given a plate the detector is sure of, its number (glyphs 30 px tall) and the slogan printed
    # under it (9 px, `TAXATION WITHOUT REPRESENTATION` read `TAXATNV`), both read with confidence
    # (a near scene of the development sets, docs/recognition.md step 40)
    plate = Box(393, 480, 153, 69, 0.89)
    number = (_row("2368", 0.99, 30.0), (445, 476, 93, 70))
    slogan = (_row("TAXATNV", 0.98, 8.7), (400, 526, 42, 22))
    # Then the slogan is printed smaller than the number, and nothing on the plate dwarfs the number
    assert printed_smaller([number, slogan], [plate]) == {1}
    # But not where the taller row reads without confidence (it may be a grille or a shadow)
    doubtful = (_row("2368", 0.3, 30.0), number[1])
    assert printed_smaller([doubtful, slogan], [plate]) == set()
    # nor where they are on different plates
    elsewhere = Box(900, 480, 153, 69, 0.9)
    far_number = (number[0], (950, 476, 93, 70))
    assert printed_smaller([far_number, slogan], [plate, elsewhere]) == set()
    # nor where the glyphs are less than NUMBER_GLYPH_RATIO apart (two rows of one number)
    second_row = (_row("ABC", 0.95, 20.0), (420, 530, 80, 25))
    assert printed_smaller([number, second_row], [plate]) == set()


def test_a_row_whose_reading_a_wider_copy_extends_was_cut_short() -> None:
    # Given a Nebraska plate filling a 320 x 167 crop, boxed whole by the detector, where the row
    # finder cut its number without the first glyph (`JT898`) and step 33's copy of that row
    # reaching the box's sides reads it all (`0JT898`), both with confidence, the shorter one the
    # surer (the crops' tuning half, docs/recognition.md step 43)
    plate = Box(0, 0, 320, 166, 0.93)
    row = (_row("JT898", 0.998, 73.0), (84, 4, 186, 163))
    copy = (_row("0JT898", 0.958, 73.0), (0, 4, 320, 163))
    # Then the row was cut short: it comes after the copy
    assert cut_short([row, copy], [plate]) == {0}
    # But not where the longer reading is without confidence (the plate's edge read as a glyph)
    doubtful = (_row("0JT898", 0.4, 73.0), copy[1])
    assert cut_short([row, doubtful], [plate]) == set()
    # nor where it adds more than MAX_CUT_GLYPHS (another row or words run on)
    run_on = (_row("0JT8981X", 0.95, 73.0), copy[1])
    assert cut_short([row, run_on], [plate]) == set()
    # nor where it reads the row's glyphs otherwise
    other = (_row("0JT896", 0.95, 73.0), copy[1])
    assert cut_short([row, other], [plate]) == set()
    # nor where the longer reading is on another plate
    elsewhere = Box(900, 0, 320, 166, 0.9)
    far_copy = (copy[0], (900, 4, 320, 163))
    assert cut_short([row, far_copy], [plate, elsewhere]) == set()
    # nor where the detector is not sure of a plate there (the rows' order is the learned score's)
    assert cut_short([row, copy], []) == set()


def test_a_plate_read_from_glyphs_the_reader_enlarged_is_flagged_below_its_own_threshold(
    engine: Engine,
) -> None:
    # Given plate-crnn's line, where a glyph row is drawn about 23 px tall
    reader_glyph = engine.reader_glyph_height
    assert 20 < reader_glyph < 26

    def read(confidence: float, weakest: float = 0.9) -> decoder.Decoded:
        return decoder.Decoded("258951", confidence, (weakest, *(0.99,) * 5))

    # Then a small plate (12 px glyphs, a far scene's) read at 0.85 is flagged for a person,
    assert low_confidence(read(0.85), 12.0, reader_glyph)
    # the same plate read at SMALL_GLYPH_CONFIDENCE or more is not,
    assert not low_confidence(read(SMALL_GLYPH_CONFIDENCE), 12.0, reader_glyph)
    # nor a plate whose glyphs the reader shrinks, read at 0.85
    assert not low_confidence(read(0.85), 40.0, reader_glyph)
    # And any reading below LOW_CONFIDENCE, or with a glyph under 0.5, still is
    assert low_confidence(read(0.55), 40.0, reader_glyph)
    assert low_confidence(read(0.95, weakest=0.4), 40.0, reader_glyph)


def test_a_plate_whose_rows_are_all_small_print_gets_its_number_band() -> None:
    # Given a Mississippi plate filling a 320 x 159 crop, boxed whole by the detector, where the row
    # finder cut only the county under the number (read without confidence) and the month sticker
    # (read with it), glyphs 20-22 px, and no row at the number (80 px glyphs, a magnolia among
    # them) (the crops' tuning half, docs/recognition.md step 41)
    shape = (159, 320, 3)
    ((seed, _),) = plate_seeds([Box(1, 0, 288, 159, 0.95)], shape, 1.0)
    county = _row("MADISON", 0.57, 20.0, (103, 123, 112, 20))
    month = _row("AUG", 0.82, 22.0, (18, 127, 34, 22))
    # Then the number's band of the box is read too, as where no row was read at all
    (band,) = bands_under_small_print([seed], [county, month], shape)
    assert band == number_bands([seed], [], shape)[0]
    assert band.char_height >= NUMBER_GLYPH_RATIO * 22.0
    # But not where a row of the number's size was cut, even one read without confidence
    number = _row("E197659", 0.53, 75.0, (20, 40, 280, 75))
    assert bands_under_small_print([seed], [county, month, number], shape) == []
    # nor where none of the small print reads with confidence (nothing on the plate was read)
    assert bands_under_small_print([seed], [county], shape) == []
    # nor for rows outside the box
    beside = _row("AUG", 0.82, 22.0, (300, 400, 34, 22))
    assert bands_under_small_print([seed], [county, beside], shape) == []


def test_a_plate_beside_a_larger_sign_is_the_sure_read(engine: Engine) -> None:
    # An outcome guard, not the ordering rule's proof: the ranker and the detector's weight already
    # chose the plate here before readings on a detected plate came first (the plate-free scenes of
    # docs/recognition.md, step 27, are that rule's evidence).
    # Given a plate the detector finds, and a larger sign beside the car
    data, _ = render_scene("7ABC123", "CA", seed=3)
    image = decode_image(data).copy()
    cv2.rectangle(image, (60, 60), (520, 170), (255, 255, 255), -1)
    cv2.putText(image, "ONEWAY", (75, 145), cv2.FONT_HERSHEY_SIMPLEX, 2.8, (20, 20, 20), 8, cv2.LINE_AA)
    # Then the plate is the read, and sure
    best = engine.read(image)[0]
    assert (best.text, best.low_confidence) == ("7ABC123", False)


def test_a_reading_stands_on_a_plate_box_or_just_beside_it() -> None:
    plate = Box(100.0, 200.0, 80.0, 20.0, 0.9)
    assert on_a_plate((110, 205, 60, 10), [plate])
    # Centres up to a quarter of the box's size outside it still count; further out they do not
    assert on_a_plate((170, 215, 20, 10), [plate])
    assert not on_a_plate((400, 205, 60, 10), [plate])
    assert not on_a_plate((110, 205, 60, 10), [])
