"""Write rendered scenes with distractors as an evaluation folder for `make eval DATA=DIR`.

    .venv/bin/python training/scenes.py DIR [--n 200] [--seed 4242]
    .venv/bin/python training/scenes.py DIR --crops us-crops-tune.txt --real-share 1

The scenes are those the ranker trains on (`training/ranker.py`: rendered cars, half with a real
plate crop of the crops TRAINING split pasted in, timestamps, signs and dealer text around), from a
seed the ranker never used. They are the development set for engine changes, so the evaluation
sets are measured once per change, not tuned on. With `--crops us-crops-tune.txt --real-share 1`
every scene carries a real plate that neither plate-crnn nor the ranker ever saw: the fairer
development set for reading and choosing (the training split's crops are read surer than a new
plate would be). With `--far-share 1` every car is as far away as in a street photo (plates 60-130
px wide): the development set for small plates. The plate's box is recorded as the end-to-end
format's x,y,w,h. With `--plate-free` the plate is painted out and its label left empty: every
read `make eval` reports there is a false one (1 - `no_plate`).
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import cv2
import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from training.ranker import SEED, scenes


def paint_out(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The scene with its plate (and a margin around it) filled in from the car around it."""
    x, y, w, h = box
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[max(0, y - h // 4) : y + h + h // 4, max(0, x - w // 6) : x + w + w // 6] = 255
    return cv2.inpaint(image, mask, 5, cv2.INPAINT_TELEA)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument(
        "--crops",
        default="us-crops-train.txt",
        help="the crops split whose photographs are pasted in (us-crops-tune.txt: plates no model saw)",
    )
    parser.add_argument("--real-share", type=float, default=0.5, help="share of scenes with a real plate")
    parser.add_argument(
        "--far-share", type=float, default=0.0, help="share of scenes with the car 2-3 times further away"
    )
    parser.add_argument(
        "--plate-free",
        action="store_true",
        help="paint the plate out (its label is then empty): the share of images read is the false reads",
    )
    args = parser.parse_args(argv)
    if args.seed == SEED:
        parser.error("that is the ranker's training seed")
    if args.crops == "us-crops-test.txt":
        parser.error("the test split is for reporting only, never for development")
    out = pathlib.Path(args.out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    rows = ["image,x,y,w,h,plate"]
    made = scenes(args.n, args.seed, args.crops, args.real_share, args.far_share)
    for i, (image, text, (x, y, w, h)) in enumerate(made):
        name = f"s{i:03d}.jpg"
        if args.plate_free:
            image, text = paint_out(image, (x, y, w, h)), ""
        cv2.imwrite(str(out / "images" / name), image, [cv2.IMWRITE_JPEG_QUALITY, 88])
        rows.append(f"{name},{x},{y},{w},{h},{text}")
    (out / "ground_truth.csv").write_text("\n".join(rows) + "\n")
    print(f"{args.n} scenes in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
