"""Does the Gradescope zip install and grade on a fresh operating system?

tests/fresh_os/run.sh makes a minimal Debian root with debootstrap, unpacks dist/autograder.zip
into its /autograder/source and runs setup.sh there as root, from scratch (apt's Python, the
requirements.lock, the student user). It then grades the reference and two hostile samples with
/autograder/run_autograder, each under its config overlay (short training), and this module checks
what came back. Needs root and network (apt, PyPI); CI runs it. Alone:

    pytest tests/test_fresh_os.py     # or -m fresh_os; 3.6-5.7 min, 6.6 the first time on a machine
"""
import json
import os
import re
import shutil
import signal
import subprocess

import pytest

from autograder import samples
from autograder.config import load_config
from conftest import ROOT, item_scores, run_module

pytestmark = pytest.mark.fresh_os
SCRIPT = ROOT / "tests" / "fresh_os" / "run.sh"
OVERLAY = (ROOT / "autograder" / "samples" / "short-training.toml").resolve()
HOSTILE = ("hostile-read-secrets", "hostile-write-results")
TIMEOUT = 1800  # seconds; it takes 4-7 minutes on 2 cores (docs/staff.md, "Checked on a fresh OS")


def reference_expected():
    """The reference's expected scores under short-training.toml: full marks, except the items
    every sample graded with that overlay is expected to lose (those need the full training)."""
    full = samples.expected_scores("reference", load_config(OVERLAY))
    sharing = [samples.expected_scores(n) for n in samples.names() if samples.config_overlay(n) == OVERLAY]
    lost = set.intersection(*({n for n, score in s.items() if score < full[n]} for s in sharing))
    return {n: min(s[n] for s in sharing) if n in lost else score for n, score in full.items()}


def pins(text):
    """{"name==version"} of a lock or a pip freeze, names normalized as pip does."""
    return {re.sub(r"[-_.]+", "-", name.strip().lower()) + "==" + version.strip()
            for name, _, version in (line.partition("==") for line in text.splitlines())
            if version and not name.startswith("#")}


def wrong_scores(results, expected):
    """One line per item whose score is not the expected one (empty when all are)."""
    got = item_scores(results)
    outputs = {t.get("number"): t.get("output", "")[:300] for t in results["tests"]}
    return "\n".join(f"{n}: expected {score}, got {got.get(n)}: {outputs.get(n)}"
                     for n, score in expected.items() if got.get(n) != pytest.approx(score))


def run_script(*args):
    """Run run.sh in its own process group; on a timeout, SIGTERM lets its trap unmount."""
    proc = subprocess.Popen(["bash", SCRIPT, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        output, _ = proc.communicate(timeout=120)
        pytest.fail(f"run.sh took over {TIMEOUT} s:\n{output[-3000:]}")
    return proc.returncode, output


class FreshOS:
    """What run.sh left in `out`: facts.txt as a dict, each case's results.json and log."""

    def __init__(self, out):
        self.out = out
        lines = (out / "facts.txt").read_text().splitlines()
        self.facts = dict(line.split("=", 1) for line in lines if "=" in line)

    def results(self, name):
        path = self.out / f"{name}.results.json"
        assert path.exists(), f"no results.json for {name}; run_autograder said:\n{self.log(name)}"
        return json.loads(path.read_text())

    def log(self, name):
        path = self.out / f"{name}.log"
        return path.read_text()[-3000:] if path.exists() else "(no log)"


@pytest.fixture(scope="module")
def fresh_os(tmp_path_factory):
    code, reason = run_script("--check")
    if code != 0:
        if os.environ.get("CI") == "true" and os.geteuid() == 0:  # CI can run it, so it must
            pytest.fail(f"the fresh-OS check cannot run in CI: {reason.strip()}")
        pytest.skip(f"the fresh-OS check cannot run here: {reason.strip()}")
    base = tmp_path_factory.mktemp("fresh_os")
    proc = run_module("autograder", "build", "--out", base / "autograder.zip")
    assert proc.returncode == 0, proc.stderr
    cases = []
    for name, overlay in [("reference", OVERLAY)] + [(n, samples.config_overlay(n)) for n in HOSTILE]:
        case = base / "cases" / name
        samples.materialize(name, case / "submission")
        shutil.copyfile(overlay, case / "overlay.toml")
        cases.append(case)
    code, output = run_script(base / "autograder.zip", base / "out", *cases)
    assert code == 0, f"run.sh failed (exit {code}):\n{output[-5000:]}"
    return FreshOS(base / "out")


def test_setup_installs_from_scratch(fresh_os):
    """Did setup.sh install a supported Python, exactly the locked packages, the user, the caches?"""
    facts = fresh_os.facts
    assert re.fullmatch(r"3\.1[123]\.\d+", facts["python"]), f"venv Python on {facts['os']}: {facts['python']!r}"
    locked = pins((ROOT / "autograder" / "gradescope" / "requirements.lock").read_text())
    installed = {p for p in pins((fresh_os.out / "freeze.txt").read_text()) if not p.startswith("pip==")}  # pip: setup.sh's
    assert installed == locked, f"missing: {sorted(locked - installed)}; not locked: {sorted(installed - locked)}"
    assert facts["student"].endswith(":/usr/sbin/nologin"), f"setup.sh did not create the student user: {facts['student']!r}"
    assert facts["font_cache"].startswith("fontlist-"), "the warm-up left no matplotlib font cache"


def test_reference_gets_its_expected_scores(fresh_os):
    """Does the reference, graded by run_autograder, get full marks on every item short training allows?"""
    results, expected = fresh_os.results("reference"), reference_expected()
    wrong = wrong_scores(results, expected)
    assert not wrong, wrong
    assert results["score"] == pytest.approx(sum(expected.values()))
    assert fresh_os.facts["reference.exit"] == "0", fresh_os.log("reference")


@pytest.mark.parametrize("name, message, forbidden", [
    ("hostile-read-secrets", "nothing readable among", "LEAKED"),
    ("hostile-write-results", "could not write any of", "WROTE"),
])
def test_hostile_sample_is_contained(fresh_os, name, message, forbidden):
    """Does the hostile sample get its expected scores, having read or written nothing of the grader's?"""
    results = fresh_os.results(name)
    wrong = wrong_scores(results, samples.expected_scores(name))
    assert not wrong, wrong
    text = next(t["output"] for t in results["tests"] if t.get("number") == "1.1")
    assert message in text and forbidden not in text, text
    assert "forged" not in json.dumps(results["tests"])


@pytest.mark.parametrize("name", ("reference",) + HOSTILE)
def test_student_code_runs_as_the_student_user(fresh_os, name):
    """Did the grader run student code as 'student', and can that user not even list /autograder/source?"""
    assert "as unprivileged user 'student'" in fresh_os.results(name)["output"]
    assert fresh_os.facts[f"{name}.student_runs_python"] == "yes", "the student user cannot run the venv's Python"
    assert fresh_os.facts[f"{name}.student_lists_source"] == "no", "the student user can list /autograder/source"
