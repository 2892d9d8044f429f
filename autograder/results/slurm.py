"""grade-all's Slurm executor: each submission's `grade` command as one task of a job array.

submitit submits the arrays (sbatch) and reads the tasks' states (sacct: the cluster needs
accounting, as clusters have). Each task runs, in the kit's folder, the command the local
executor runs, writing NAME.results.json and NAME.log beside the submission; the kit, its venv,
MNIST and the submissions must be on a filesystem the nodes share. submitit's files, the Slurm
logs and the ledger of job ids live in SRC/.hw6-slurm/.

A task that Slurm ends (TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, CANCELLED, ...) gets results that say
so (job_faults.py), and a rerun submits it again. A rerun also waits for the tasks of an earlier,
killed grade-all that are still queued or running, instead of submitting them twice. Ctrl-C or
SIGTERM cancels the tasks not finished, waits for them to stop, and re-raises.
"""
import json
import time
from collections import Counter
from pathlib import Path

from .. import interrupt
from .gradebook import status_of
from .job_faults import write_fault
from .results_json import write_json
from .slurm_preflight import SlurmUnavailable
from .slurm_task import ROOT, run_grader

JOBS_FOLDER = ".hw6-slurm"
MAX_ARRAY = 1000  # tasks per array: Slurm's default MaxArraySize is 1001
RUNNING = {"RUNNING", "COMPLETING", "CONFIGURING", "STAGE_OUT", "SIGNALING"}
STOP_SECONDS = 60  # after scancel, for the tasks' states to change
STOP_GRACE = 10  # for a signalled grader to write its results (it takes about a second), see stopped()


