"""Regrade a whole class: every submission in its own `python -m autograder grade` process.

    python -m autograder grade-all submissions/ --out gradebook.csv --jobs 2
    python -m autograder grade-all assignment_123_export.zip --out gradebook.csv

SRC is a folder of submissions (folders or .zip files), or a Gradescope "Export Submissions"
archive (a folder per submission plus submission_metadata.yml, zipped or not), whose names
and emails go into the CSV. Each submission's results.json is kept beside it as
NAME.results.json (the grader's log as NAME.log, its page as NAME.report.html); a submission
that has complete results is skipped unless --force, so an interrupted run resumes where it
stopped. Beside the CSV, gradebook.html (the CSV's name, .html) shows the class at a glance, with
each submission's integrity flags (never scored), and links gradebook.similarity.html, the class's
similarity report (similarity.py; its pairs in gradebook.similarity.csv).

Ctrl-C or SIGTERM stops the running graders (each kills its sandbox and writes results that say
they were interrupted), writes the CSV and the pages for what was finished, and exits non-zero.

Where: --executor local (local.py) runs the graders here; parallel jobs split the CPUs between
them (each TensorFlow worker gets CPUs / jobs threads), and each grader claims its own sandbox
user (student, student1, ...; see sandbox/users.claim_user). --executor slurm (slurm.py) runs
each one as a task of a Slurm job array, with --cpus-per-task threads. Both run the same command
line (grade_command), so both give the same scores.

    python -m autograder grade-all submissions/ --out gradebook.csv --executor slurm --partition cpu
"""
import sys

from .. import interrupt
from ..sandbox import cpus
from . import gradebook, local
from .progress import Progress
from .discovery import Entry, discover  # noqa: F401 (grade-all's entries, for callers)
from .grade import was_interrupted
from .similarity import beside_gradebook


def grade_command(entry, threads, overlay, mnist):
    """The `grade` command line that grades one entry: the same under every executor."""
    cmd = [sys.executable, "-m", "autograder", "grade", str(entry.path), "--results", str(entry.results),
           "--threads", str(threads), "--mnist", str(mnist)]
    if overlay:
        cmd += ["--config", str(overlay)]
    return cmd


def pending(entries, force=False):
    """The entries to grade: all if force, else those without complete results (none, unreadable,
    or interrupted, a Slurm task that Slurm ended included); never one with a problem (discovery.py)."""
    def complete(entry):
        results = entry.read_results()
        return results is not None and not was_interrupted(results)
    return [e for e in entries if not e.problem and (force or not complete(e))]


def grade_all(src, out, config, jobs=1, force=False, overlay=None, mnist=None, slurm=None):
    """Grade every submission (skipping graded ones unless force); write the CSV and the pages;
    return the CSV's rows. slurm: None (the local executor) or slurm_settings.SlurmSettings.
    Interrupted (interrupt.py): stop the graders, write, then re-raise."""
    entries = discover(src)
    todo = pending(entries, force)
    problems = [e for e in entries if e.problem]
    if len(todo) + len(problems) < len(entries):
        print(f"Skipping {len(entries) - len(todo) - len(problems)} already graded (use --force to regrade).")
    for entry in problems:
        print(f"Not graded: {entry.path.name}: {entry.problem}", file=sys.stderr)
    if slurm is None:
        jobs = max(1, min(jobs, len(todo) or 1))
        commands = [(entry, grade_command(entry, max(1, cpus.available() // jobs), overlay, mnist)) for entry in todo]
    else:
        from . import slurm as executor  # imports submitit, a staff tool
        from .slurm_preflight import check_tools, protections
        check_tools()
        print(protections())
        commands = [(entry, grade_command(entry, slurm.cpus_per_task, overlay, mnist)) for entry in todo]
    stopped = None
    with Progress(len(todo)) as progress:
        try:
            if commands and slurm is None:
                local.grade(commands, jobs, progress)
            elif commands:
                executor.grade(commands, todo[0].path.parent, slurm, progress)
        except interrupt.Interrupted as stop:
            stopped = stop
    similarity = None if stopped else beside_gradebook(entries, out, config)  # interrupted: stop at once
    rows = gradebook.write(entries, out, config, similarity)
    if stopped:
        raise stopped
    return rows
