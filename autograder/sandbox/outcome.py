"""What a stage left behind: each step's record and arrays, or, for a step with none, why.

Every record comes from the student's process, so nothing here is trusted: the evidence
validates each value before the rubric scores it.
"""
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from . import noise
from .process import MAX_READ_BYTES, RunResult, open_untrusted


class Unavailable(Exception):
    """Evidence an item needs does not exist; the message (for the student) says why."""


@dataclass
class StepRecord:
    name: str
    ok: bool
    error: str | None
    values: dict
    arrays_path: Path | None

    @cached_property
    def arrays(self):
        if not self.arrays_path:
            return {}
        try:
            # Read straight from the file (no copy of its bytes), after checking what the archive
            # unpacks to: a compressed .npz written by student code could otherwise be a zip bomb.
            with open_untrusted(self.arrays_path) as f:
                if sum(i.file_size for i in zipfile.ZipFile(f).infolist()) > MAX_READ_BYTES:
                    raise ValueError("the arrays unpack to more than the size cap")
                f.seek(0)
                with np.load(f, allow_pickle=False) as npz:
                    return {key: npz[key] for key in npz.files}
        except Exception as err:
            raise Unavailable(f"the grader could not read the arrays of step {self.name}: {err}") from None


@dataclass
class StageOutcome:
    name: str
    run: RunResult | None
    steps: dict = field(default_factory=dict)  # step name -> StepRecord
    skipped: str | None = None  # why the stage did not run at all

    def step(self, name):
        """The record of one step, or Unavailable saying why it does not exist."""
        if self.skipped:
            raise Unavailable(self.skipped)
        if name in self.steps:
            return self.steps[name]
        run = self.run
        if run.killed:
            raise Unavailable(f"Stopped: {run.killed}.")
        failed = [s for s in self.steps.values() if not s.ok]
        if failed:  # the last failure is the one that stopped the stage
            why = (failed[-1].error or "").strip().splitlines()
            raise Unavailable(f"Not run, because the step before it failed ({failed[-1].name}"
                              + (f": {why[-1][:300]})." if why else ")."))
        tail = noise.without_noise(run.output)[0].strip().splitlines()[-3:]  # what the student printed
        raise Unavailable(f"Not run: the process running your code ended early (exit code {run.returncode})"
                          + (": " + " | ".join(tail) if tail else "."))

    def require(self, name):
        """The step's record if it succeeded; else Unavailable with the student's error."""
        step = self.step(name)
        if not step.ok:
            raise Unavailable(step.error)
        return step
