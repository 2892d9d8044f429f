"""A class's gradebook: the CSV (a row per submission, every item and the total), gradebook.html
beside it, and each submission's report beside its results.

A row's status is "graded", "interrupted", "autograder error", the state of a Slurm job that
ended without finishing (TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, CANCELLED, ...; see job_faults.py),
or why the submission was not graded (discovery.py).
"""
import csv

from .grade import was_interrupted
from .html_report import gradebook_page, write_report
from .job_faults import slurm_state


def status_of(results, entry):
    if entry.problem:
        return entry.problem
    if results is None:
        return f"no results (see {entry.log.name})"
    if slurm_state(results):
        return slurm_state(results)
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


def write(entries, out, config, similarity=None):
    """Write the CSV and the pages (gradebook.html links the similarity page, if given); return the CSV's rows."""
    rows = [row_of(entry, config) for entry in entries]
    write_csv(rows, out, config)
    write_pages(entries, out, config, similarity)
    return rows


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
