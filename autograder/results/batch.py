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

Parallel jobs split the CPUs between them (each TensorFlow worker gets CPUs / jobs threads).
Each grader claims its own sandbox user (student, student1, ...; see sandbox/users.claim_user).
"""
import csv
import json
import subprocess
import sys
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from tqdm import tqdm

from .. import interrupt
from ..sandbox import cpus
from .grade import was_interrupted
from .html_report import gradebook_page, write_report
from .similarity import beside_gradebook

ROOT = Path(__file__).resolve().parent.parent.parent
METADATA = "submission_metadata.yml"


@dataclass
class Entry:
    id: str
    path: Path
    submitters: list = field(default_factory=list)  # [(name, email)]

    @property
    def results(self):
        return self.path.parent / f"{self.id}.results.json"

    @property
    def log(self):
        return self.path.parent / f"{self.id}.log"

    @property
    def report(self):
        return self.path.parent / f"{self.id}.report.html"

    def read_results(self):
        """This submission's results (a dict), or None if it has none that can be read."""
        try:
            return json.loads(self.results.read_text())
        except (OSError, ValueError):
            return None


def unpack_archive(src):
    """A zipped export is unpacked once, next to it, so results can be kept beside submissions."""
    dest = src.with_suffix("")
    if not dest.exists():
        with zipfile.ZipFile(src) as zf:
            zf.extractall(dest)
    return dest


def find_metadata(src):
    for candidate in [src / METADATA, *sorted(src.glob(f"*/{METADATA}"))]:
        if candidate.is_file():
            return candidate
    return None


def discover(src):
    """The submissions in SRC, as Entries, in a stable order."""
    src = Path(src)
    if src.is_file() and zipfile.is_zipfile(src):
        src = unpack_archive(src)
    if not src.is_dir():
        raise FileNotFoundError(f"{src} is neither a folder nor a zip file")
    metadata = find_metadata(src)
    if metadata:
        with open(metadata) as f:
            records = yaml.safe_load(f) or {}
        entries = []
        for folder, record in sorted(records.items()):
            submitters = [(s.get(":name", ""), s.get(":email", "")) for s in (record or {}).get(":submitters", [])]
            entries.append(Entry(str(folder), metadata.parent / str(folder), submitters))
        return entries
    return [Entry(p.name[:-4] if p.suffix == ".zip" else p.name, p) for p in sorted(src.iterdir())
            if not p.name.startswith(".") and (p.is_dir() or p.suffix == ".zip")]


class Workers:
    """The `grade` processes running now, so that an interrupted batch can stop every one."""

    def __init__(self):
        self.lock, self.running, self.stopping = threading.Lock(), set(), False

    def run(self, cmd, log):
        """Run cmd to its end (its exit code), or None if the batch is stopping."""
        with self.lock:  # so that stop() sees every process started
            if self.stopping:
                return None
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
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


def grade_one(entry, threads, overlay, mnist, workers):
    """Grade one submission in its own process; its output goes to entry.log."""
    cmd = [sys.executable, "-m", "autograder", "grade", str(entry.path), "--results", str(entry.results),
           "--threads", str(threads), "--mnist", str(mnist)]
    if overlay:
        cmd += ["--config", str(overlay)]
    with open(entry.log, "w") as log:
        return workers.run(cmd, log)


def pending(entries, force=False):
    """The entries to grade: all if force, else those without complete results (none, unreadable,
    or interrupted)."""
    def complete(entry):
        results = entry.read_results()
        return results is not None and not was_interrupted(results)
    return [e for e in entries if force or not complete(e)]


def grade_all(src, out, config, jobs=1, force=False, overlay=None, mnist=None):
    """Grade every submission (skipping graded ones unless force); write the CSV and the pages;
    return the CSV's rows. Interrupted (interrupt.py): stop the graders, write, then re-raise."""
    entries = discover(src)
    todo = pending(entries, force)
    jobs = max(1, min(jobs, len(todo) or 1))
    threads = max(1, cpus.available() // jobs)
    if len(todo) < len(entries):
        print(f"Skipping {len(entries) - len(todo)} already graded (use --force to regrade).")
    workers, stopped = Workers(), None
    with ThreadPoolExecutor(jobs) as pool, tqdm(total=len(todo), unit="submission") as bar:
        try:
            futures = {pool.submit(grade_one, entry, threads, overlay, mnist, workers): entry for entry in todo}
            for future in as_completed(futures):
                bar.set_postfix_str(futures[future].id)
                bar.update()
        except interrupt.Interrupted as stop:
            stopped = stop
            pool.shutdown(wait=False, cancel_futures=True)
            workers.stop(stop.signum)
    rows = [row_of(entry, config) for entry in entries]
    write_csv(rows, out, config)
    similarity = None if stopped else beside_gradebook(entries, out, config)  # interrupted: stop at once
    write_pages(entries, out, config, similarity)
    if stopped:
        raise stopped
    return rows


def status_of(results, entry):
    if results is None:
        return f"no results (see {entry.log.name})"
    if was_interrupted(results):
        return "interrupted"
    if any(t.get("name") == "Autograder error" for t in results.get("tests", [])):
        return "autograder error"
    return "graded"


def row_of(entry, config):
    row = {"submission": entry.id, "names": "; ".join(n for n, _ in entry.submitters),
           "emails": "; ".join(e for _, e in entry.submitters)}
    results = entry.read_results()
    if results is None:
        return dict(row, status=status_of(results, entry))
    scores = {t.get("number"): t.get("score", 0) for t in results.get("tests", [])}
    row.update({number: scores.get(number, "") for number in config.item_numbers(config.parts)})
    row.update(total=results.get("score", 0), status=status_of(results, entry))
    return row


def write_pages(entries, out, config, similarity=None):
    """Each submission's report beside its results, and the gradebook page beside the CSV (linking
    the similarity page, if given)."""
    graded = []
    for entry in entries:
        results = entry.read_results()
        if results is not None:
            write_report(results, entry.report, title=entry.id)
        graded.append((entry, results, status_of(results, entry)))
    page = gradebook_page(graded, config.item_numbers(config.parts), out.parent, similarity)
    out.with_suffix(".html").write_text(page, encoding="utf-8")


def write_csv(rows, out, config):
    columns = ["submission", "names", "emails", *config.item_numbers(config.parts), "total", "status"]  # parts on only
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
