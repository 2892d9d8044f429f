"""Is every student style graded as fast and as lean as the reference? Prints figures from one run.

    .venv/bin/python bench/styles.py                    # the reference, every style-* and idiom-* sample (~40 min on 2 cores)
    .venv/bin/python bench/styles.py --compile never    # the same, with the student's code run eagerly
    .venv/bin/python bench/styles.py --samples reference style-optimizer-in-init --config tests/fixtures/quick.toml

Each submission is graded alone (`python -m autograder grade`), one after another, so they share
the machine's state. For each: the grading's wall time and its ratio to the reference's, the
largest peak RSS of any stage and its ratio, each training stage's RSS after its first and last
epoch (the memory bar: within 100 MiB), how the model call and loss ran, and the score.
Goals (issue "grade real student code"): time <= 1.25x and peak RSS <= 1.2x the reference's.
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import samples  # noqa: E402

STAGE = re.compile(r"^\[(\S+)\] ([\d.]+) s, peak RSS (\d+) MiB", re.M)
EPOCH = re.compile(r"^\[(train-\w+)\] RSS after each epoch \(MiB\): ([\d, ]+)$", re.M)
COMPILED = re.compile(r"^\[(train-\w+)\] model call: (.*); loss_function: (.*)$", re.M)


def grade(name, folder, overlay):
    """Grade one sample; return its figures as a dict."""
    samples.materialize(name, folder / name)
    results = folder / f"{name}.json"
    command = [sys.executable, "-m", "autograder", "grade", str(folder / name), "--results", str(results)]
    start = time.perf_counter()
    proc = subprocess.run(command + (["--config", str(overlay)] if overlay else []), cwd=ROOT,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if not results.exists():
        sys.exit(f"{name}: no results.json\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    log = proc.stdout
    epochs = {stage: dict(enumerate(map(int, values.split(", ")), start=1)) for stage, values in EPOCH.findall(log)}
    return {"seconds": seconds, "score": json.loads(results.read_text())["score"],
            "stages": {stage: (float(s), int(rss)) for stage, s, rss in STAGE.findall(log)},
            "epochs": epochs, "compiled": {stage: (call, loss) for stage, call, loss in COMPILED.findall(log)}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", nargs="+", default=["reference"] + [n for n in samples.names()
                                                                         if n.startswith(("style-", "idiom-"))],
                        help="samples to grade; the first is the baseline of the ratios")
    parser.add_argument("--config", help="a config overlay for every grading (e.g. tests/fixtures/quick.toml)")
    parser.add_argument("--compile", choices=["auto", "never"], help="override [training] compile")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="hw6-styles-"))
    overlay = Path(args.config).resolve() if args.config else None
    if args.compile:
        text = (overlay.read_text() if overlay else "")
        if "[training]" in text:
            text = text.replace("[training]", f'[training]\ncompile = "{args.compile}"', 1)
        else:
            text += f'\n[training]\ncompile = "{args.compile}"\n'
        overlay = folder / "overlay.toml"
        overlay.write_text(text)

    print(f"Grading {len(args.samples)} submissions one at a time (overlay: {overlay or 'none'})\n")
    figures = {}
    for name in args.samples:
        figures[name] = grade(name, folder, overlay)
        f = figures[name]
        print(f"{name}: {f['seconds']:.0f} s, score {f['score']:g}", flush=True)
        for stage, (seconds, rss) in f["stages"].items():
            print(f"   {stage:12} {seconds:7.1f} s   peak RSS {rss:5d} MiB")
        for stage, (call, loss) in f["compiled"].items():
            print(f"   {stage:12} model call: {call}; loss_function: {loss}")

    base = figures[args.samples[0]]
    base_peak = max(rss for stage, (_, rss) in base["stages"].items() if stage != "grader")
    print(f"\n{'submission':34} {'time':>7} {'x ref':>6} {'peak RSS':>9} {'x ref':>6}  RSS epoch 1 -> last (growth)       score")
    for name, f in figures.items():
        peak = max(rss for stage, (_, rss) in f["stages"].items() if stage != "grader")
        growth = "; ".join(f"{stage[6:]} {e[min(e)]} -> {e[max(e)]} ({e[max(e)] - e[min(e)]:+d})"
                           for stage, e in sorted(f["epochs"].items()))
        print(f"{name:34} {f['seconds']:6.0f}s {f['seconds'] / base['seconds']:6.2f} {peak:7d} M "
              f"{peak / base_peak:6.2f}  {growth:34} {f['score']:g}")


if __name__ == "__main__":
    main()
