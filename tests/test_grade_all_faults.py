"""Does grade-all lose nothing when a submission cannot be graded or grade-all itself is killed,
and does a task that Slurm ended get results that say so? (The local executor here; the same
faults on a real Slurm are in test_slurm.py.)"""
import csv
import json
import shutil
import time

import pytest

from autograder import samples
from autograder.config import load_config
from autograder.results import batch, gradebook, job_faults, slurm_settings
from autograder.results.discovery import Entry
from conftest import QUICK, run_module
from test_interrupt import Command, descendants, running


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_results_of_a_task_slurm_ended(tmp_path):
    """Does a task that Slurm ended get a valid results.json that keeps the items graded, names
    the state and the fix, counts as not graded in the CSV, and is graded again by the next run?"""
    entry = Entry("alice", tmp_path / "alice")
    entry.path.mkdir()
    entry.results.write_text(json.dumps({"score": 5, "output": "Graded hw6/code/vae.py.", "tests": [
        {"number": "1.1", "name": "files", "score": 3, "max_score": 3},
        {"number": "1.2", "name": "names", "score": 2, "max_score": 2},
        {"name": "Grading interrupted", "score": 0, "max_score": 0}], "extra_data": {"interrupted": "SIGTERM"}}))
    settings = slurm_settings.settings(load_config(), time=3)
    job_faults.write_fault(entry, "TIMEOUT", settings, tmp_path / "1_0_log.out", since=0)
    results = json.loads(entry.results.read_text())
    assert [t.get("number") for t in results["tests"]] == ["1.1", "1.2", None]
    assert results["score"] == 5 and results["tests"][-1]["name"] == job_faults.ENDED
    assert "TIMEOUT" in results["output"] and "--time 3 min" in results["output"]
    assert gradebook.status_of(results, entry) == "TIMEOUT"
    assert batch.pending([entry]) == [entry]
    job_faults.write_fault(entry, "CANCELLED", settings, tmp_path / "2_0_log.out", since=time.time() + 60)
    again = json.loads(entry.results.read_text())  # a later task, cancelled before its grader wrote anything
    assert [t["name"] for t in again["tests"]] == [job_faults.ENDED] and again["output"].count("Slurm ended") == 1


@pytest.fixture
def broken_class(tmp_path):
    """A gradable submission beside one that cannot be read and two that share a name."""
    folder = tmp_path / "class"
    samples.materialize("hostile-syntax-error", folder / "quick")  # graded in seconds, without TensorFlow
    samples.materialize("hostile-syntax-error", folder / "twin")
    shutil.make_archive(str(folder / "twin"), "zip", folder / "twin")
    (folder / "ghost.zip").symlink_to(folder / "nowhere.zip")
    return folder


def test_unreadable_and_same_named_submissions_get_rows(broken_class):
    """Does a submission that cannot be read, and each of two with one name, get a row that says
    why, while the batch goes on and grades the rest?"""
    proc = run_module("autograder", "grade-all", broken_class, "--out", broken_class / "book.csv", "--config", QUICK)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = {row["submission"]: row for row in read_rows(broken_class / "book.csv")}
    assert sorted(rows) == ["ghost", "quick", "twin", "twin.zip"]
    assert rows["quick"]["status"] == "graded"
    assert rows["ghost"]["status"].startswith("cannot be read (No such file or directory)")
    assert rows["twin"]["status"] == rows["twin.zip"]["status"]
    assert "2 submissions are named 'twin' (twin, twin.zip)" in rows["twin"]["status"]
    assert not (broken_class / "twin.results.json").exists()
    assert "Not graded: ghost.zip" in proc.stderr


def test_killed_grade_all_leaves_no_grader_and_a_rerun_completes(tmp_path):
    """After grade-all is SIGKILLed while it grades, does its grader stop too (writing results
    that say so), and does a rerun complete the class: each submission once, every results.json
    whole?"""
    folder = tmp_path / "class"
    slow = samples.materialize("untouched-stencil", folder / "a-slow")
    vae = slow / "hw6" / "code" / "vae.py"
    vae.write_text("import time\ntime.sleep(6)\nraise RuntimeError('slow, then broken')\n" + vae.read_text())
    samples.materialize("hostile-syntax-error", folder / "b-quick")
    args = ("grade-all", folder, "--out", folder / "book.csv", "--config", QUICK)
    command = Command(*args)
    command.wait_for(command.harnesses)
    below = descendants(command.proc.pid)
    command.proc.kill()
    command.proc.wait()
    deadline = time.monotonic() + 20
    while any(running(pid) for pid in below):
        assert time.monotonic() < deadline, "a grader outlived its grade-all"
        time.sleep(0.2)
    first = json.loads((folder / "a-slow.results.json").read_text())
    assert first["extra_data"] == {"interrupted": "SIGTERM"}

    proc = run_module("autograder", *args)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = read_rows(folder / "book.csv")
    assert [row["submission"] for row in rows] == ["a-slow", "b-quick"]
    assert all(row["status"] == "graded" for row in rows)
    for name in ("a-slow", "b-quick"):
        assert "interrupted" not in json.loads((folder / f"{name}.results.json").read_text()).get("extra_data", {})
    assert not list(folder.glob("*.tmp"))

