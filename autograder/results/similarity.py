"""Similarity across a class: how much of what each pair of students wrote is the same code.

    python -m autograder similarity SRC --out similarity.html --csv pairs.csv [--reference DIR ...]

SRC is what grade-all takes (a folder of submissions, or Gradescope's export, zipped or not), and
submissions are named as the gradebook names them. Only what students wrote is compared: the
definitions they own and their helpers, as the sanitizer finds them (intake.student_code), with
the stencil's own pieces removed as boilerplate, so the untouched stencil matches nothing.
--reference adds past terms' submissions (named FOLDER/NAME), compared with this class only.

A pair's similarity is the share of both submissions' code that lies in matching passages:
(matched in A + matched in B) / (all of A + all of B), from 0 to 1. pairs.csv lists every pair
with any match, highest first; the page shows those at or above [integrity] similarity_threshold
side by side (fingerprint.py says how code is matched). Nothing here changes a score.
"""
import csv
import multiprocessing
import sys
import tempfile
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..intake.student_code import read_student_code, stencil_code
from ..sandbox import cpus
from .fingerprint import fingerprint, hashes, similarities
from .grade import REFERENCE_DIR
from .similarity_page import similarity_page

CSV_COLUMNS = ("submission_a", "submission_b", "similarity")
PER_WORKER = 16  # submissions that make another process worth its start (~1 s)


@dataclass
class Submission:
    """One submission to compare: its name, who handed it in, what its student wrote."""
    name: str
    submitters: list       # [(name, email)], from a Gradescope export
    code: object           # intake.student_code.StudentCode
    past: bool = False     # from --reference: compared with this class only
    fingerprint: object = None


@dataclass
class Pair:
    a: Submission
    b: Submission
    similarity: float


def _read(job):
    """One submission read and fingerprinted (in a worker process): job = (entry, its name, past?,
    a scratch folder, the boilerplate's hashes)."""
    entry, name, past, scratch, boilerplate = job
    code = read_student_code(entry.path, scratch, REFERENCE_DIR)
    return Submission(name, entry.submitters, code, past, fingerprint(code.texts(), boilerplate))


def read_all(entries, past_terms, scratch):
    """Submissions of the class's entries (batch.discover's) and past terms' ([(term, entries)]), each
    unpacked into its own folder under `scratch` and fingerprinted, on every CPU grading may use."""
    boilerplate = hashes(stencil_code(REFERENCE_DIR).texts())
    named = [(e, e.id, False) for e in entries] + [(e, f"{term}/{e.id}", True) for term, past in past_terms for e in past]
    jobs = [(entry, name, past, Path(scratch) / str(index), boilerplate) for index, (entry, name, past) in enumerate(named)]
    workers = min(cpus.available(), len(jobs) // PER_WORKER)
    if workers < 2:
        return [_read(job) for job in jobs]
    # Fresh interpreters, not forks: grade-all's process may hold threads (tqdm's monitor).
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_read, jobs, chunksize=max(1, len(jobs) // (4 * workers))))


def compare(submissions):
    """Every pair with some matching code, highest similarity first (past terms' pairs left out)."""
    shared = similarities([s.fingerprint for s in submissions])
    pairs = [Pair(submissions[i], submissions[j], float(shared[i, j]))
             for i, j in zip(*np.nonzero(np.triu(shared, 1))) if not (submissions[i].past and submissions[j].past)]
    pairs.sort(key=lambda pair: (-pair.similarity, pair.a.name, pair.b.name))
    return pairs


def write_csv(pairs, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        writer.writerows((pair.a.name, pair.b.name, f"{pair.similarity:.4f}") for pair in pairs)


def similarity_report(entries, out, csv_path, config, past_terms=()):
    """Compare a class (grade-all's entries) and past terms' submissions (past_terms: [(term, entries)]);
    write the page `out` and the CSV `csv_path`; return (the submissions, the pairs)."""
    with tempfile.TemporaryDirectory(prefix="hw6-similarity-") as scratch:
        submissions = read_all(entries, past_terms, scratch)
    pairs = compare(submissions)
    write_csv(pairs, csv_path)
    threshold = float(config.integrity["similarity_threshold"])
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(similarity_page(submissions, pairs, threshold), encoding="utf-8")
    return submissions, pairs


def beside_gradebook(entries, gradebook, config):
    """grade-all's report: NAME.similarity.html and NAME.similarity.csv beside the gradebook NAME.csv.
    The page's path, or None if the report failed (printed: it must not cost the gradebook)."""
    page = gradebook.with_name(f"{gradebook.stem}.similarity.html")
    try:
        similarity_report(entries, page, page.with_suffix(".csv"), config)
    except Exception:  # noqa: BLE001 - a staff report never stops the grades from being written
        print(f"The similarity report failed:\n{traceback.format_exc()}", file=sys.stderr)
        return None
    return page
