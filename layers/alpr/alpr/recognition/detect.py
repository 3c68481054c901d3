"""Finding plate text in a scene: character-like blobs grouped into short horizontal lines.

A plate number is a row of 4 to 8 glyphs of one height on a flat background. Adaptive
thresholding (both polarities, two window sizes) turns glyphs into connected components; those of
character shape are linked to neighbours of similar height on the same line; each linked group is a
candidate. The recognizer, not this module, decides which candidate is a plate.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Candidate:
    """A row of character-like blobs: its box in the image, glyph height, slope and count."""

    box: tuple[int, int, int, int]  # x, y, w, h around the glyphs
    char_height: float
    angle_deg: float
    n_chars: int
    score: float
    whole_plate: bool = False  # guessed from a plate-shaped blob, not from a row of glyphs


def _components(stats: np.ndarray, min_h: int, max_h: int) -> np.ndarray:
    """Character-shaped connected components as rows (x, y, w, h, area).

    Blobs up to 2.6 times wider than tall are kept: two or three glyphs that touch (bold type,
    blur) form one such blob, and dropping it would cut the plate number short.
    """
    _x, _y, w, h, area = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3], stats[:, 4]
    aspect = w / np.maximum(h, 1)
    fill = area / np.maximum(w * h, 1)
    glyph = (aspect >= 0.08) & (aspect <= 1.2) & (fill >= 0.12)
    touching = (aspect > 1.2) & (aspect <= 2.6) & (fill >= 0.35)  # a frame or ring is sparser
    keep = (h >= min_h) & (h <= max_h) & (fill <= 0.92) & (glyph | touching)
    return np.asarray(stats[keep], dtype=np.int64)


def _group(comps: np.ndarray) -> list[np.ndarray]:
    """Link components of similar height that sit side by side on one line (union-find)."""
    n = len(comps)
    if n == 0:
        return []
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = np.argsort(comps[:, 0])
    c = comps[order].astype(np.float64)
    # Plain Python floats: this double loop is the hot path, and numpy scalars are slow here.
    xs, ys, ws, hs = (c[:, k].tolist() for k in range(4))
    for i in range(n):
        hi, wi = hs[i], ws[i]
        right = xs[i] + wi
        cyi = ys[i] + hi / 2
        cxi = xs[i] + wi / 2
        for j in range(i + 1, n):
            gap = xs[j] - right
            if gap > 1.1 * hi:
                break
            hj = hs[j]
            if not 0.75 * hi <= hj <= 1.33 * hi:
                continue
            if abs(ys[j] + hj / 2 - cyi) > 0.35 * max(hi, hj):
                continue
            if gap < -0.3 * min(wi, ws[j]) and abs(xs[j] + ws[j] / 2 - cxi) < 0.3 * hi:
                continue  # nested blobs (a hole inside a glyph), not a neighbour
            ri, rj = find(i), find(j)
            if ri != rj:
                parent[rj] = ri
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return [c[idx] for idx in groups.values()]


def _dedupe_nested(group: np.ndarray) -> np.ndarray:
    """Drop blobs that sit inside another, larger blob of the group (holes of 0, 8, B...)."""
    x, y = group[:, 0], group[:, 1]
    x1, y1 = x + group[:, 2], y + group[:, 3]
    area = group[:, 2] * group[:, 3]
    # inside[i, j]: blob i lies within blob j, which is larger (so never i itself).
    inside = (
        (x[:, None] >= x[None, :])
        & (y[:, None] >= y[None, :])
        & (x1[:, None] <= x1[None, :])
        & (y1[:, None] <= y1[None, :])
        & (area[None, :] > area[:, None])
    )
    return group[~inside.any(axis=1)]


def find_candidates(image: np.ndarray, *, max_candidates: int = 8) -> list[Candidate]:
    """Plate-text candidates in a BGR image, most plate-like first."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    height, _width = gray.shape
    min_h = max(8, height // 120)
    max_h = max(min_h + 1, int(height * 0.8))  # a tight plate crop is mostly glyph
    found: list[Candidate] = []
    pair_groups: list[np.ndarray] = []
    plates: list[Candidate] = []
    ink = None
    for block in (15, 31):
        light = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 9)
        for invert in (True, False):
            # The inverted threshold is exactly the complement (same local threshold): no second pass.
            binary = cv2.bitwise_not(light) if invert else light
            if ink is None:
                ink = binary  # dark marks on light ground, block 15
            stats = cv2.connectedComponentsWithStats(binary, connectivity=8)[2][1:]
            if not invert and block == 31:
                plates.extend(_glyph_band(c, ink) for c in _plate_blobs(stats, min_h, height))
            comps = _components(stats, min_h, max_h)
            for group in _group(comps):
                if len(group) < 2:
                    continue
                group = _dedupe_nested(group)
                single = int((group[:, 2] <= 1.2 * group[:, 3]).sum())
                if len(group) == 2 and single == 2:
                    pair_groups.append(group)
                    continue
                if not 3 <= len(group) <= 12 or single < 2:
                    continue
                cand = _candidate(group)
                if cand is not None:
                    found.append(cand)
    found.extend(_merged_neighbours(found, found))
    # Two glyphs alone are no row, but they are the half of a plate whose number a logo, a dash
    # or a missed glyph splits ("123 (logo) ABC" read as ABC alone): join them to a row beside them.
    # (Most pairs have no row beside them: they are tested before a candidate is made of them.)
    rows = _rows(found)
    pairs = [
        pair
        for group in pair_groups
        if _beside_a_row(group, rows) and (pair := _candidate(group, min_width=0.6)) is not None
    ]
    found.extend(_merged_neighbours(found, pairs) + _merged_neighbours(pairs, found))
    found.sort(key=lambda c: -c.score)
    kept: list[Candidate] = []
    for cand in found:
        if all(iou(cand.box, k.box) < 0.5 for k in kept):
            kept.append(cand)
        if len(kept) >= max_candidates:
            break
    # Plate-shaped light blobs whose number row was not found as a row (glyphs fused to a frame).
    plates.sort(key=lambda c: -c.score)
    extra = [p for p in plates if all(iou(p.box, k.box) < 0.3 for k in kept)]
    return kept + extra[: max(2, max_candidates // 2)]


# Rows whose glyphs are shorter than this (in pixels), and plate-shaped blobs, are looked at again,
# magnified: at that size an adaptive threshold merges glyphs with frames, logos and each other.
REFINE_BELOW = 24.0
REFINE_GLYPH_H = 32.0  # the glyph height the second look magnifies to
MAX_REFINED = 6  # small rows
MAX_REFINED_BLOBS = 1  # the most plate-like blob besides the rows (a second gained nothing)


def refine(image: np.ndarray, cands: list[Candidate], max_blobs: int = MAX_REFINED_BLOBS) -> list[Candidate]:
    """Second look at small rows and plate blobs (the first MAX_REFINED rows and max_blobs blobs):
    the region around each, magnified to a usable glyph height, searched again for rows; the rows
    found (in `image` coordinates) that are not already candidates. Real crops are read the same
    way in training (magnified first)."""
    out: list[Candidate] = []
    small = [c for c in cands if not c.whole_plate and c.char_height < REFINE_BELOW][:MAX_REFINED]
    blobs = [c for c in cands if c.whole_plate][:max_blobs]
    for cand in small + blobs:
        x, y, w, h = cand.box
        ch = cand.char_height
        x0, x1 = max(0, int(x - 0.8 * ch)), min(image.shape[1], int(x + w + 0.8 * ch))
        y0, y1 = max(0, int(y - 1.0 * ch)), min(image.shape[0], int(y + h + 1.0 * ch))
        # At least 1.5x: a blob's "glyph height" is a guess (half the blob) and may be too large.
        factor = min(4.0, max(1.5, REFINE_GLYPH_H / max(ch, 1.0)))
        if x1 - x0 < 8 or y1 - y0 < 8:
            continue
        region = cv2.resize(image[y0:y1, x0:x1], None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        for sub in find_candidates(region, max_candidates=3):
            if sub.whole_plate:
                continue
            bx, by, bw, bh = sub.box
            found = Candidate(
                (
                    int(x0 + bx / factor),
                    int(y0 + by / factor),
                    max(1, round(bw / factor)),
                    max(1, round(bh / factor)),
                ),
                sub.char_height / factor,
                sub.angle_deg,
                sub.n_chars,
                sub.score,
            )
            if all(iou(found.box, k.box) < 0.7 for k in [*cands, *out]):
                out.append(found)
    return out


# Dense vertical edges: the number of a small plate, whose glyphs an adaptive threshold fuses with
# the frame, still shows as a short band of strokes.
EDGE_MAX_REGIONS = 4
EDGE_GLYPH_SHARE = 0.3  # the glyph height guessed from the band's height: magnify about 4x


def edge_regions(gray: np.ndarray) -> list[Candidate]:
    """Up to EDGE_MAX_REGIONS small bands of dense vertical edges (a plate 28-320 px wide), densest
    first, as plate-blob candidates for `refine`: classical plate localisation (Sobel, closing,
    plate-shaped boxes)."""
    edges = cv2.convertScaleAbs(cv2.Sobel(gray, cv2.CV_16S, 1, 0, ksize=3))
    counts = cv2.calcHist([edges], [0], None, [256], [0, 256]).ravel().cumsum()
    top8 = int(np.searchsorted(counts, 0.92 * counts[-1]))  # np.percentile sorts: 10x slower
    strong = cv2.threshold(edges, max(39, top8 - 1), 255, cv2.THRESH_BINARY)[1]
    strong = cv2.morphologyEx(strong, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (13, 3)))
    strong = cv2.morphologyEx(strong, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 3)))
    # Outer contours: five times faster here than connected components with their statistics.
    contours = cv2.findContours(strong, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]
    scored = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        # From 1.5:1: the band of a small plate's edges may be the whole plate with its frame (2:1,
        # less when seen from the side).
        if not (8 <= h <= 60 and 28 <= w <= 320 and 1.5 <= w / h <= 7.0):
            continue
        if cv2.countNonZero(strong[y : y + h, x : x + w]) < 0.45 * w * h:
            continue
        density = float(edges[y : y + h, x : x + w].mean())
        scored.append((density, Candidate((x, y, w, h), EDGE_GLYPH_SHARE * h, 0.0, 6, 0.3, whole_plate=True)))
    scored.sort(key=lambda t: -t[0])
    return [cand for _, cand in scored[:EDGE_MAX_REGIONS]]


