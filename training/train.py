"""Train the plate recognizer and export it to layers/models/plate-crnn (`make train`).

    .venv/bin/python training/train.py [--epochs N] [--synthetic N] [--threads 1]

Data: rendered plates (alpr.demo.synth), the training split of openalpr-us-crops
(training/splits/us-crops-train.txt), the same crops pasted into scenes at street distance and cut
out by the engine's detection, openalpr-br-crops, and with `--street-photos N` the plates of Open
Images train photos read by eye (bench/labels/openimages-train-plates.csv), cut out the same way;
never openalpr-us-dev, never the held-out splits training/splits/us-crops-tune.txt and
us-crops-test.txt, never Open Images valid. Seeds are fixed, so a run is
repeatable up to floating-point nondeterminism; `--seed` varies the initialisation and batch order.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

if __package__ in (None, ""):  # run as `python training/train.py`: make the repo root importable
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from alpr.recognition.decoder import ALPHABET
from alpr.recognition.plate_detector import PlateDetector
from training.dataset import (
    HEIGHT,
    MARGIN,
    WIDTH,
    labelled_street_photos,
    real_crops,
    split,
    street_lines,
    synthetic,
)
from training.model import PlateCRNN
from training.ranker import scenes

REPO = pathlib.Path(__file__).resolve().parents[1]
WORK = REPO / "training" / "work"
OUT = REPO / "layers" / "models" / "plate-crnn"
SEED = 20261129


def build_data(
    n_synthetic: int, us_copies: int, br_copies: int, n_street: int, photo_copies: int
) -> tuple[np.ndarray, list[str], dict[str, int]]:
    """Every training line, each part cached in training/work/ on its own (rendering and cutting
    them takes minutes, a part's cache survives a change to another part's size)."""
    # Street lines are cut around this detector's boxes, so its version names their cache: a new
    # detector cuts them again.
    detector = PlateDetector.load(threads=1)
    parts = {
        f"synthetic-{n_synthetic}": lambda: synthetic(n_synthetic, SEED, gray=True),
        f"us-crops-train-{us_copies}": lambda: real_crops(
            "openalpr-us-crops", split("us-crops-train.txt"), us_copies, SEED, True
        ),
        f"br-crops-{br_copies}": lambda: real_crops("openalpr-br-crops", None, br_copies, SEED + 1, True),
        # Scenes from a seed of their own: the ranker's (SEED + 1) and the development scenes' differ.
        # Cut as the engine cuts them: by the row finder and around the plate detector's boxes.
        f"street-{detector.version}-{n_street}": lambda: street_lines(
            scenes(n_street, SEED + 2, "us-crops-train.txt", real_share=1.0, far_share=1.0),
            SEED + 2,
            True,
            detector,
        ),
    }
    if photo_copies:
        # Real street plates, cut the same way (off by default: step 48); last, so that without them
        # the other lines are shuffled and split exactly as before.
        parts[f"openimages-train-{detector.version}-{photo_copies}"] = lambda: street_lines(
            labelled_street_photos(photo_copies), SEED + 3, True, detector
        )
    xs: list[np.ndarray] = []
    y: list[str] = []
    counts: dict[str, int] = {}
    for key, make in parts.items():
        name = key.rsplit("-", 1)[0]
        cache = WORK / f"lines-{key}.npz"
        if not cache.exists():
            t0 = time.time()
            samples = list(make())
            # A part may be empty (--street 0, or --us-copies 0 --br-copies 0 for synthetic only).
            x = np.stack([s.image for s in samples]) if samples else np.zeros((0, 1, HEIGHT, WIDTH))
            WORK.mkdir(parents=True, exist_ok=True)
            np.savez(cache, x=x.astype(np.float16), y=np.array([s.label for s in samples]))
            print(f"{name}: {len(samples)} lines ({time.time() - t0:.0f} s)", flush=True)
        z = np.load(cache)
        xs.append(z["x"])
        y.extend(str(label) for label in z["y"])
        counts[name] = len(z["y"])
    return np.concatenate(xs), y, counts


def encode(labels: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    targets = torch.tensor([ALPHABET.index(c) + 1 for label in labels for c in label], dtype=torch.long)
    lengths = torch.tensor([len(label) for label in labels], dtype=torch.long)
    return targets, lengths


def vary(xb: torch.Tensor) -> torch.Tensor:
    """Fresh variety for every batch, on top of the augmentation baked into the cached lines: a
    small affine wobble (the row finder's imprecision), blur, noise, contrast and brightness, and
    inversion (light-on-dark plates). Without it the 8 copies of each real crop are soon learnt by
    heart."""
    n = xb.shape[0]
    angle = torch.empty(n).uniform_(-0.035, 0.035)
    sx = torch.empty(n).uniform_(0.92, 1.08)
    sy = torch.empty(n).uniform_(0.9, 1.1)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = sx * torch.cos(angle)
    # A slight turn in the normalised coordinates of a line 4x wider than high: x moves per row as a
    # true rotation's would, y a quarter as much per column (more a shear than a turn).
    theta[:, 0, 1] = -torch.sin(angle) * 0.25
    theta[:, 1, 0] = torch.sin(angle)
    theta[:, 1, 1] = sy * torch.cos(angle)
    theta[:, 0, 2] = torch.empty(n).uniform_(-0.04, 0.04)
    theta[:, 1, 2] = torch.empty(n).uniform_(-0.08, 0.08)
    grid = F.affine_grid(theta, list(xb.shape), align_corners=False)
    xb = F.grid_sample(xb, grid, padding_mode="border", align_corners=False)
    blur = torch.rand(n) < 0.3
    if blur.any():
        kernel = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]).div(16).view(1, 1, 3, 3)
        xb[blur] = F.conv2d(F.pad(xb[blur], (1, 1, 1, 1), mode="replicate"), kernel)
    xb = xb + torch.randn_like(xb) * torch.empty(n, 1, 1, 1).uniform_(0.0, 0.08)
    gain = torch.empty(n, 1, 1, 1).uniform_(0.7, 1.3)
    bias = torch.empty(n, 1, 1, 1).uniform_(-0.2, 0.2)
    xb = xb * gain + bias
    flip = torch.rand(n) < 0.1
    xb[flip] = -xb[flip]
    return xb


def greedy(logits: torch.Tensor) -> list[str]:
    out = []
    for row in logits.argmax(-1).tolist():
        prev, chars = 0, []
        for k in row:
            if k != prev and k != 0:
                chars.append(ALPHABET[k - 1])
            prev = k
        out.append("".join(chars))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--synthetic", type=int, default=10000)
    parser.add_argument("--us-copies", type=int, default=8)
    parser.add_argument("--br-copies", type=int, default=2)
    parser.add_argument(
        "--street", type=int, default=3000, help="street-distance scenes with a training-split crop pasted in"
    )
    parser.add_argument(
        "--street-photos",
        type=int,
        default=0,
        help="copies of each Open Images train plate read by eye (4 measured at step 48, not shipped)",
    )
    parser.add_argument("--seed", type=int, default=SEED, help="the model's initialisation and batch order")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--init", default=None, help="start from this state dict (fine-tuning)")
    parser.add_argument("--out", default=str(OUT), help="where the ONNX model and manifest go")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)

    x_all, y_all, counts = build_data(
        args.synthetic, args.us_copies, args.br_copies, args.street, args.street_photos
    )
    n = len(y_all)
    order = np.random.permutation(n)
    n_val = min(1000, n // 20)
    val_idx, train_idx = order[:n_val], order[n_val:]
    model = PlateCRNN()
    if args.init:
        model.load_state_dict(torch.load(args.init, map_location="cpu"))
    params = sum(p.numel() for p in model.parameters())
    print(f"{n} lines, {params} parameters", flush=True)
    steps = args.epochs * (len(train_idx) // args.batch)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, total_steps=max(1, steps), pct_start=0.15
    )
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    t0 = time.time()
    step = 0
    for epoch in range(args.epochs):
        model.train()
        np.random.shuffle(train_idx)
        total = 0.0
        for b in range(len(train_idx) // args.batch):
            idx = train_idx[b * args.batch : (b + 1) * args.batch]
            xb = vary(torch.from_numpy(x_all[idx].astype(np.float32)))
            targets, lengths = encode([y_all[i] for i in idx])
            logits = model(xb)
            log_probs = logits.log_softmax(-1).permute(1, 0, 2)  # (T, N, C)
            input_lengths = torch.full((len(idx),), log_probs.shape[0], dtype=torch.long)
            loss = ctc(log_probs, targets, input_lengths, lengths)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            if step < steps - 1:
                sched.step()
            step += 1
            total += float(loss.detach())
        model.eval()
        with torch.no_grad():
            pred = greedy(model(torch.from_numpy(x_all[val_idx].astype(np.float32))))
        acc = np.mean([p == y_all[i] for p, i in zip(pred, val_idx, strict=True)])
        print(
            f"epoch {epoch + 1}/{args.epochs} loss {total / max(1, b + 1):.3f} val_exact {acc:.3f} "
            f"({time.time() - t0:.0f} s)",
            flush=True,
        )
        # Export after every epoch, so an interrupted run still leaves a usable model.
        export(model, counts, params, args, time.time() - t0, epoch + 1)


def export(
    model: nn.Module,
    counts: dict[str, int],
    params: int,
    args: argparse.Namespace,
    seconds: float,
    epochs: int,
) -> None:
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    # The PyTorch weights stay out of the repository (training/work/), for fine-tuning with --init.
    WORK.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), WORK / "plate-crnn.pt")
    path = out / "model.onnx"
    dummy = torch.zeros(1, 1, HEIGHT, WIDTH)
    torch.onnx.export(
        model,
        (dummy,),
        str(path),
        input_names=["x"],
        output_names=["logits"],
        dynamic_axes={"x": {0: "n"}, "logits": {0: "n"}},
        opset_version=17,
        dynamo=False,
    )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest = {
        "name": "plate-crnn",
        "kind": "crnn",
        "role": "recognizer",
        "version": f"plate-crnn-{digest[:8]}",
        "file": "model.onnx",
        "sha256": digest,
        "source": "trained by this project: training/train.py (make train)",
        "licence": "Apache-2.0 (the weights; see training_data for the data's terms)",
        "input": {
            "height": HEIGHT,
            "max_width": WIDTH,
            "fixed_width": True,
            "channels": "GRAY",
            "mean": 0.5,
            "std": 0.5,
        },
        "margin": MARGIN,
        "output": "logits over CTC blank + 0-9A-Z, 32 timesteps",
        "parameters": params,
        "training_data": {
            "lines": counts,
            "synthetic": "alpr.demo.synth.render_plate, augmented (training/dataset.py)",
            "us-crops-train": "openalpr/benchmarks seg_and_ocr (AGPL-3.0), images listed in training/splits/us-crops-train.txt",
            "br-crops": "openalpr/train-detector br (AGPL-3.0)",
            "street": "the same training-split crops pasted into rendered scenes at street distance "
            f"(training/ranker.py scenes, seed {SEED + 2}), their row found by the engine's own detection: the row finder and the plate detector (a second line where it cuts the row differently)",
            "never_used": "openalpr-us-dev (end-to-end evaluation set), the held-out crops "
            "(training/splits/us-crops-tune.txt and us-crops-test.txt) and Open Images valid",
        },
        "training": {"epochs": epochs, "seed": args.seed, "threads": args.threads, "seconds": round(seconds)},
    }
    if args.street_photos:
        manifest["training_data"]["openimages-train"] = (
            "plates of the Open Images train split read by eye (bench/labels/openimages-train-plates.csv), "
            "their row cut as the street lines' are; the photos from the 'Google Licence Plates' export of "
            "Open Images (Roboflow Universe, CC BY 4.0; the photos Open Images, CC BY 2.0). Attribution: "
            "Google Licence Plates dataset, Roboflow Universe, CC BY 4.0."
        )
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"exported {path} ({path.stat().st_size} bytes) sha256 {digest}", flush=True)


if __name__ == "__main__":
    main()
