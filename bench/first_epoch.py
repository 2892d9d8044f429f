"""Calibrate [integrity] first_epoch_floor: honest models' first-epoch loss per image, by epoch length.

    .venv/bin/python bench/first_epoch.py --images 2048 4096 16384 60000 --seeds 0 1 [--jobs 2]
    .venv/bin/python bench/first_epoch.py --images 2048 4096 16384 60000 --seeds 0 --learning-rates 3e-3 1e-2 \
        --samples reference style-flat-decoder-eager-loss      # students who raise Adam's learning rate
    .venv/bin/python bench/first_epoch.py --summarize OUT.txt ...   # the summary of earlier runs' output, no grading

For each training size N, seed S (and learning rate), grades the correct samples (the reference,
original-stencil-style and the style-* samples: the honest models) and cheat-shipped-weights with
`grade-all` under an overlay of 1 epoch on the first N training images with seed S, and reads
each model's first epoch (loss per image, steps) from the staff logs' [integrity] lines. It
prints every figure, then per epoch length the lowest honest first epoch, the cheat's, and the
floor the config gives, and says whether the floor sits below every honest model and above the cheat.
"""
import argparse
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from autograder import samples  # noqa: E402
from autograder.config import load_config  # noqa: E402
from autograder.evidence.integrity import floor_at  # noqa: E402

HONEST = ["reference", "original-stencil-style", "style-adam-in-train-vae", "style-flat-decoder-eager-loss",
          "style-keras-random-prints", "style-optimizer-in-init"]
CHEAT = "cheat-shipped-weights"
LINE = re.compile(r"\[integrity\] (VAE|CVAE): first epoch ([\d.]+) per image in (\d+) steps")
PRINTED = re.compile(r"^(\d+ images, seed \d+.*?): (\S+) (VAE|CVAE): ([\d.]+) per image in (\d+) steps$", re.M)


def grade(folder, names, images, seed, rate, jobs):
    """{(sample, model): (first-epoch loss per image, steps)} of one grade-all run (rate: Adam's
    learning rate, or None for the config's)."""
    overlay = folder / "overlay.toml"
    overlay.write_text(f"[training]\nepochs = 1\ntrain_images = {images}\nseed = {seed}\n"
                       + (f"learning_rate = {rate}\n" if rate else ""))
    for name in names:
        samples.materialize(name, folder / name)
    subprocess.run([sys.executable, "-m", "autograder", "grade-all", folder, "--out", folder / "book.csv",
                    "--jobs", str(jobs), "--config", overlay], cwd=ROOT, check=True, capture_output=True)
    found = {}
    for name in names:
        for model, loss, steps in LINE.findall((folder / f"{name}.log").read_text()):
            found[(name, model)] = (float(loss), int(steps))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, nargs="+", default=[2048, 4096, 60000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--learning-rates", type=float, nargs="+", default=[None],
                        help="Adam's learning rate (default: the config's)")
    parser.add_argument("--samples", nargs="+", default=HONEST + [CHEAT])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--summarize", nargs="+", metavar="OUT", help="summarize what earlier runs printed instead")
    args = parser.parse_args()
    table = load_config().integrity["first_epoch_floor"]
    honest, cheat = defaultdict(list), defaultdict(list)
    for path in args.summarize or []:
        for run, name, model, loss, steps in PRINTED.findall(Path(path).read_text()):
            shipped = name == CHEAT and model == "VAE"
            (cheat if shipped else honest)[int(steps)].append((float(loss), f"{name} {model} ({run})"))
    runs = [] if args.summarize else [(i, s, r) for i in args.images for s in args.seeds for r in args.learning_rates]
    for images, seed, rate in runs:
        with tempfile.TemporaryDirectory() as tmp:
            found = grade(Path(tmp), args.samples, images, seed, rate, args.jobs)
        lr = f", learning rate {rate:g}" if rate else ""
        for (name, model), (loss, steps) in sorted(found.items()):
            print(f"{images} images, seed {seed}{lr}: {name} {model}: {loss:.1f} per image in {steps} steps", flush=True)
            shipped = name == CHEAT and model == "VAE"  # its CVAE trains honestly
            (cheat if shipped else honest)[steps].append((loss, f"{name} {model} ({images} images, seed {seed}{lr})"))
    print("\nsteps | lowest honest first epoch (of n) | the cheat's VAE | the config's floor | floor below honest, above the cheat")
    for steps in sorted(honest):
        low, who = min(honest[steps])
        cheats = [loss for loss, _ in cheat[steps]]
        floor = floor_at(table, steps)
        ok = floor is not None and floor < low and all(c < floor for c in cheats)
        print(f"{steps} | {low:.1f} ({who}; n = {len(honest[steps])}) | "
              f"{', '.join(f'{c:.1f}' for c in cheats) or '-'} | {floor if floor is None else f'{floor:.1f}'} | {ok}")


if __name__ == "__main__":
    main()