def second_look(image: np.ndarray, gray: np.ndarray, cands: list[Candidate]) -> list[Candidate]:
    """Rows found by `refine` in the `edge_regions` that no candidate lies in yet (small plates whose
    glyphs the thresholds fused with the frame), none of them a copy of a candidate."""
    seeds = [e for e in edge_regions(gray) if not any(centre_in(c.box, e.box) for c in cands)]
    return rows_around(image, seeds, cands)


def rows_around(image: np.ndarray, plates: list[Candidate], cands: list[Candidate]) -> list[Candidate]:
    """Rows `refine` finds in plate-shaped regions (edge bands, the learned detector's boxes), none
    of them a copy of a candidate."""
    found = refine(image, plates, max_blobs=len(plates))
    return [r for r in found if all(iou(r.box, c.box) < 0.7 for c in cands)]


def mostly_inside(
    inner: tuple[float, float, float, float], outer: tuple[float, float, float, float], share: float = 0.9
) -> bool:
    """Whether at least `share` of box `inner`'s area lies in box `outer` (both x, y, w, h)."""
    iw = max(0, min(inner[0] + inner[2], outer[0] + outer[2]) - max(inner[0], outer[0]))
    ih = max(0, min(inner[1] + inner[3], outer[1] + outer[3]) - max(inner[1], outer[1]))
    return iw * ih >= share * inner[2] * inner[3]