class Batch:
    """The tasks of one grade-all: {entry: submitit job}, their ledger, their states."""

    def __init__(self, folder, settings):
        import submitit  # a staff tool, not installed on Gradescope

        self.submitit, self.settings, self.folder = submitit, settings, Path(folder) / JOBS_FOLDER
        self.folder.mkdir(exist_ok=True)
        self.executor = submitit.SlurmExecutor(folder=self.folder)
        self.executor.update_parameters(**settings.parameters(chdir=ROOT))
        self.watcher = submitit.SlurmJob.watcher
        self.jobs = {}  # entry -> job, those not finished
        self.ended = Counter()  # the states of the tasks that Slurm ended
        self.ending = {}  # job id -> when its end was first seen, while its processes stop
        self.ledger_path = self.folder / "jobs.json"
        try:
            self.ledger = json.loads(self.ledger_path.read_text())  # {entry id: job id}
        except (OSError, ValueError):
            self.ledger = {}

    def key(self, job):
        """The id sacct reports a task under: its own, or, for an array cancelled before any of its
        tasks started, the array's (one line, which submitit does not split into tasks)."""
        if "_" in job.job_id and not self.watcher.get_info(job.job_id, mode="cache"):
            return job.job_id.split("_")[0]
        return job.job_id

    def state(self, job):
        return self.watcher.get_state(self.key(job), mode="cache").split()[0]  # "CANCELLED by 0"

    def done(self, job):
        return self.watcher.is_done(self.key(job), mode="cache")

    def reattach(self, commands):
        """Wait for the commands' tasks that an earlier grade-all left queued or running; return the rest."""
        known = {entry: self.submitit.SlurmJob(folder=self.folder, job_id=self.ledger[entry.id])
                 for entry, _ in commands if entry.id in self.ledger}
        if known:
            self.watcher.update()
        alive = {entry: job for entry, job in known.items() if not self.done(job)}
        if alive:
            print(f"Waiting for {len(alive)} Slurm tasks that an earlier grade-all submitted "
                  f"({', '.join(sorted({j.job_id.split('_')[0] for j in alive.values()}))}).")
        self.jobs.update(alive)
        return [(entry, cmd) for entry, cmd in commands if entry not in alive]

    def submit(self, commands):
        for start in range(0, len(commands), MAX_ARRAY):
            chunk = commands[start:start + MAX_ARRAY]
            try:
                jobs = self.executor.map_array(run_grader, [cmd for _, cmd in chunk], [str(e.log) for e, _ in chunk])
            except self.submitit.core.utils.FailedJobError as err:
                raise SlurmUnavailable(f"sbatch refused the job array ({self.settings.describe()}): {err}") from err
            self.jobs.update({entry: job for (entry, _), job in zip(chunk, jobs)})
            self.ledger.update({entry.id: job.job_id for (entry, _), job in zip(chunk, jobs)})
            write_json(self.ledger, self.ledger_path)
            print(f"Submitted job array {jobs[0].job_id.split('_')[0]}: {len(jobs)} tasks, {self.settings.describe()}")

    def poll(self):
        """Update the states (one sacct call); record the tasks that ended; return them."""
        self.watcher.update()
        ended = [entry for entry, job in self.jobs.items() if self.done(job) and self.stopped(entry, job)]
        for entry in ended:
            job = self.jobs.pop(entry)
            if self.state(job) != "COMPLETED":
                self.ended[self.state(job)] += 1
                write_fault(entry, self.state(job), self.settings, job.paths.stdout, self.submitted_at(job))
        return ended

    def stopped(self, entry, job):
        """Whether an ended task's grader is done writing. Slurm gives the state (TIMEOUT, CANCELLED)
        as it sends SIGTERM; the grader then writes results that say it was interrupted (in about a
        second), which must not replace ours. Wait for submitit's result file, written once the
        grader is gone, unless it never started, or for STOP_GRACE: a grader still silent then was
        killed outright (a node failure), or Slurm kills it after its KillWait without it writing."""
        if job.paths.result_pickle.exists():
            return True
        try:
            if entry.log.stat().st_mtime < self.submitted_at(job):
                return True  # the log is an earlier grading's: this task's grader never started
        except FileNotFoundError:
            return True
        first = self.ending.setdefault(job.job_id, time.monotonic())
        return time.monotonic() - first > STOP_GRACE

    def submitted_at(self, job):
        """When the task was submitted (its pickle's time), or 0 if unknown."""
        try:
            return job.paths.submitted_pickle.stat().st_mtime
        except FileNotFoundError:
            return 0

    def counts(self):
        """(running, pending) among the tasks not finished (running: stopping ones too)."""
        running = sum(self.state(job) in RUNNING or job.job_id in self.ending for job in self.jobs.values())
        return running, len(self.jobs) - running

    def cancel(self):
        """scancel every task not finished; wait for them to stop (bounded); return how many."""
        jobs = list(self.jobs.values())
        running, pending = self.counts()
        for job in jobs:
            job.cancel(check=False)
        print(f"Cancelled {len(jobs)} Slurm tasks of this grade-all ({running} running, {pending} pending).", flush=True)
        deadline = time.monotonic() + STOP_SECONDS + 10
        while self.jobs and time.monotonic() < deadline:
            time.sleep(1)
            self.poll()
        return len(jobs)


def grade(commands, folder, settings, progress):
    """Grade each [(entry, command)] as a Slurm task; show progress until every task has ended.
    folder: the class's (SRC), shared with the nodes. Call slurm_preflight.check_tools() first."""
    batch = Batch(folder, settings)
    done, failed, start = 0, 0, time.monotonic()
    try:
        with interrupt.deferred():  # never leave tasks submitted but not in the ledger
            batch.submit(batch.reattach(commands))
        progress.show(done, *batch.counts(), failed)
        while batch.jobs:
            time.sleep(min(30, max(2, (time.monotonic() - start) / 10)))
            for entry in batch.poll():
                done += 1
                failed += status_of(entry.read_results(), entry) != "graded"
            progress.show(done, *batch.counts(), failed)
    except interrupt.Interrupted:
        batch.cancel()
        raise
    finally:
        if batch.ended:
            print(f"Slurm ended {sum(batch.ended.values())} tasks before they finished ("
                  + ", ".join(f"{state} {n}" for state, n in sorted(batch.ended.items()))
                  + "); their rows say so. Run grade-all again to resubmit only those.")
