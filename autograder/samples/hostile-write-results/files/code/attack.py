"""Hostile: write a perfect results.json wherever the grader might read one; report successes."""
import glob
import json
import os
import sys

FAKE = json.dumps({"score": 100, "tests": [{"name": "forged", "score": 100, "max_score": 100}]})
paths = {"/autograder/results/results.json", os.path.abspath("results.json")}
for cmdline in glob.glob("/proc/[0-9]*/cmdline"):  # the grader's command line names its --results file
    try:
        args = [a.decode(errors="ignore") for a in open(cmdline, "rb").read().split(b"\0")]
    except OSError:
        continue
    paths.update(a for a in args if a.endswith(".json") and a.startswith("/"))
    paths.update(os.path.join(a, "results.json") for a in args if a.startswith("/") and os.path.isdir(a))
written = []
for path in sorted(paths):
    try:
        with open(path, "w") as f:
            f.write(FAKE)
        written.append(path)
    except OSError:
        pass
own = (os.getcwd(), os.path.abspath(sys.argv[-1]))  # its home and the harness's output folder are its own
outside = [p for p in written if not p.startswith(own)]
if outside:
    raise RuntimeError("WROTE " + " | ".join(outside))
raise RuntimeError(f"could not write any of {len(paths) - len(written)} results files outside its own folders")
