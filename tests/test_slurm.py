"""Does `grade-all --executor slurm` grade a class on a real Slurm exactly as the local executor
does, and lose nothing when Slurm ends a task (TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, CANCELLED),
when grade-all is stopped (Ctrl-C) or killed (SIGKILL), or when a submission cannot be graded?

The cluster is real (tests/slurm_cluster.py: munge, MariaDB, slurmdbd, slurmctld, slurmd, one
node `localhost` with 2 CPUs), started once for this module and stopped by its last test. It
needs root; in CI as root a missing Slurm fails the module (.ci/run installs it), elsewhere the
module is skipped with the reason. Gradings use the short-training overlay; the fault cases use
stencil-based submissions that sleep or allocate at import, so they cost seconds of CPU.
"""
import csv
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

import slurm_cluster
from autograder import samples
from autograder.sandbox import cpus
from conftest import ROOT, item_scores, run_module
from test_interrupt import Command

SHORT = ROOT / "autograder" / "samples" / "short-training.toml"
COMPARED = ("reference", "no-gradient-step", "hostile-write-results")  # the reference, a mutant, a hostile one
TA = "hw6-ta"  # an unprivileged course account, as graders are on a cluster


def require_slurm():
    """Skip (or, in CI as root, fail) unless this machine can run the test cluster."""
    reasons = [] if os.geteuid() == 0 else ["the test cluster's daemons and cgroups need root"]
    if slurm_cluster.missing():
        reasons.append(f"not installed: {', '.join(slurm_cluster.missing())} (.ci/run installs them with apt-get)")
    if reasons and os.environ.get("CI") == "true" and os.geteuid() == 0:
        pytest.fail("; ".join(reasons))
    if reasons:
        pytest.skip("; ".join(reasons))


@pytest.fixture(scope="module")
def cluster():
    """The running cluster; subprocesses find it through $SLURM_CONF. Its folder is open to other
    users (pytest's is not), for the course account's test."""
    require_slurm()
    before, root = os.environ.get("SLURM_CONF"), Path(tempfile.mkdtemp(prefix="hw6-slurm-"))
    os.chmod(root, 0o755)
    try:
        with slurm_cluster.SlurmCluster(root) as running:
            os.environ["SLURM_CONF"] = running.env["SLURM_CONF"]
            yield running
    finally:
        os.environ.pop("SLURM_CONF", None) if before is None else os.environ.update(SLURM_CONF=before)
        shutil.rmtree(root, ignore_errors=True)


def read_csv(path):
    with open(path, newline="") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


def submission(folder, name, prepend="", base="untouched-stencil"):
    """A sample materialized at folder/name, with `prepend` run when vae.py is imported."""
    sub = samples.materialize(base, folder / name)
    vae = sub / "hw6" / "code" / "vae.py"
    vae.write_text(prepend + vae.read_text())
    return sub


def grade_all(folder, *args, **kwargs):
    proc = run_module("autograder", "grade-all", folder, "--out", folder / "book.csv", *args, **kwargs)
    return proc, proc.stdout + proc.stderr


def ledger(folder):
    """{submission: Slurm job id} that grade-all recorded."""
    path = folder / ".hw6-slurm" / "jobs.json"
    return json.loads(path.read_text()) if path.exists() else {}


def job_state(cluster, job_id):
    out = cluster.run("sacct", "--noheader", "-X", "-P", "-o", "State", "-j", job_id, check=False).stdout.split()
    return out[0] if out else ""


def wait_until(ready, seconds=120, what="a condition"):
    deadline = time.monotonic() + seconds
    while not ready():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def valid_results(path):
    """The results.json at path, checked: it parses, and has a score and tests."""
    results = json.loads(path.read_text())
    assert isinstance(results["score"], (int, float)) and isinstance(results["tests"], list)
    return results


