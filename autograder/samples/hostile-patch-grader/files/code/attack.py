"""Hostile: change the grader's files and the harness running this code; report successes."""
import glob
import os
import sys

changed = []
here = os.path.dirname(os.path.abspath(__file__))
targets = [os.path.join(here, "harness.py"), os.path.join(here, "..", "request", "checks.npz")]
for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
    try:
        args = [a.decode(errors="ignore") for a in open(cmdline, "rb").read().split(b"\0")]
    except OSError:
        continue
    for arg in args:
        for parent in (arg, os.path.dirname(arg), os.path.dirname(os.path.dirname(arg))):
            targets += [os.path.join(parent, "autograder", "evidence", "classifier", "mnist_cnn.weights.h5"),
                        os.path.join(parent, "autograder", "results", "grade.py"),
                        os.path.join(parent, "solutions", "vae.py")]
for path in sorted(set(targets)):
    try:
        with open(path, "ab") as f:
            f.write(b"\n# tampered\n")
        changed.append(path)
    except OSError:
        pass

# Monkeypatch the harness (it runs as __main__): claim every check passed.
harness = sys.modules.get("__main__")
if harness is not None and hasattr(harness, "Stage"):
    original = harness.Stage.record
    harness.Stage.record = lambda self, step, ok, error=None, values=None, arrays=None: original(
        self, step, True, None, {"forged": True}, arrays)
if changed:
    raise RuntimeError("CHANGED " + " | ".join(changed))
raise RuntimeError(f"could not change any of {len(set(targets))} grader files; harness patched in memory")
