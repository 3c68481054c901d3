"""Recognition on the development sets, where every engine change is chosen: one command.

Usage: .venv/bin/python bench/dev_sets.py [--models DIR] [--sets far,near,...] [--n 200] [--work DIR]

The sets (docs/recognition.md, "Commands"): rendered street scenes, each carrying a real plate of the
crops' tuning half that no model saw, with every car at street distance (`far`) or nearer (`near`);
the same scenes with the plate painted out (`plate-free-far`, `plate-free-near`: every read there is
a false one); real street photos with their plates painted out the same way (`plate-free-photos`:
Open Images `valid`, whose signs are the world's, not the renderer's); the same photos' plates that
could be read by eye (`street-photos`: bench/labels/openimages-valid-plates.csv, each in its photo
with the photo's other plates painted out); and the tuning half itself (`tune`). Scenes are rendered
once into WORK, in a folder named by the renderer's source, so a change to the renderer renders them
again. Each set is read by bench/eval.py (one core, its per-image CSV in OUT); dev and the crops'
test half are not among them: they are checks, run with `make eval`. Prints one JSON line per set,
then one JSON object of all: exact, within_one, wrong_unflagged, hotlist_match and median_ms for the
sets with plates (and north_american_exact on the street photos); for the plate-free ones `read`
(the share of photos with any read) and `unflagged` (with a read not flagged low confidence).
With `--against DIR` (an earlier run's OUT) each set also counts the photos `gained` and `lost`
(read exactly now and not then, or the reverse; on a plate-free set, exact is no read) and names
them on stderr: the "+4, -1" of docs/recognition.md; `sign_p` is the chance of a trade at least
that lopsided from a change that makes no difference (the exact sign test). The far and near
scenes carry the tuning half's 125 plates again, so the three sets' trades are not independent.
An earlier run that read other scenes (the renderer has changed since) is refused before reading.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import inspect
import io
import json
import math
import os
import pathlib
import sys
from collections.abc import Mapping
from typing import Any

# One core, as bench/eval.py measures: set before the renderer imports numpy and OpenCV.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

REPO = pathlib.Path(__file__).resolve().parents[1]
CROPS = REPO.parent / "shared" / "bench" / "openalpr-us-crops"
TUNE_SPLIT = REPO / "training" / "splits" / "us-crops-tune.txt"
# Each rendered set as training/scenes.py's options: the tuning half's plates (no model saw them),
# at street distance or nearer, with the plate or painted out.
TUNING_PLATES = ["--crops", "us-crops-tune.txt", "--real-share", "1"]
FAR = ["--far-share", "1"]
SCENES: dict[str, list[str]] = {
    "far": [*TUNING_PLATES, *FAR],
    "near": TUNING_PLATES,
    "plate-free-far": [*TUNING_PLATES, *FAR, "--plate-free"],
    "plate-free-near": [*TUNING_PLATES, "--plate-free"],
}
# Real street photos with no plate: the Open Images `valid` split (the detector's validation photos,
# never trained on) with every boxed plate painted out as the rendered plate-free scenes are. The
# signs, shop fronts and stickers are the world's, not the renderer's; a plate the boxes missed
# would count as a false read.
PHOTOS = REPO.parent / "shared" / "bench" / "openimages-plate-boxes"
PLATE_FREE_PHOTOS = "plate-free-photos"
# The same photos' plates read by eye (the 179 of the 280 boxed 40 px wide or more whose every glyph
# is certain; many countries, `region` us, ca or other): real street plates at every distance, where
# the far and near scenes paste a crop into a rendered street. A plate inside another plate's box
# (a wall of old plates boxed as one) is not among them: painting that box out would paint it too.
STREET_PHOTOS = "street-photos"
PLATE_TEXT = REPO / "bench" / "labels" / "openimages-valid-plates.csv"
NORTH_AMERICAN = ("us", "ca")
SETS = (*SCENES, PLATE_FREE_PHOTOS, STREET_PHOTOS, "tune")
# What the scenes are drawn by: a change to any of these renders the sets again.
RENDERER = (
    "layers/alpr/alpr/demo/synth.py",
    "training/ranker.py",
    "training/scenes.py",
    "training/dataset.py",
)


def renderer_digest() -> str:
    """A short digest of the renderer's source files."""
    digest = hashlib.sha256()
    for name in RENDERER:
        digest.update((REPO / name).read_bytes())
    return digest.hexdigest()[:8]


def scene_folder(work: pathlib.Path, name: str, n: int) -> pathlib.Path:
    """The set's folder, rendered with training/scenes.py unless it is there already."""
    from training import scenes

    folder = work / f"{name}-{n}-{renderer_digest()}"
    if not (folder / "ground_truth.csv").is_file():
        with contextlib.redirect_stdout(io.StringIO()):
            scenes.main([str(folder), "--n", str(n), *SCENES[name]])
    return folder