def ended_item(results, state):
    """The item that says Slurm ended the grading, and what to do; checked."""
    item = results["tests"][-1]
    assert item["name"] == "Grading ended by Slurm" and state in item["output"], item
    assert "Run grade-all again" in item["output"] and results["extra_data"]["slurm_state"] == state
    return item


@pytest.mark.usefixtures("ended_by_slurm")  # its tasks sleep to their time limit meanwhile
def test_slurm_grades_like_local(cluster, tmp_path):
    """Do the reference, a mutant and a hostile sample get the same score on every item through
    Slurm (a job array, one CPU per task) as through the local executor (one thread each), with
    the CSV, gradebook.html and every report written the same way? (Both run at once: the
    scores do not depend on the machine's load, and CI's time does.)"""
    args = {"local": ["--jobs", cpus.available()], "slurm": ["--executor", "slurm", "--cpus-per-task", 1]}
    runs = {}
    for executor in args:
        folder = tmp_path / executor
        for name in COMPARED:
            samples.materialize(name, folder / name)
        runs[executor] = Command("grade-all", folder, "--out", folder / "book.csv", *args[executor], "--config", SHORT)
    books = {}
    for executor, command in runs.items():
        assert command.proc.wait(timeout=900) == 0, command.output()[-3000:]
        folder = tmp_path / executor
        books[executor] = read_csv(folder / "book.csv")
        assert sorted(books[executor]) == sorted(COMPARED)
        for name in COMPARED:
            assert (folder / f"{name}.report.html").is_file() and books[executor][name]["status"] == "graded"
        assert all(f"{name}.report.html" in (folder / "book.html").read_text() for name in COMPARED)
    assert "Submitted job array" in runs["slurm"].output() and "The tasks run as root" in runs["slurm"].output()
    print(side_by_side(books))
    for name in COMPARED:
        local = valid_results(tmp_path / "local" / f"{name}.results.json")
        slurm = valid_results(tmp_path / "slurm" / f"{name}.results.json")
        assert item_scores(slurm) == item_scores(local), name
        assert books["slurm"][name] == books["local"][name], name


def side_by_side(books):
    """Each item's score, local | slurm, one column per sample (printed for the record)."""
    lines = ["item  " + "".join(f"{name:>24}" for name in COMPARED)]
    for item in books["local"][COMPARED[0]]:
        if item not in ("submission", "names", "emails", "status"):
            cells = (f"{books['local'][n][item]} | {books['slurm'][n][item]}" for n in COMPARED)
            lines.append(f"{item:<6}" + "".join(f"{cell:>24}" for cell in cells))
    return "local | slurm, item by item\n" + "\n".join(lines)


FAULT_ARGS = ["--executor", "slurm", "--cpus-per-task", "1", "--time", "1", "--mem", "1500M", "--config", SHORT]
ENDED = {"a-times-out": "TIMEOUT", "b-cancelled": "CANCELLED", "c-out-of-memory": "OUT_OF_MEMORY",
         "d-finishes": "graded"}


@pytest.fixture(scope="module")
def ended_by_slurm(cluster, tmp_path_factory):
    """A class whose tasks Slurm ends, by time limit (--time 1), memory (--mem 1500M) and scancel,
    beside one that finishes; graded in the background from the first test that asks for it, since
    a time limit of one minute takes 60-90 s of sleeping to end a task. (folder, command, errors)"""
    folder = tmp_path_factory.mktemp("ended") / "class"
    submission(folder, "a-times-out", "import time\ntime.sleep(600)\n")
    submission(folder, "b-cancelled", "import time\ntime.sleep(600)\n")
    submission(folder, "c-out-of-memory", "_HOG = b'x' * (3 << 30)\n")
    samples.materialize("hostile-syntax-error", folder / "d-finishes")  # graded in seconds, no TensorFlow
    command = Command("grade-all", folder, "--out", folder / "book.csv", *FAULT_ARGS)
    errors = []

    def cancel_once_running():
        try:
            wait_until(lambda: "b-cancelled" in ledger(folder), seconds=60, what="the submission")
            job = ledger(folder)["b-cancelled"]
            wait_until(lambda: job_state(cluster, job) == "RUNNING", seconds=300, what="b-cancelled to run")
            cluster.run("scancel", job)
        except BaseException as err:  # noqa: BLE001 - reported by the test
            errors.append(err)
    threading.Thread(target=cancel_once_running, daemon=True).start()
    yield folder, command, errors
    if command.proc.poll() is None:  # a test failed before it ended: stop it, as a TA would
        command.proc.send_signal(signal.SIGINT)
        command.proc.wait(timeout=120)


