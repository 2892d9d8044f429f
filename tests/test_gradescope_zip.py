"""Does dist/autograder.zip work the way Gradescope runs it?

The zip is unpacked into a scratch root laid out like Gradescope's /autograder, and its own
run_autograder is run there (AUTOGRADER_ROOT points at the scratch root; HW6_PYTHON at this
environment's Python instead of setup.sh's /opt/hw6-venv)."""
import hashlib
import json
import os
import stat
import subprocess
import sys
import zipfile

import pytest

from autograder import samples
from conftest import QUICK, ROOT, run_module


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist") / "autograder.zip"
    proc = run_module("autograder", "build", "--out", out)
    assert proc.returncode == 0, proc.stderr
    return out


def test_zip_contents(autograder_zip):
    """Are setup.sh and an executable run_autograder at the root, with everything grading needs?"""
    with zipfile.ZipFile(autograder_zip) as zf:
        names = set(zf.namelist())
        mode = zf.getinfo("run_autograder").external_attr >> 16
        lock = zf.read("requirements.lock").decode()
    assert {"setup.sh", "run_autograder", "requirements.lock", "data/mnist.npz", "solutions/vae.py",
            "autograder/evidence/classifier/mnist_cnn.weights.h5", "autograder/sandbox/harness.py", "stencil/markers.py"} <= names
    assert mode & stat.S_IXUSR
    assert not any("samples/" in n or "__pycache__" in n for n in names)
    pins = [line for line in lock.splitlines() if line and not line.startswith("#")]
    assert pins and all("==" in line for line in pins) and any(line.startswith("tensorflow==") for line in pins)


def test_build_is_reproducible(autograder_zip, tmp_path):
    """Does building twice give byte-identical zips?"""
    again = tmp_path / "again.zip"
    assert run_module("autograder", "build", "--out", again).returncode == 0
    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    assert digest(again) == digest(autograder_zip)


def tree_digest(folder):
    """sha256 of every file under folder (to prove the grader's files were not changed)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def run_autograder(autograder_zip, root, submission_sample, overlay=QUICK):
    source = root / "source"
    with zipfile.ZipFile(autograder_zip) as zf:
        zf.extractall(source)
    os.chmod(source / "run_autograder", 0o755)
    samples.materialize(submission_sample, root / "submission")
    before = tree_digest(source)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), HW6_PYTHON=sys.executable)
    if overlay:
        env["HW6_GRADER_CONFIG"] = str(overlay)
    proc = subprocess.run([str(source / "run_autograder")], env=env, capture_output=True, text=True, timeout=1800)
    results = json.loads((root / "results" / "results.json").read_text())
    return proc, results, before, tree_digest(source)


def test_run_autograder_writes_valid_results(autograder_zip, tmp_path):
    """Does run_autograder grade /autograder/submission into /autograder/results/results.json?"""
    proc, results, before, after = run_autograder(autograder_zip, tmp_path / "autograder", "reference")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert {"score", "execution_time", "output", "tests", "leaderboard", "stdout_visibility"} <= results.keys()
    for test in results["tests"]:
        assert {"name", "number", "score", "max_score", "status", "visibility"} <= test.keys()
    assert [t["number"] for t in results["tests"]][:2] == ["1.1", "1.2"]
    assert results["tests"][0]["score"] == 3  # found and imported from the Gradescope layout
    assert before == after  # the grader's files are unchanged
    if os.geteuid() == 0:  # as on Gradescope: the grader's files are root-only while grading
        assert stat.S_IMODE(os.stat(tmp_path / "autograder" / "source").st_mode) == 0o700
        assert "unprivileged user" in results["output"]


def test_run_autograder_survives_a_broken_python(autograder_zip, tmp_path):
    """If Python cannot even start, is there still a valid results.json?"""
    root = tmp_path / "autograder"
    source = root / "source"
    with zipfile.ZipFile(autograder_zip) as zf:
        zf.extractall(source)
    os.chmod(source / "run_autograder", 0o755)
    (root / "submission").mkdir()
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), HW6_PYTHON="/nonexistent/python")
    proc = subprocess.run([str(source / "run_autograder")], env=env, capture_output=True, text=True)
    results = json.loads((root / "results" / "results.json").read_text())
    assert proc.returncode == 0 and results["score"] == 0 and results["tests"][0]["name"] == "Autograder error"
