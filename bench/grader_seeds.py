"""How far from the thresholds does a correct submission land, as the grader grades it, over seeds?

    .venv/bin/python bench/grader_seeds.py                      # the reference, seeds 0-4, 2 at a time (~15 min on 2 cores)
    .venv/bin/python bench/grader_seeds.py --seeds 0 1 --jobs 1 --sample idiom-keras-io
    .venv/bin/python bench/grader_seeds.py --compile never      # the student's code run eagerly

Grades the sample once per seed with `python -m autograder grade` and an overlay that sets only
[training] seed (weights, shuffling, the evaluation noise and the generation latents), exactly as
a course's Gradescope runs it: the model's call and loss compiled where the sandbox proves them
the same. Prints each seed's VAE and CVAE test losses (items 6.1, 7.1) and the CVAE's classifier
accuracy (item 8.1), then the worst of each and its margin to the full-marks tier.
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import samples  # noqa: E402
from autograder.config import load_config  # noqa: E402

LOSS = re.compile(r"test loss \(the grader's negative ELBO per image, [\d,]+ test images\): ([\d.]+)")
ACCURACY = re.compile(r"Classifier accuracy: ([\d.]+)%")


def grade(sample, seed, folder, compile_mode):
    """{"seed", "vae", "cvae" (test losses), "accuracy" (%), "score"} of one grading."""
    overlay = folder / f"seed{seed}.toml"
    overlay.write_text(f"[training]\nseed = {seed}\n" + (f'compile = "{compile_mode}"\n' if compile_mode else ""))
    submission = samples.materialize(sample, folder / f"{sample}-{seed}")
    results = folder / f"seed{seed}.json"
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submission), "--results", str(results),
                           "--config", str(overlay), "--threads", "1"], cwd=ROOT, capture_output=True, text=True)
    if not results.exists():
        sys.exit(f"seed {seed}: no results.json\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    data = json.loads(results.read_text())
    outputs = {t.get("number"): t.get("output", "") for t in data["tests"]}

    def find(pattern, number):
        match = pattern.search(outputs.get(number, ""))
        return float(match.group(1)) if match else float("nan")
    return {"seed": seed, "vae": find(LOSS, "6.1"), "cvae": find(LOSS, "7.1"), "accuracy": find(ACCURACY, "8.1"),
            "score": data["score"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", default="reference", help="the sample to grade (python -m autograder.samples)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--jobs", type=int, default=2, help="gradings at once, one CPU thread each")
    parser.add_argument("--compile", choices=["auto", "never"], help="override [training] compile")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="hw6-seeds-"))
    with ThreadPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(lambda seed: grade(args.sample, seed, folder, args.compile), args.seeds))
    print(f"{args.sample}, graded by the grader (python -m autograder grade), one seed per grading"
          + (f", compile = {args.compile}" if args.compile else "") + ":")
    print(f"{'seed':>4}  {'VAE test loss':>13}  {'CVAE test loss':>14}  {'CVAE accuracy':>13}  {'score':>5}")
    for row in rows:
        print(f"{row['seed']:>4}  {row['vae']:>13.2f}  {row['cvae']:>14.2f}  {row['accuracy']:>12.1f}%  {row['score']:>5g}")
    thresholds = load_config().thresholds
    loss_limit, accuracy_limit = thresholds["loss_tiers"][0][0], 100 * thresholds["accuracy_tiers"][0][0]
    worst_loss = max(max(r["vae"], r["cvae"]) for r in rows)
    worst_accuracy = min(r["accuracy"] for r in rows)
    print(f"worst test loss {worst_loss:.2f}: {loss_limit - worst_loss:.1f} below the limit of {loss_limit:g}")
    print(f"worst accuracy {worst_accuracy:.1f}%: {worst_accuracy - accuracy_limit:.1f} points above {accuracy_limit:g}%")


if __name__ == "__main__":
    main()
