"""grade-all's local executor: run each submission's `grade` command on this machine, N at once.

Ctrl-C or SIGTERM passes the signal on to the running graders (each stops its sandbox and writes
results that say they were interrupted), waits for them, and re-raises. A grader started here
gets SIGTERM if grade-all itself dies (interrupt.stop_with_parent), so that a SIGKILLed grade-all
leaves no grader running beside its rerun.
"""
import os
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .. import interrupt
from .gradebook import status_of

ROOT = Path(__file__).resolve().parent.parent.parent


class Workers:
    """The `grade` processes running now, so that an interrupted batch can stop every one."""

    def __init__(self):
        self.lock, self.running, self.stopping = threading.Lock(), set(), False

    def run(self, cmd, log):
        """Run cmd to its end (its exit code), or None if the batch is stopping."""
        env = dict(os.environ, **{interrupt.PARENT_ENV: str(os.getpid())})
        with self.lock:  # so that stop() sees every process started
            if self.stopping:
                return None
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
            self.running.add(proc)
        try:
            return proc.wait()
        finally:
            with self.lock:
                self.running.discard(proc)

    def stop(self, signum, seconds=30):
        """Pass the signal on to every grader (each stops its sandbox and writes its results); wait."""
        with self.lock:
            self.stopping, procs = True, list(self.running)
        for proc in procs:
            proc.send_signal(signum)
        for proc in procs:
            try:
                proc.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                proc.kill()


def grade_one(entry, cmd, workers):
    """Grade one submission in its own process; its output goes to entry.log."""
    with open(entry.log, "w") as log:
        return workers.run(cmd, log)


def grade(commands, jobs, progress):
    """Run each [(entry, command)] of `commands`, `jobs` at once, showing progress (progress.Progress)."""
    workers, done, failed = Workers(), 0, 0
    with ThreadPoolExecutor(jobs) as pool:
        try:
            futures = {pool.submit(grade_one, entry, cmd, workers): entry for entry, cmd in commands}
            for future in as_completed(futures):
                entry = futures[future]
                done += 1
                failed += status_of(entry.read_results(), entry) != "graded"
                running = len(workers.running)
                progress.show(done, running, len(commands) - done - running, failed, last=entry.id)
        except interrupt.Interrupted as stop:
            pool.shutdown(wait=False, cancel_futures=True)
            workers.stop(stop.signum)
            raise
