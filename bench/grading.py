"""How fast and how lean is grading? Prints figures from one run on this machine.

    .venv/bin/python bench/grading.py              # all four measurements (~15 min on 2 cores)
    .venv/bin/python bench/grading.py --skip-pinned

1. Grading the reference solution end to end (`python -m autograder grade solutions`): wall
   time, and peak RSS of the orchestrator and of every process it starts.
2. A bare training loop of the same two models (the reference's train_vae and given optimizer,
   same epochs, batch size and data) in one plain TensorFlow process. (1) / (2) is the
   grader's overhead.
3. The grading of (1) pinned to one core with taskset, a stand-in for Gradescope's 1/2 vCPU.
4. Peak RSS of each process of (1) (the grader logs them), against Gradescope's default 768 MB.
Ratios come from one run, so machine noise affects both sides alike.
"""
import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRADESCOPE_MEMORY_MB = 768
GRADESCOPE_TIMEOUT_S = 600

BARE_LOOP = r"""
import sys, time, keras
sys.path.insert(0, {solutions!r})
import assignment
from vae import CVAE, VAE
args = assignment.parseArguments([])
keras.utils.set_random_seed(args.seed)
(x, y), _ = assignment.read_mnist()
data = assignment.to_batches(x, y, args.batch_size, shuffle_buffer=1024)
start = time.perf_counter()
for conditional in (False, True):
    model = CVAE(784, latent_size=args.latent_size) if conditional else VAE(784, latent_size=args.latent_size)
    model.compile(optimizer=assignment.make_optimizer(args.learning_rate))
    for epoch in range(args.num_epochs):
        total = assignment.train_vae(model, data, args, is_cvae=conditional)
    print("final loss", "cvae" if conditional else "vae", total / len(data))
print("training seconds", time.perf_counter() - start)
"""


def timed(cmd, **kwargs):
    """(seconds, peak RSS in MiB of the largest child process, completed process)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, **kwargs)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return time.perf_counter() - start, peak, proc


def grade(prefix=()):
    out = Path(tempfile.mkdtemp()) / "results.json"
    seconds, _, proc = timed([*prefix, sys.executable, "-m", "autograder", "grade", "solutions", "--results", str(out)])
    if proc.returncode != 0:
        sys.exit(proc.stdout[-3000:] + proc.stderr[-3000:])
    stages = re.findall(r"^\[(\S+)\] ([\d.]+) s, peak RSS (\d+) MiB", proc.stdout, flags=re.M)
    total = re.search(r"Total: ([\d.]+) / ([\d.]+)", proc.stdout)
    shutil.rmtree(out.parent)
    return seconds, stages, total.group(0) if total else "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-pinned", action="store_true", help="skip measurement 3 (the slowest)")
    args = parser.parse_args()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")

    print(f"CPUs available: {len(os.sched_getaffinity(0))}")
    graded_s, stages, total = grade()
    print(f"\n1. Grading the reference end to end: {graded_s:.0f} s ({total})")
    for stage, seconds, rss in stages:
        print(f"   {stage:12} {float(seconds):7.1f} s   peak RSS {int(rss):5d} MiB")

    bare_s, bare_rss, proc = timed([sys.executable, "-c", BARE_LOOP.format(solutions=str(ROOT / "solutions"))], env=env)
    if proc.returncode != 0:
        sys.exit(proc.stderr[-3000:])
    trained = float(re.search(r"training seconds ([\d.]+)", proc.stdout).group(1))
    print(f"\n2. Bare training loop, one process: {bare_s:.0f} s ({trained:.0f} s of it training), "
          f"peak RSS {bare_rss:.0f} MiB")
    print(f"   Grader overhead: {graded_s / bare_s:.2f}x the bare loop's wall time (goal: <= 1.15)")

    if not args.skip_pinned and shutil.which("taskset"):
        pinned_s, _, _ = grade(prefix=("taskset", "-c", "0"))
        print(f"\n3. Grading pinned to 1 core: {pinned_s:.0f} s ({pinned_s / graded_s:.2f}x the 2-core run); "
              f"Gradescope's default timeout is {GRADESCOPE_TIMEOUT_S} s at 1/2 vCPU")

    print("\n4. Peak RSS per process (the orchestrator runs throughout; one stage at a time beside it):")
    for stage, _, rss in stages:
        print(f"   {stage:12} {int(rss):5d} MiB")
    grader = next(int(rss) for stage, _, rss in stages if stage == "grader")
    worst = max(int(rss) for stage, _, rss in stages if stage != "grader")
    print(f"   at most {grader + worst} MiB at once, against Gradescope's default {GRADESCOPE_MEMORY_MB} MB")


if __name__ == "__main__":
    main()