def test_tasks_that_slurm_ends_get_rows_and_are_resubmitted(cluster, ended_by_slurm):
    """When Slurm ends tasks by time limit, memory and scancel, does each get a row naming the
    state and a valid results.json saying what to do, while the others are graded; and does a
    rerun resubmit only those, then, on Ctrl-C, cancel them, say how many, and write the CSV?"""
    folder, command, errors = ended_by_slurm
    assert command.proc.wait(timeout=600) == 0, command.output()[-3000:]
    assert not errors, errors
    assert "Slurm ended 3 tasks before they finished (CANCELLED 1, OUT_OF_MEMORY 1, TIMEOUT 1)" in command.output()
    rows = read_csv(folder / "book.csv")
    print("first run:", {name: row["status"] for name, row in rows.items()})
    assert {name: row["status"] for name, row in rows.items()} == ENDED
    for name, state in ENDED.items():
        results = valid_results(folder / f"{name}.results.json")
        if state != "graded":
            ended_item(results, state)
    assert "--time 1 min" in valid_results(folder / "a-times-out.results.json")["output"]
    assert "--mem 1500M" in valid_results(folder / "c-out-of-memory.results.json")["output"]

    first = ledger(folder)
    rerun = Command("grade-all", folder, "--out", folder / "book.csv", *FAULT_ARGS)
    rerun.wait_for(lambda: "Submitted job array" in rerun.output(), timeout=60)
    again = ledger(folder)
    assert "Skipping 1 already graded" in rerun.output() and "3 tasks" in rerun.output()
    assert again["d-finishes"] == first["d-finishes"]
    assert all(again[name] != first[name] for name in ENDED if name != "d-finishes")
    rerun.proc.send_signal(signal.SIGINT)
    assert rerun.proc.wait(timeout=120) == 128 + signal.SIGINT, rerun.output()[-3000:]
    assert "Cancelled 3 Slurm tasks of this grade-all" in rerun.output()
    print("rerun, Ctrl-C:", next(line for line in rerun.output().splitlines() if "Cancelled" in line))
    assert cluster.run("squeue", "--noheader").stdout.strip() == ""  # none left queued or running
    rows = read_csv(folder / "book.csv")
    assert rows["d-finishes"]["status"] == "graded" and len(rows) == 4
    assert {rows[name]["status"] for name in ENDED if name != "d-finishes"} == {"CANCELLED"}


def test_node_failure(cluster, tmp_path):
    """When the node running a task fails, does the task's row say NODE_FAIL, with a valid
    results.json that says to run grade-all again?"""
    folder = tmp_path / "class"
    submission(folder, "sleeps", "import time\ntime.sleep(600)\n")
    command = Command("grade-all", folder, "--out", folder / "book.csv", "--executor", "slurm", "--cpus-per-task", "1",
                      "--config", SHORT)
    command.wait_for(lambda: "sleeps" in ledger(folder), timeout=60)
    wait_until(lambda: job_state(cluster, ledger(folder)["sleeps"]) == "RUNNING", what="the task to run")
    cluster.run("scontrol", "update", "nodename=localhost", "state=down", "reason=hw6-test")
    try:
        assert command.proc.wait(timeout=120) == 0, command.output()[-3000:]
    finally:
        cluster.wait_for("the node to return", cluster.node_idle)
    assert read_csv(folder / "book.csv")["sleeps"]["status"] == "NODE_FAIL"
    ended_item(valid_results(folder / "sleeps.results.json"), "NODE_FAIL")