def valid_boxes() -> dict[str, list[tuple[int, int, int, int]]]:
    """Every boxed plate of the Open Images `valid` split (x, y, w, h), by photo."""
    boxes: dict[str, list[tuple[int, int, int, int]]] = {}
    for row in csv.DictReader((PHOTOS / "boxes.csv").open()):
        if row["split"] == "valid":
            boxes.setdefault(row["image"], []).append(_box(row))
    return boxes


def _box(row: Mapping[str, str]) -> tuple[int, int, int, int]:
    x, y, w, h = (round(float(row[k])) for k in "xywh")
    return x, y, w, h


def _write_painted(
    folder: pathlib.Path, name: str, photo: str, boxes: list[tuple[int, int, int, int]]
) -> None:
    """The Open Images `photo` with `boxes` painted out (`paint_out`, as the rendered plate-free
    scenes are), written into FOLDER/images as `name`."""
    import cv2
    import numpy as np

    from training.scenes import paint_out

    image = np.asarray(cv2.imread(str(PHOTOS / "images" / photo), cv2.IMREAD_COLOR))
    for box in boxes:
        image = paint_out(image, box)
    cv2.imwrite(str(folder / "images" / name), image, [cv2.IMWRITE_JPEG_QUALITY, 90])


def _photo_set(work: pathlib.Path, name: str, n: int, *sources: str) -> pathlib.Path:
    """A real-photo set's folder, named by the code (and data) that paints it: paint_out among the
    renderer's files, `_write_painted` and `sources`."""
    source = (renderer_digest() + inspect.getsource(_write_painted) + "".join(sources)).encode()
    return work / f"{name}-{n or 'all'}-{hashlib.sha256(source).hexdigest()[:8]}"


def photo_folder(work: pathlib.Path, n: int = 0) -> pathlib.Path:
    """The first n photos (0: all) of the Open Images `valid` split with their plates painted out,
    written into WORK unless they are there already."""
    folder = _photo_set(work, PLATE_FREE_PHOTOS, n, inspect.getsource(photo_folder))
    if (folder / "ground_truth.csv").is_file():
        return folder
    boxes = valid_boxes()
    (folder / "images").mkdir(parents=True, exist_ok=True)
    rows = ["image,x,y,w,h,plate"]
    for name in sorted(boxes)[: n or None]:
        _write_painted(folder, name, name, boxes[name])
        rows.append(f"{name},,,,,")
    (folder / "ground_truth.csv").write_text("\n".join(rows) + "\n")
    return folder


def street_folder(work: pathlib.Path, n: int = 0) -> pathlib.Path:
    """The first n (0: all) plates of bench/labels/openimages-valid-plates.csv, each in its photo with
    every other boxed plate painted out (a photo with two read plates gives two images, `<photo>-<k>`),
    so the plate to read is the photo's only one; written into WORK unless it is there already."""
    folder = _photo_set(work, STREET_PHOTOS, n, inspect.getsource(street_folder), PLATE_TEXT.read_text())
    if (folder / "ground_truth.csv").is_file():
        return folder
    boxes = valid_boxes()
    plates = list(csv.DictReader(PLATE_TEXT.open()))[: n or None]
    per_photo: dict[str, int] = {}
    (folder / "images").mkdir(parents=True, exist_ok=True)
    rows = ["image,x,y,w,h,plate,region"]
    for plate in plates:
        photo, box = plate["image"], _box(plate)
        k = per_photo[photo] = per_photo.get(photo, 0) + 1
        name = photo if k == 1 else f"{pathlib.Path(photo).stem}-{k}.jpg"
        _write_painted(folder, name, photo, [other for other in boxes[photo] if other != box])
        rows.append(f"{name},{','.join(map(str, box))},{plate['plate']},{plate['region']}")
    (folder / "ground_truth.csv").write_text("\n".join(rows) + "\n")
    return folder


def figures(name: str, summary: Mapping[str, Any]) -> dict[str, object]:
    """The figures a set is judged by (on a plate-free set every read is a false one)."""
    if name.startswith("plate-free"):
        return {
            "images": summary["images"],
            "read": round(1 - summary["no_plate"], 4),
            "unflagged": summary["wrong_unflagged"],
            "median_ms": summary["median_ms"],
        }
    keys = ("images", "exact", "within_one", "wrong_unflagged", "hotlist_match", "median_ms")
    return {key: summary[key] for key in keys}


