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
format's x,y,w,h.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import cv2

if __package__ in (None, ""):
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from training.ranker import SEED, scenes


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
        cv2.imwrite(str(out / "images" / name), image, [cv2.IMWRITE_JPEG_QUALITY, 88])
        rows.append(f"{name},{x},{y},{w},{h},{text}")
    (out / "ground_truth.csv").write_text("\n".join(rows) + "\n")
    print(f"{args.n} scenes in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
