"""Train the candidate ranker (which row is the plate) and write layers/models/plate-ranker.

    .venv/bin/python training/ranker.py [--scenes 700] [--out layers/models/plate-ranker]

Data, all made here with fixed seeds: every candidate row the engine finds (with plate-crnn's
reading and `alpr.recognition.ranker.features`) in
- rendered scenes (`alpr.demo.synth.render_scene`), half of them with a real plate crop of the crops
  TRAINING split pasted over the rendered plate, all with synthetic non-plate text drawn in: camera
  timestamps and captions at the picture's edges, signs, dealer frames and badges near the plate;
- the crops of `training/splits/us-crops-train.txt` (the number row against state names, slogans).
A candidate is a positive when its reading is the plate's text. The score is linear over the
standardised features, fitted with a softmax over each image's candidates (so it learns to choose,
not to classify) and L2 weight decay. Never `openalpr-us-dev`, never the held-out
`us-crops-tune.txt` and `us-crops-test.txt`.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import pathlib
import random
import sys
import time
from collections.abc import Iterator

import cv2
import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from alpr.demo.synth import known_styles, render_scene
from alpr.recognition import Engine, decode_image, normalise_plate
from alpr.recognition.ranker import FEATURES
from training.dataset import BENCH, random_plate_text, split

REPO = pathlib.Path(__file__).resolve().parents[1]
OUT = REPO / "layers" / "models" / "plate-ranker"
SEED = 20261130

WORDS = (
    "SPEED LIMIT",
    "EXIT",
    "STOP",
    "PARKING",
    "NO PARKING",
    "TOYOTA",
    "HONDA",
    "FORD",
    "CAMRY",
    "ACCORD",
    "DEALER",
    "MOTORS",
    "AUTO SALES",
    "CALL",
    "ONLY",
    "RESERVED",
    "BUS",
    "TAXI",
    "LANE",
    "ONE WAY",
    "HYBRID",
    "SPORT",
    "LIMITED",
    "4X4",
    "V6",
    "AWD",
    "GT",
    "LX",
    "WWW",
    "COM",
    "HOTEL",
    "PHARMACY",
    "OPEN",
    "CLOSED",
    "SALE",
    "RENT",
    "MAIN ST",
    "AVE",
    "BLVD",
    "ROUTE",
    "I LOVE",
)
FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_PLAIN,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
)


def _timestamp(py: random.Random) -> str:
    y, mo, d = py.randint(2005, 2026), py.randint(1, 12), py.randint(1, 28)
    hh, mm, ss = py.randint(0, 23), py.randint(0, 59), py.randint(0, 59)
    forms = (
        f"{y}-{mo:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d}",
        f"{mo:02d}/{d:02d}/{y} {hh:02d}:{mm:02d}",
        f"{d:02d}.{mo:02d}.{y % 100:02d} {hh:02d}:{mm:02d}:{ss:02d}",
        f"CAM {py.randint(1, 16):02d} {hh:02d}:{mm:02d}:{ss:02d}",
        f"{hh:02d}:{mm:02d}:{ss:02d}",
        f"IMG_{py.randint(1000, 9999)}",
        f"{y}{mo:02d}{d:02d}",
    )
    return py.choice(forms)


def _random_text(py: random.Random) -> str:
    r = py.random()
    if r < 0.35:
        return py.choice(WORDS)
    if r < 0.55:
        return f"{py.choice(WORDS)} {py.randint(1, 999)}"
    if r < 0.75:
        return str(py.randint(10, 99999))
    if r < 0.9:  # plate-like strings on signs and stickers: only the surroundings tell them apart
        return random_plate_text(py)
    return f"{py.randint(100, 999)}-{py.randint(100, 999)}-{py.randint(1000, 9999)}"


def _put(
    img: np.ndarray,
    text: str,
    org: tuple[int, int],
    py: random.Random,
    height_px: int,
    colour: tuple[int, int, int],
    box: tuple[int, int, int] | None,
) -> None:
    font = py.choice(FONTS)
    scale = cv2.getFontScaleFromHeight(font, max(6, height_px), 2)
    thick = max(1, int(height_px / py.uniform(6, 12)))
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    x, y = org
    if box is not None:
        pad = max(2, height_px // 3)
        cv2.rectangle(img, (x - pad, y - th - pad), (x + tw + pad, y + base + pad), box, -1)
    cv2.putText(img, text, (x, y), font, scale, colour, thick, cv2.LINE_AA)


def _distractors(img: np.ndarray, plate: tuple[int, int, int, int], py: random.Random) -> None:
    """Non-plate text where photographs have it: overlays at the edges, signs, near the plate."""
    h, w = img.shape[:2]
    px, py0, pw, ph = plate
    light = (py.randint(200, 255), py.randint(200, 255), py.randint(200, 255))
    yellow = (0, py.randint(200, 255), py.randint(200, 255))
    dark = (py.randint(0, 50),) * 3
    if py.random() < 0.6:  # camera overlay at the top or bottom edge
        size = py.randint(max(8, h // 60), max(10, h // 18))
        y = py.randint(size + 2, size + h // 25) if py.random() < 0.5 else h - py.randint(4, h // 25 + 5)
        x = py.randint(2, max(3, w // 2))
        bar = py.choice([None, None, dark, (0, 0, 0)])
        _put(img, _timestamp(py), (x, y), py, size, py.choice([light, yellow, light]), bar)
    for _ in range(py.randint(0, 3)):  # signs and stickers anywhere, but not over the plate
        size = py.randint(max(8, h // 70), max(10, h // 12))
        x, y = py.randint(0, max(1, w - 4 * size)), py.randint(size + 4, h - 4)
        text = _random_text(py)
        # Hershey glyphs are at most about one height wide; the sign's padding is a third of one.
        right, top = x + (len(text) + 1) * size, y - 2 * size
        if x < px + pw and right > px and top < py0 + ph and y + size > py0:
            continue
        bg = py.choice([None, light, (py.randint(0, 255), py.randint(0, 255), py.randint(0, 255))])
        fg = dark if bg == light or (bg is None and py.random() < 0.5) else light
        _put(img, text, (x, y), py, size, fg, bg)
    if py.random() < 0.4:  # dealer frame text or a badge just below or above the plate
        size = max(6, int(ph * py.uniform(0.12, 0.3)))
        below = py.random() < 0.6
        y = py0 + ph + size + py.randint(1, max(2, size)) if below else py0 - py.randint(2, max(3, size))
        _put(
            img,
            py.choice(WORDS),
            (px + py.randint(0, max(1, pw // 4)), y),
            py,
            size,
            py.choice([light, dark]),
            py.choice([None, dark]),
        )


def _paste(img: np.ndarray, crop: np.ndarray, box: tuple[int, int, int, int]) -> None:
    x, y, w, h = box
    if w < 8 or h < 8:
        return
    img[y : y + h, x : x + w] = cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA)


def paste_real_plate(
    img: np.ndarray, box: tuple[int, int, int, int], crop: np.ndarray
) -> tuple[int, int, int, int]:
    """The photograph's box (x, y, w, h) after pasting a real plate photograph over the rendered
    plate at `box`: centred, at 85 % of its width, on plain sheeting of the photograph's own border
    colour. The sheeting keeps a plate's margin around glyphs the crop cuts close, and hides the
    rendered plate, whose slogan (another state's) would show above and below a photograph more
    than 1.7 times as wide as high (most crops are about 2)."""
    x, y, w, h = box
    border = np.concatenate([crop[0], crop[-1], crop[:, 0], crop[:, -1]])
    img[y : y + h, x : x + w] = np.median(border, axis=0)
    cw = int(w * 0.85)
    chh = int(cw * crop.shape[0] / crop.shape[1])
    plate_box = (x + (w - cw) // 2, y + (h - chh) // 2, cw, min(chh, img.shape[0] - y))
    _paste(img, crop, plate_box)
    return plate_box


def scenes(
    n: int,
    seed: int,
    crops: str = "us-crops-train.txt",
    real_share: float = 0.5,
    far_share: float = 0.0,
) -> Iterator[tuple[np.ndarray, str, tuple[int, int, int, int]]]:
    """Rendered cars with distractors; in real_share of them a real plate photograph from the
    crops split `crops` replaces the rendered plate. In far_share of them the car is two to three
    times further away (`render_scene`'s distance), as in street photos, where the plate is a few
    percent of the frame and everything larger around it is some other text. Each scene comes with
    its plate's text and box (x, y, w, h)."""
    py = random.Random(seed)
    root = BENCH / "openalpr-us-crops"
    train = sorted(split(crops))
    labels = {
        r["image"]: normalise_plate(r["plate"]) for r in csv.DictReader((root / "ground_truth.csv").open())
    }
    states = list(known_styles())
    for i in range(n):
        text = random_plate_text(py)
        width = py.choice([640, 800, 1024, 1280, 1600])
        height = int(width * py.choice([0.5625, 0.75]))
        distance = py.uniform(2.0, 3.0) if py.random() < far_share else 1.0
        raw, box = render_scene(
            text, py.choice(states), seed=seed * 1000 + i, width=width, height=height, distance=distance
        )
        img = decode_image(raw).copy()
        plate_box = box
        if py.random() < real_share:  # a real plate photograph instead
            name = py.choice(train)
            crop = cv2.imread(str(root / "images" / name), cv2.IMREAD_COLOR)
            if crop is not None:
                plate_box = paste_real_plate(img, box, crop)
                text = labels[name]
        _distractors(img, box, py)
        if py.random() < 0.5:
            img = cv2.GaussianBlur(img, (3, 3), 0)
        yield img, text, plate_box


def crops_train() -> list[tuple[np.ndarray, str]]:
    root = BENCH / "openalpr-us-crops"
    names = split("us-crops-train.txt")
    out = []
    for row in csv.DictReader((root / "ground_truth.csv").open()):
        if row["image"] in names:
            out.append(
                (decode_image((root / "images" / row["image"]).read_bytes()), normalise_plate(row["plate"]))
            )
    return out


def groups(
    engine: Engine, items: list[tuple[np.ndarray, str]]
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per image: features (n, F), labels (n,), heuristic log-ranks (n,); images whose plate no
    candidate reads right are dropped (no choice to learn there)."""
    out = []
    for img, truth in items:
        _, _, scored = engine.candidates(img)
        if not scored:
            continue
        labels = np.array([row.best.text == truth for row in scored], np.float32)
        if labels.sum() == 0:
            continue
        feats = np.stack([row.features for row in scored])
        heur = np.log(np.maximum([row.rank for row in scored], 1e-9))
        # The heuristic also rejected rows below 0.05; keep that as it stands in read().
        legible = np.array([row.rank >= 0.05 for row in scored])
        out.append((feats[legible], labels[legible], heur[legible]))
    return [g for g in out if len(g[1]) and g[1].sum() > 0]


def fit(
    train: list[tuple[np.ndarray, np.ndarray, np.ndarray]], decay: float, steps: int = 3000
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Softmax over each image's candidates, linear score, L2 decay: (mean, std, coef)."""
    allf = np.concatenate([g[0] for g in train])
    mean, std = allf.mean(axis=0), allf.std(axis=0) + 1e-3
    xs = [(g[0] - mean) / std for g in train]
    ys = [g[1] / g[1].sum() for g in train]
    coef = np.zeros(allf.shape[1])
    lr = 0.5
    for _ in range(steps):
        grad = decay * coef
        for x, y in zip(xs, ys, strict=True):
            s = x @ coef
            p = np.exp(s - s.max())
            p /= p.sum()
            grad += x.T @ (p - y) / len(xs)
        coef -= lr * grad
    return mean, std, coef


def accuracy(test: list[tuple[np.ndarray, np.ndarray, np.ndarray]], score) -> float:  # type: ignore[no-untyped-def]
    return float(np.mean([g[1][int(np.argmax(score(g)))] > 0 for g in test]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=700)
    parser.add_argument(
        "--far-share", type=float, default=0.75, help="share of scenes with the car at street distance"
    )
    parser.add_argument("--decay", type=float, default=None, help="default: chosen on held-out fifths")
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--cache", default=str(REPO / "training" / "work" / "ranker-groups.npz"))
    parser.add_argument(
        "--models",
        default=None,
        help="the models folder whose plate-crnn reads the rows (default: layers/models)",
    )
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    # Learn from the features alone, never from a previous ranker.
    engine = Engine.load(pathlib.Path(args.models) if args.models else None, ranked=False)
    t0 = time.time()
    cache = pathlib.Path(args.cache)
    if cache.is_file():
        z = np.load(cache, allow_pickle=True)
        synth, real = list(z["synth"]), list(z["real"])
    else:
        synth = groups(engine, [(im, t) for im, t, _ in scenes(args.scenes, SEED, far_share=args.far_share)])
        print(f"scenes: {len(synth)} groups ({time.time() - t0:.0f} s)", flush=True)
        real = groups(engine, crops_train())
        print(f"crops-train: {len(real)} groups ({time.time() - t0:.0f} s)", flush=True)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, synth=np.array(synth, dtype=object), real=np.array(real, dtype=object))
    rng = np.random.default_rng(SEED)
    # Choose the decay on a held-out fifth of each source (the same fifths for every decay), then
    # fit on everything with the best one.
    folds = []
    for src in (synth, real):
        idx = rng.permutation(len(src))
        cut = len(src) // 5
        folds.append(
            ([src[i] for i in idx[cut:]], [src[i] for i in idx[:cut]], real if src is synth else synth)
        )
    chosen: float = args.decay if args.decay is not None else 0.0
    best = -1.0
    for decay in (0.001, 0.003, 0.01, 0.03, 0.1):
        accs = []
        for tr, te, other in folds:
            mean, std, coef = fit(tr + other, decay, steps=800)
            accs.append(
                (
                    accuracy(te, lambda g: g[2]),
                    accuracy(te, lambda g, m=mean, s=std, c=coef: ((g[0] - m) / s) @ c),
                )
            )
        print(
            f"decay {decay}: held-out choice accuracy (heuristic -> learned) "
            f"scenes {accs[0][0]:.3f} -> {accs[0][1]:.3f}, crops-train {accs[1][0]:.3f} -> {accs[1][1]:.3f}",
            flush=True,
        )
        if args.decay is None and accs[0][1] + accs[1][1] > best:
            chosen, best = decay, accs[0][1] + accs[1][1]
    print(f"decay {chosen}", flush=True)
    mean, std, coef = fit(synth + real, chosen)
    for name, c in zip(FEATURES, coef, strict=True):
        print(f"  {name:18s} {c:+.3f}")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    weights = {
        "features": list(FEATURES),
        "mean": [round(float(v), 6) for v in mean],
        "std": [round(float(v), 6) for v in std],
        "coef": [round(float(v), 6) for v in coef],
        "bias": 0.0,
    }
    body = json.dumps(weights, indent=2) + "\n"
    (out / "weights.json").write_text(body)
    digest = hashlib.sha256(body.encode()).hexdigest()
    manifest = {
        "name": "plate-ranker",
        "kind": "linear",
        "role": "candidate ranker",
        "version": f"plate-ranker-{digest[:8]}",
        "file": "weights.json",
        "sha256": digest,
        "source": "trained by this project: training/ranker.py",
        "licence": "Apache-2.0 (the weights; see training_data for the data's terms)",
        "input": {"features": list(FEATURES), "size": len(FEATURES)},
        "output": "a logit per candidate row; the highest is taken as the plate",
        "trained_with": f"the readings of {engine.model_version}",
        "training_data": {
            "groups": {"rendered-scenes": len(synth), "us-crops-train": len(real)},
            "rendered-scenes": "alpr.demo.synth.render_scene, half with a us-crops-train crop pasted over the plate, "
            f"{args.far_share:.0%} with the car at street distance (plates 60-130 px wide), "
            "with synthetic timestamps, signs and dealer text (training/ranker.py, seed 20261130)",
            "us-crops-train": "openalpr/benchmarks seg_and_ocr (AGPL-3.0), training/splits/us-crops-train.txt",
            "never_used": "openalpr-us-dev (end-to-end evaluation set) and the held-out crops, "
            "training/splits/us-crops-tune.txt and us-crops-test.txt",
        },
        "training": {"decay": chosen, "seed": SEED, "seconds": round(time.time() - t0)},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