def test_killed_grade_all_reruns_without_resubmitting(cluster, tmp_path):
    """After grade-all is SIGKILLed while its tasks run, does a rerun wait for those tasks instead
    of submitting them again, and complete the class: each submission once in the CSV, every
    results.json whole; and do an unreadable submission and two with one name get rows that say
    why, while the batch goes on?"""
    folder = tmp_path / "class"
    submission(folder, "slow", "import time\ntime.sleep(8)\nraise RuntimeError('slow, then broken')\n")
    samples.materialize("hostile-syntax-error", folder / "quick")
    samples.materialize("hostile-syntax-error", folder / "twin")
    shutil.make_archive(str(folder / "twin"), "zip", folder / "twin")
    (folder / "ghost.zip").symlink_to(folder / "nowhere.zip")
    args = ["--executor", "slurm", "--cpus-per-task", "1", "--config", SHORT]
    command = Command("grade-all", folder, "--out", folder / "book.csv", *args)
    command.wait_for(lambda: {"slow", "quick"} <= set(ledger(folder)), timeout=60)
    command.proc.kill()
    command.proc.wait()
    first = ledger(folder)

    proc, output = grade_all(folder, *args)
    assert proc.returncode == 0, output[-3000:]
    assert "Submitted job array" not in output and ledger(folder) == first
    assert "Waiting for" in output
    with open(folder / "book.csv", newline="") as f:
        names = [row["submission"] for row in csv.DictReader(f)]
    assert sorted(names) == ["ghost", "quick", "slow", "twin", "twin.zip"]
    rows = read_csv(folder / "book.csv")
    assert rows["slow"]["status"] == rows["quick"]["status"] == "graded"
    assert "cannot be read" in rows["ghost"]["status"]
    assert "2 submissions are named 'twin'" in rows["twin"]["status"] == rows["twin.zip"]["status"]
    for name in ("slow", "quick"):
        valid_results(folder / f"{name}.results.json")
    assert not list(folder.glob("*.tmp")) and not (folder / "twin.results.json").exists()


def test_a_course_account_grades_without_root(cluster):
    """Run by an unprivileged account (as graders are on a cluster), with MNIST on the shared
    folder, does grade-all say which protections apply, and does each results.json say it too?"""
    if subprocess.run(["id", TA], capture_output=True).returncode:
        subprocess.run(["useradd", "--create-home", TA], check=True)
    folder = tempfile.mkdtemp(prefix="hw6-cluster-")
    try:
        shared = Path(folder)
        os.chmod(shared, 0o755)
        samples.materialize("hostile-syntax-error", shared / "class" / "quick")
        mnist = shared / "mnist.npz"
        shutil.copyfile(os.path.expanduser("~/.keras/datasets/mnist.npz"), mnist)
        user = pwd.getpwnam(TA)
        subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", shared], check=True)
        proc = subprocess.run(["runuser", "-u", TA, "--", "env", f"SLURM_CONF={cluster.env['SLURM_CONF']}",
                               sys.executable, "-m", "autograder",
                               "grade-all", shared / "class", "--out", shared / "class" / "book.csv", "--executor",
                               "slurm", "--cpus-per-task", "1", "--mnist", mnist, "--config", SHORT],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        assert f"The tasks run as {TA}, not root" in proc.stdout
        results = valid_results(shared / "class" / "quick.results.json")
        assert f"as the current user '{TA}' (not root)" in results["output"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_every_daemon_stops(cluster):
    """Does stopping the cluster end every daemon it started (run last: the module's cluster)?"""
    procs = list(cluster.procs)
    assert {name for name, _ in procs} == {"munged", "mariadbd", "slurmdbd", "slurmctld", "slurmd"}
    cluster.stop()
    assert all(proc.poll() is not None for _, proc in procs)
    assert not any(slurm_cluster.port_open(port) for port in cluster.ports.values())