def north_american_exact(folder: pathlib.Path, per_image: pathlib.Path) -> float:
    """The share of a street set's US and Canadian plates read exactly (the department's own kind)."""
    region = {row["image"]: row["region"] for row in csv.DictReader((folder / "ground_truth.csv").open())}
    hits = [
        row["exact"] == "1"
        for row in csv.DictReader(per_image.open())
        if region[row["image"]] in NORTH_AMERICAN
    ]
    return round(sum(hits) / len(hits), 4) if hits else 0.0


def changes(before: pathlib.Path, after: pathlib.Path) -> tuple[list[str], list[str]]:
    """The photos read exactly in `after` and not in `before` (gained), and the reverse (lost), each
    as "image truth: before -> after", from two of bench/eval.py's per-image CSVs."""
    old = {row["image"]: row for row in csv.DictReader(before.open())}
    gained: list[str] = []
    lost: list[str] = []
    for row in csv.DictReader(after.open()):
        was = old[row["image"]]
        if row["exact"] != was["exact"]:
            line = f"{row['image']} {row['truth']}: {was['predicted']} -> {row['predicted']}"
            (gained if row["exact"] == "1" else lost).append(line)
    return gained, lost


def sign_p(gained: int, lost: int) -> float:
    """The chance of a trade at least this lopsided if the change made no difference: the exact
    two-sided sign test on the photos that changed, each as likely gained as lost."""
    n = gained + lost
    tail = sum(math.comb(n, k) for k in range(min(gained, lost) + 1)) / 2**n
    return min(1.0, 2 * tail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=None, help="models directory (default: layers/models)")
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    parser.add_argument("--n", type=int, default=200, help="scenes per rendered set")
    parser.add_argument(
        "--photos",
        type=int,
        default=0,
        help="photos of each real-photo set (0: all; plate-free: Open Images valid's 351, street: 179)",
    )
    parser.add_argument("--work", default=str(REPO / "eval-out" / "dev-sets"), help="rendered scenes")
    parser.add_argument("--out", default=str(REPO / "eval-out"), help="per-image CSVs")
    parser.add_argument("--against", default=None, help="an earlier run's --out, to count what changed")
    parser.add_argument("--support", default=None, help="the detector's support score (bench/eval.py)")
    args = parser.parse_args(argv)
    import eval as engine_eval  # bench/eval.py: on the path as this script's own folder

    names = args.sets.split(",")
    unknown = sorted(set(names) - set(SETS))
    if unknown:
        parser.error(f"unknown sets: {', '.join(unknown)}")

    models = ["--models", args.models] if args.models else []
    models += ["--support", args.support] if args.support else []
    inputs: dict[str, list[str]] = {}
    for name in names:
        if name == "tune":
            inputs[name] = [str(CROPS), "--split", str(TUNE_SPLIT)]
        elif name == PLATE_FREE_PHOTOS:
            inputs[name] = [str(photo_folder(pathlib.Path(args.work), args.photos))]
        elif name == STREET_PHOTOS:
            inputs[name] = [str(street_folder(pathlib.Path(args.work), args.photos))]
        else:
            inputs[name] = [str(scene_folder(pathlib.Path(args.work), name, args.n))]
    # Each set's per-image CSV is named by its folder, and so by the renderer's source.
    csv_names = {name: f"{pathlib.Path(argv_eval[0]).name}.csv" for name, argv_eval in inputs.items()}
    if args.against:
        missing = [
            f"{name}/{csv_names[name]}"
            for name in names
            if not (pathlib.Path(args.against) / name / csv_names[name]).is_file()
        ]
        if missing:
            parser.error(
                f"{args.against} has no {', '.join(missing)}: it read other scenes (the renderer has "
                "changed since) or not these sets; read them again with the earlier engine"
            )
    results: dict[str, dict[str, object]] = {}
    for name, argv_eval in inputs.items():
        out = pathlib.Path(args.out) / name
        summary = engine_eval.evaluate([*argv_eval, "--out", str(out), *models])
        results[name] = figures(name, summary)
        if name == STREET_PHOTOS:
            folder = pathlib.Path(argv_eval[0])
            results[name]["north_american_exact"] = north_american_exact(folder, out / csv_names[name])
        if args.against:
            csv_name = csv_names[name]
            gained, lost = changes(pathlib.Path(args.against) / name / csv_name, out / csv_name)
            results[name].update(
                gained=len(gained), lost=len(lost), sign_p=round(sign_p(len(gained), len(lost)), 3)
            )
            for line in [f"+ {g}" for g in gained] + [f"- {lo}" for lo in lost]:
                print(f"{name}: {line}", file=sys.stderr)
        print(json.dumps({"set": name, **results[name]}), flush=True)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.path[:0] = [str(REPO), str(REPO / "bench")]
    raise SystemExit(main())
