"""Does code that trains in the student's own run grade without the grader's own failures?

The student's own run is the given main(): `python assignment.py` trains the VAE in one process,
`python assignment.py --is_cvae` the CVAE in another. For every sample, each model's main() runs
for 1 epoch on 2,048 images in a fresh process, on the code the grader runs (the sanitized files
with the given modules). Where that run trains, the grader must not have failed a step of that
model's stage, nor stopped it (conftest.graded_samples grades each sample under its overlay): an
item may then be lost only to what the rubric judges, never to how the grader ran the code.
"""
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder import samples
from autograder.intake.receive import receive
from autograder.results.grade import REFERENCE_DIR
from conftest import is_selected
from test_grader_samples import staff_log

# Samples meant to break the grader's limits are not student runs; the parts' samples train the
# core only briefly and are compared on their parts.
COMPARED = [n for n in samples.names() if not n.startswith("hostile-") and samples.compares_all(n)]
MUST_TRAIN = [n for n in COMPARED if n == "reference" or n.startswith(("style-", "idiom-"))]
MNIST = Path.home() / ".keras" / "datasets" / "mnist.npz"


def run_main(name, folder):
    """{"vae": CompletedProcess, "cvae": ...} of main() on the sample's graded code, 1 epoch each."""
    submission = samples.materialize(name, folder / "submission")
    intake = receive(submission, folder / "received", REFERENCE_DIR, with_parts=False)
    code = folder / "code"
    code.mkdir()
    for filename, content in intake.modules.items():
        (code / filename).write_bytes(content if isinstance(content, bytes) else content.encode())
    runs = {}
    for kind, flags in (("vae", []), ("cvae", ["--is_cvae"])):
        command = [sys.executable, "assignment.py", "--num_epochs", "1", "--train_images", "2048",
                   "--mnist", str(MNIST), *flags]
        runs[kind] = subprocess.run(command, cwd=code, capture_output=True, text=True, timeout=600,
                                    env={"PATH": "/usr/bin:/bin", "HOME": str(folder), "TF_CPP_MIN_LOG_LEVEL": "2",
                                         "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"})
    return runs


@pytest.fixture(scope="module")
def own_runs():
    """Each compared sample's own runs, two samples at a time."""
    base = Path(tempfile.mkdtemp(prefix="hw6-own-runs-"))

    def one(name):
        (base / name).mkdir()
        return name, run_main(name, base / name)
    with ThreadPoolExecutor(2) as pool:
        return dict(pool.map(one, [name for name in COMPARED if is_selected(name)]))


def grader_failures(log, kind):
    """What went wrong in the grader's stage of `kind`: failed steps, and a stage it stopped."""
    stage = re.escape(f"[train-{kind}]")
    failed = re.findall(rf"^{stage} step (\S+) failed: (.*)$", log, flags=re.M)
    stopped = re.findall(rf"^{stage} [\d.]+ s, peak RSS .*, killed: (.*)$", log, flags=re.M)
    return [f"step {step}: {why}" for step, why in failed] + [f"stopped: {why}" for why in stopped]


def test_the_samples_students_would_train_do_train(own_runs):
    """Do the reference and the correct samples of every style train in their own runs (so the
    comparison below is not vacuous)?"""
    broken = {f"{name} {kind}": own_runs[name][kind].stderr[-1500:] for name in MUST_TRAIN if name in own_runs
              for kind in ("vae", "cvae") if own_runs[name][kind].returncode}
    assert not broken, broken


@pytest.mark.parametrize("name", COMPARED)
def test_grader_fails_nothing_the_students_own_run_did_not(graded_samples, own_runs, name):
    """Where the student's own run of a model trains, did the grader run every step of that model
    without an error or a stop of its own?"""
    log = staff_log(graded_samples, name)  # skips a sample $HW6_SAMPLES leaves out
    trained = [kind for kind in ("vae", "cvae") if own_runs[name][kind].returncode == 0]
    differences = {kind: grader_failures(log, kind) for kind in trained}
    assert not any(differences.values()), differences