def centre_in(inner: tuple[float, float, float, float], outer: tuple[float, float, float, float]) -> bool:
    """Whether the centre of box `inner` lies in box `outer` (both x, y, w, h)."""
    cx, cy = inner[0] + inner[2] / 2, inner[1] + inner[3] / 2
    return outer[0] <= cx <= outer[0] + outer[2] and outer[1] <= cy <= outer[1] + outer[3]


def _plate_blobs(stats: np.ndarray, min_h: int, image_h: int) -> list[Candidate]:
    """Light regions shaped like a plate's background (about 2:1, solid but for the glyphs);
    the number row is taken to be their middle band."""
    w, h, area = stats[:, 2], stats[:, 3], stats[:, 4]
    aspect = w / np.maximum(h, 1)
    fill = area / np.maximum(w * h, 1)
    keep = (
        (h >= 2 * min_h)
        & (h <= image_h // 2)
        & (aspect >= 1.4)
        & (aspect <= 3.2)
        & (fill >= 0.35)
        & (fill <= 0.9)
    )
    return [number_band(x, y, bw, bh, 0.3 * (1 - aspect_score(bw / bh))) for x, y, bw, bh, _ in stats[keep]]


def number_band(x: float, y: float, w: float, h: float, score: float) -> Candidate:
    """The row a plate's number fills in a plate (x, y, w, h) whose glyphs were not found: 22-82 % of
    its height, 4 % in from its sides, glyphs half its height."""
    row = (int(x + 0.04 * w), int(y + 0.22 * h), max(1, int(0.92 * w)), max(1, int(0.6 * h)))
    return Candidate(row, 0.5 * float(h), 0.0, 7, score, whole_plate=True)


def _glyph_band(cand: Candidate, ink: np.ndarray) -> Candidate:
    """Narrow a plate blob's middle band to the rows that carry the most ink (the number)."""
    x, y, w, h = cand.box
    plate_h = cand.char_height * 2  # the blob: the band is its 22 %..82 % rows
    top = max(0, int(y - 0.22 * plate_h))
    bottom = min(ink.shape[0], int(y + h + 0.18 * plate_h))
    region = ink[top:bottom, x : x + w]
    if region.size == 0:
        return cand
    profile = region.mean(axis=1)
    # The number is the tallest run of inked rows; a state name or slogan is a shorter one.
    strong = profile > 0.5 * float(np.percentile(profile, 90))
    best_start, best_len, start = 0, 0, None
    for i, flag in enumerate([*strong.tolist(), False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start > best_len:
                best_start, best_len = start, i - start
            start = None
    if best_len < 0.25 * plate_h:
        return cand
    box = (x, top + best_start, w, best_len)
    return dataclasses.replace(cand, box=box, char_height=float(best_len))


def aspect_score(aspect: float) -> float:
    """0 for a US plate's 2:1, growing towards 1 as the shape departs from it."""
    return min(1.0, abs(aspect - 2.0) / 1.2)


def _rows(cands: list[Candidate]) -> np.ndarray:
    """Candidates as an (n, 5) array: x, y, w, h, glyph height."""
    return np.array([(*c.box, c.char_height) for c in cands], np.float64).reshape(-1, 5)


def _side_by_side(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Whether each right row starts just right of its left row, on the same line, with glyphs of
    about its height. Rows as in `_rows`; the two arrays broadcast against each other."""
    gap = right[..., 0] - (left[..., 0] + left[..., 2])
    h = np.maximum(left[..., 4], right[..., 4])
    ratio = left[..., 4] / right[..., 4]
    centre_left = left[..., 1] + left[..., 3] / 2
    centre_right = right[..., 1] + right[..., 3] / 2
    return np.asarray(
        (gap > 0)
        & (gap < 2.2 * h)
        & (ratio >= 0.8)
        & (ratio <= 1.25)
        & (np.abs(centre_left - centre_right) <= 0.3 * h)
    )


def _beside_a_row(group: np.ndarray, rows: np.ndarray) -> bool:
    """Whether a group of glyphs (as the row `_candidate` would make of it) could join one of
    `rows` (from `_rows`), on either side."""
    x0, y0 = float(group[:, 0].min()), float(group[:, 1].min())
    w = float((group[:, 0] + group[:, 2]).max()) - x0
    h = float((group[:, 1] + group[:, 3]).max()) - y0
    row = np.array([x0, y0, w, h, float(np.sort(group[:, 3])[len(group) // 2])])
    return bool((_side_by_side(rows, row) | _side_by_side(row, rows)).any())


def _merged_neighbours(lefts: list[Candidate], rights: list[Candidate]) -> list[Candidate]:
    """Rows split by a space or dash ("ABC 123"): join a row of `lefts` to a row of `rights` of one
    height on one line just to its right."""
    merged = []
    beside = _side_by_side(_rows(lefts)[:, None, :], _rows(rights)[None, :, :])
    for i, j in zip(*np.nonzero(beside), strict=True):
        a, b = lefts[i], rights[j]
        n = a.n_chars + b.n_chars
        if n > 9:
            continue
        x0, y0 = a.box[0], min(a.box[1], b.box[1])
        x1, y1 = b.box[0] + b.box[2], max(a.box[1] + a.box[3], b.box[1] + b.box[3])
        score = min(a.score, b.score) * (1.0 if 5 <= n <= 8 else 0.6)
        merged.append(
            Candidate(
                (x0, y0, x1 - x0, y1 - y0),
                (a.char_height + b.char_height) / 2,
                (a.angle_deg + b.angle_deg) / 2,
                n,
                score,
            )
        )
    return merged


def _candidate(group: np.ndarray, min_width: float = 1.2) -> Candidate | None:
    # Plain Python floats: groups are a few glyphs, and numpy's per-call cost dominates at that size.
    xs, ys, ws, hs = (group[:, k].tolist() for k in range(4))
    x0, y0 = min(xs), min(ys)
    x1 = max(x + w for x, w in zip(xs, ws, strict=True))
    y1 = max(y + h for y, h in zip(ys, hs, strict=True))
    med_h = float(sorted(hs)[len(hs) // 2])
    width = x1 - x0
    # Three bold glyphs set tight ("123" on Mississippi plates) span only about 1.3 glyph heights.
    if width < min_width * med_h or width > 9 * med_h:
        return None
    n_glyphs = len(xs)
    cx = [x + w / 2 for x, w in zip(xs, ws, strict=True)]
    cy = [y + h / 2 for y, h in zip(ys, hs, strict=True)]
    # Least-squares line through the glyph centres, in closed form.
    mean_x, mean_y = sum(cx) / n_glyphs, sum(cy) / n_glyphs
    dx = [v - mean_x for v in cx]
    var = sum(d * d for d in dx)
    slope = sum(d * (v - mean_y) for d, v in zip(dx, cy, strict=True)) / var if var > 0 else 0.0
    angle = math.degrees(math.atan(slope))
    if abs(angle) > 25:
        return None
    # A wide blob is several touching glyphs: count it as such.
    n = sum(max(1, round(w / (0.62 * med_h))) for w in ws)
    count_score = 1.0 if 5 <= n <= 8 else (0.7 if n in (4, 9) else 0.4)
    height_cv = _std(hs) / max(med_h, 1)
    residual = _std([v - mean_y - slope * d for v, d in zip(cy, dx, strict=True)]) / max(med_h, 1)
    score = count_score * max(0.0, 1 - 2 * height_cv) * max(0.0, 1 - 3 * residual)
    return Candidate((int(x0), int(y0), int(width), int(y1 - y0)), med_h, angle, n, score)


def _std(values: list[float]) -> float:
    """The population standard deviation (as numpy's std)."""
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two boxes (x, y, w, h)."""
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0, min(ax1, bx1) - max(a[0], b[0]))
    ih = max(0, min(ay1, by1) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union else 0.0


# Condensed plate fonts (Texas, for one) fit a glyph into a third of its height; the recognizer
# learned glyphs about half as wide as high and misreads them squeezed (3083 as UR), so a row whose
# box width per glyph is under MIN_GLYPH_PITCH glyph heights is widened to WIDENED_PITCH.
MIN_GLYPH_PITCH = 0.45
WIDENED_PITCH = 0.52


def crop_line(
    image: np.ndarray, cand: Candidate, out_h: int, out_w: int, margin: float = 0.35, side_margin: float = 0.6
) -> np.ndarray:
    """The candidate's text line, deskewed, with a margin, resized to (out_h, out_w) keeping aspect
    (condensed rows widened, up to out_w)."""
    x, y, w, h = cand.box
    pitch = w / max(cand.n_chars, 1) / max(cand.char_height, 1.0)
    widen = WIDENED_PITCH / pitch if not cand.whole_plate and pitch < MIN_GLYPH_PITCH else 1.0
    cx, cy = x + w / 2, y + h / 2
    half_w = w / 2 + side_margin * cand.char_height
    half_h = cand.char_height / 2 + margin * cand.char_height
    rot = cv2.getRotationMatrix2D((cx, cy), cand.angle_deg, 1.0)
    scale = out_h / (2 * half_h)
    target_w = min(out_w, max(8, round(2 * half_w * scale * widen)))
    scale_w = target_w / (2 * half_w)
    # Compose: rotate around the centre, then map the box to the output rectangle.
    affine = np.array(
        [[scale_w, 0, -(cx - half_w) * scale_w], [0, scale, -(cy - half_h) * scale]], dtype=np.float64
    )
    full = np.vstack([rot, [0, 0, 1]])
    m2 = affine @ full
    line = cv2.warpAffine(
        image, m2, (target_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return line
