"""Run one grading stage of a student's code. This file runs INSIDE the sandboxed process.

    python harness.py STAGE REQUEST_DIR OUT_DIR      # STAGE: train-vae | train-cvae | parts

It is standalone on purpose: the sandbox user cannot read the autograder package, so this file
imports only the standard library, NumPy, TensorFlow, the student's (sanitized) modules and the
files copied beside it (workspace.HARNESS_FILES):
    harness_plan.py      each stage's steps, their kinds (time limits) and labels; shared with the grader
    harness_common.py    what every stage uses: TensorFlow's setup, the optimizers' state, the export
    harness_errors.py    the student's errors in words: a known cause first, then their own frames
    harness_core.py      the core's stages, one process per model: train-vae (items 1-6), train-cvae (4-8)
    harness_parts.py     the optional parts' stage (items 10-12)
    harness_compile.py   the model's call and loss compiled, where provably the same as the eager code
The grader trusts nothing written here: it validates every value and computes every score itself.

Inputs: REQUEST_DIR/STAGE.json (settings) and REQUEST_DIR/STAGE.npz (the grader's fixed inputs).
Outputs, written as each step finishes so that a stage killed midway still reports what it did:
    OUT_DIR/STAGE.jsonl      one JSON record per step: {"step", "ok", "error", "values"}
    OUT_DIR/STAGE.STEP.npz   that step's arrays
    OUT_DIR/progress.json    the step now running; the grader times each one against its limit
"""
import json
import os
import sys

import numpy as np

from harness_common import keras2_notes
from harness_errors import describe
from harness_core import stage_model
from harness_parts import stage_parts
from harness_plan import plan


class Stage:
    """Writes step records and arrays; runs each step so that no student error escapes."""

    def __init__(self, name, request_dir, out_dir):
        self.name, self.out_dir = name, out_dir
        with open(os.path.join(request_dir, f"{name}.json")) as f:
            self.request = json.load(f)
        npz = os.path.join(request_dir, f"{name}.npz")
        self.inputs = dict(np.load(npz)) if os.path.exists(npz) else {}
        self.steps = {step.name: step for step in plan(name, self.request["epochs"], self.request.get("parts", ()))}
        # Frames of the student's files are shown in errors: the graded files and their own helpers.
        code = self.request["code_dir"]
        helpers = {n for n in os.listdir(code) if n.endswith(".py")} - set(self.request["not_student_files"])
        self.student_files = set(self.request["student_files"]) | helpers

    def progress(self, kind, label):
        path = os.path.join(self.out_dir, "progress.json")
        with open(path + ".tmp", "w") as f:
            json.dump({"kind": kind, "label": label}, f)
        os.replace(path + ".tmp", path)

    def record(self, step, ok, error=None, values=None, arrays=None):
        mapped = keras2_notes()  # Keras-2 names the given compat.py mapped during this step
        if mapped:
            values = dict(values or {}, keras2=mapped)
        if arrays:
            np.savez(os.path.join(self.out_dir, f"{self.name}.{step}.npz"),
                     **{k: np.asarray(v) for k, v in arrays.items()})
        with open(os.path.join(self.out_dir, f"{self.name}.jsonl"), "a") as f:
            f.write(json.dumps({"step": step, "ok": ok, "error": error, "values": values or {}}) + "\n")

    def run(self, step, func):
        """Run func() -> (values, arrays) as the plan's step `step`; record its result or the
        student's error. Returns ok. The plan gives the step's kind (its time limit) and label."""
        self.progress(self.steps[step].kind, self.steps[step].label)
        try:
            values, arrays = func()
        except BaseException as err:  # SystemExit and KeyboardInterrupt from student code too
            self.record(step, False, error=describe(err, self.student_files))
            return False
        self.record(step, True, values=values, arrays=arrays)
        self.last_values = values or {}
        return True


def main(argv):
    name, request_dir, out_dir = argv
    stage = Stage(name, request_dir, out_dir)
    sys.path.insert(0, stage.request["code_dir"])
    if name in ("train-vae", "train-cvae"):
        stage_model(stage, conditional=name == "train-cvae")
    elif name == "parts":
        stage_parts(stage)
    else:
        raise SystemExit(f"unknown stage {name!r}")
    stage.progress("done", "done")


if __name__ == "__main__":
    main(sys.argv[1:])
