"""Do Ctrl-C (SIGINT) and kill (SIGTERM) stop `grade` and `grade-all` cleanly: within seconds,
with every sandbox process killed, a valid results.json that says grading was interrupted, a
non-zero exit, and (grade-all) the finished submissions kept and the rest graded on a rerun?

Each test grades the reference for real (short training) and signals the grader while the
sandboxed harness runs."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from autograder import samples
from autograder.results import batch
from autograder.sandbox.users import tasks_of
from conftest import QUICK, ROOT

STOP_SECONDS = 10  # "within a few seconds", with room for a loaded CI machine


def children_of():
    """{pid: [child pids]} of every process now."""
    tree = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        tree.setdefault(ppid, []).append(int(pid))
    return tree


def descendants(pid):
    tree, found, todo = children_of(), [], [pid]
    while todo:
        kids = tree.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def running(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def uid_of(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("Uid:"))


class Command:
    """`python -m autograder ARGS` in the background, its output collected line by line."""

    def __init__(self, *args, ignore_sigint=False):
        def ignore():  # as a script's background job starts: Python then never raises KeyboardInterrupt
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        self.lines = []
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder", *map(str, args)], cwd=ROOT, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     preexec_fn=ignore if ignore_sigint else None)
        threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True).start()

    def wait_for(self, ready, timeout=300):
        deadline = time.monotonic() + timeout
        while not ready():
            assert self.proc.poll() is None, "".join(self.lines)
            assert time.monotonic() < deadline, "".join(self.lines)
            time.sleep(0.2)

    def harnesses(self):
        """The sandboxed harness processes below this command (student code runs in them)."""
        return [pid for pid in descendants(self.proc.pid) if "harness.py" in cmdline(pid)]

    def stop(self, signum):
        """Send signum once a harness runs; return the seconds it took to exit, and what ran below it:
        {pid: command line}, and the users of the harnesses."""
        self.wait_for(self.harnesses)
        below = {pid: cmdline(pid) for pid in descendants(self.proc.pid)}
        users = {uid_of(pid) for pid in self.harnesses()}
        start = time.monotonic()
        self.proc.send_signal(signum)
        self.proc.wait(timeout=60)
        return time.monotonic() - start, below, users

    def output(self):
        return "".join(self.lines)


def assert_all_stopped(below, users):
    """Is every process that ran below the grader gone, and (as root) every process of its sandbox user?"""
    assert below and not [pid for pid in below if running(pid)]
    for uid in users - {os.getuid()}:
        assert tasks_of(uid, include_zombies=False) == 0


@pytest.fixture
def three_epochs(tmp_path):
    """A short training that lasts long enough to be interrupted in its second epoch."""
    overlay = tmp_path / "three-epochs.toml"
    overlay.write_text(QUICK.read_text().replace("epochs = 2", "epochs = 3"))
    return overlay


def interrupted_results(path, name):
    results = json.loads(path.read_text())
    assert results["extra_data"] == {"interrupted": name}
    assert results["tests"][-1]["name"] == "Grading interrupted" and "interrupted" in results["output"]
    return results


@pytest.mark.parametrize("signum, during", [(signal.SIGTERM, "training"), (signal.SIGINT, "checks")])
def test_grade_stops_cleanly(tmp_path, three_epochs, signum, during):
    """Sent during the CVAE's training (SIGTERM) or the VAE's checks (SIGINT, to a grader started
    with SIGINT ignored, as a background job is), does `grade` exit within seconds, non-zero,
    leaving no sandbox process and a valid results.json that keeps the VAE's items and says it
    was interrupted?"""
    sub = samples.materialize("reference", tmp_path / "sub")
    command = Command("grade", sub, "--results", tmp_path / "results.json", "--config", three_epochs,
                      ignore_sigint=signum == signal.SIGINT)
    if during == "training":  # the CVAE's: the VAE's stage and its items are done
        command.wait_for(lambda: "[train-cvae] epoch 1/3 done" in command.output())
    seconds, below, users = command.stop(signum)
    assert seconds < STOP_SECONDS and command.proc.returncode == 128 + signum, command.output()
    assert_all_stopped(below, users)
    results = interrupted_results(tmp_path / "results.json", signal.Signals(signum).name)
    graded = {t.get("number") for t in results["tests"]}
    assert ("4.2" in graded and "4.3" not in graded) if during == "training" else "1.1" not in graded


def test_grade_all_keeps_finished_work_and_resumes(tmp_path, three_epochs):
    """Sent SIGTERM while its second submission is graded, does `grade-all` stop within seconds,
    non-zero, with no sandbox process left, the first submission's results kept, the second's
    marked interrupted in the CSV, and does a rerun skip the first and grade the second?"""
    src = tmp_path / "class"
    samples.materialize("hostile-syntax-error", src / "a-first")  # graded in seconds, without TensorFlow
    samples.materialize("reference", src / "b-second")
    args = ("grade-all", src, "--out", tmp_path / "gradebook.csv", "--config", three_epochs)
    command = Command(*args)
    seconds, below, users = command.stop(signal.SIGTERM)
    assert seconds < STOP_SECONDS + 5 and command.proc.returncode == 128 + signal.SIGTERM, command.output()
    assert_all_stopped(below, users)
    first = json.loads((src / "a-first.results.json").read_text())
    assert "extra_data" not in first and first["tests"][0]["number"] == "1.1"
    interrupted_results(src / "b-second.results.json", "SIGTERM")
    csv = (tmp_path / "gradebook.csv").read_text()
    assert "a-first" in csv and ",interrupted" in csv and (tmp_path / "gradebook.html").exists()
    assert [e.id for e in batch.pending(batch.discover(src))] == ["b-second"]

    rerun = Command(*args)  # resumes: grades only the second, which we stop again once it runs
    seconds, below, users = rerun.stop(signal.SIGTERM)
    assert "Skipping 1 already graded" in rerun.output() and rerun.proc.returncode == 128 + signal.SIGTERM
    graders = [line for line in below.values() if " autograder grade " in line]
    assert len(graders) == 1 and "b-second" in graders[0], graders
    assert_all_stopped(below, users)
    assert json.loads((src / "a-first.results.json").read_text()) == first
