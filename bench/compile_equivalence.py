"""Does compiling the student's model call and loss change any grade? Prints figures from one run.

    .venv/bin/python bench/compile_equivalence.py --jobs 2       # the 28 core samples (~35 min on 2 cores)
    .venv/bin/python bench/compile_equivalence.py --samples reference style-optimizer-in-init --full

Each sample is graded twice, with `[training] compile = "auto"` (the default: the sandbox runs
the call and loss in tf.function where it verifies they compute the same) and with "never" (all
eager), under the same config: the sample's own overlay, as in CI; a sample without one (the
full-training samples) under tests/fixtures/quick.toml, or, with --full, the full config. For each sample: the items whose score differs, and the
grader's test losses (items 6.1, 7.1) and classifier accuracy (8.1) both ways. The two ways draw
different random streams (a traced function has its own op seeds), so losses differ by noise.
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

QUICK = ROOT / "tests" / "fixtures" / "quick.toml"
LOSS = re.compile(r"test loss \(.*?\): ([\d.]+)")
ACCURACY = re.compile(r"Classifier accuracy: ([\d.]+)%")


def overlay(path, base, mode):
    """Write a config overlay to path: base's keys (base may be None) with [training] compile = mode."""
    text = base.read_text() if base else ""
    line = f'compile = "{mode}"'
    text = text.replace("[training]", f"[training]\n{line}", 1) if "[training]" in text else f"{text}\n[training]\n{line}\n"
    path.write_text(text)
    return path


def grade(name, folder, config):
    """{item: (score, output)} of one grading."""
    results = folder / f"{config.stem}.json"
    command = [sys.executable, "-m", "autograder", "grade", str(folder / name), "--results", str(results),
               "--config", str(config)]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if not results.exists():  # a grader failure: never reported as "the same grades"
        raise RuntimeError(f"{name} ({config.stem}): no results.json\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return {t.get("number"): (t.get("score", 0), t.get("output", "")) for t in json.loads(results.read_text())["tests"]}


def figure(items, number, pattern):
    match = pattern.search(items.get(number, (0, ""))[1])
    return float(match.group(1)) if match else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", nargs="+", help="default: every sample graded on all items (the optional parts' samples left out)")
    parser.add_argument("--full", action="store_true", help="train samples without an overlay fully (not quick.toml)")
    parser.add_argument("--jobs", type=int, default=1, help="gradings at once")
    args = parser.parse_args()
    names = args.samples or [n for n in samples.names() if samples.compares_all(n)]
    folder = Path(tempfile.mkdtemp(prefix="hw6-compile-"))
    jobs = {}
    for name in names:
        samples.materialize(name, folder / name)
        base = samples.config_overlay(name) or (None if args.full else QUICK)
        for mode in ("auto", "never"):
            jobs[name, mode] = overlay(folder / f"{name}.{mode}.toml", base, mode)
    print(f"Grading {len(names)} samples with compile = auto and never\n", flush=True)

    with ThreadPoolExecutor(args.jobs) as pool:
        graded = {key: pool.submit(grade, key[0], folder, config) for key, config in jobs.items()}
    rows, differing = [], 0
    for name in names:
        auto, never = graded[name, "auto"].result(), graded[name, "never"].result()
        changed = sorted(n for n in set(auto) | set(never) if auto.get(n, (None,))[0] != never.get(n, (None,))[0])
        differing += bool(changed)
        cells = []
        for number, pattern in (("6.1", LOSS), ("7.1", LOSS), ("8.1", ACCURACY)):
            a, b = figure(auto, number, pattern), figure(never, number, pattern)
            cells.append(f"{a:.2f} / {b:.2f}" if a is not None and b is not None else "-")
        rows.append((name, ", ".join(f"{n}: {auto.get(n, ('-',))[0]} vs {never.get(n, ('-',))[0]}" for n in changed)
                     or "none", *cells))
    print(f"{'sample':34} {'items scored differently (auto vs never)':42} {'6.1 loss auto / never':>22} "
          f"{'7.1 loss auto / never':>22} {'8.1 % auto / never':>20}")
    for row in rows:
        print(f"{row[0]:34} {row[1]:42} {row[2]:>22} {row[3]:>22} {row[4]:>20}")
    print(f"\n{differing} of {len(names)} samples scored differently compiled and eager")


if __name__ == "__main__":
    main()
