"""Does grade-all regrade a class into a correct gradebook, resume, and parallelize safely?"""
import csv
import json
import shutil
import zipfile

import pytest

from autograder import samples
from conftest import QUICK, Markup, item_scores, run_module


def read_csv(path):
    with open(path, newline="") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


def test_gradebook_matches_every_sample(graded_samples, config):
    """Does the session's grade-all CSV hold every sample's expected item scores and total?"""
    for folder, overlay, names in graded_samples.groups:
        rows = read_csv(folder / "gradebook.csv")
        assert sorted(rows) == sorted(names)
        for name in names:
            expected = samples.expected_scores(name, config)
            row = rows[name]
            assert row["status"] == "graded"
            assert {n: float(row[n]) for n in expected} == pytest.approx(expected), name
            if samples.compares_all(name):  # else only the optional parts' items are checked
                assert float(row["total"]) == pytest.approx(sum(expected.values()))


def test_gradebook_page_links_every_report(graded_samples):
    """Does each group's gradebook.html link a report, beside its results, for every sample, and the
    class's similarity report, written beside it with its pairs' CSV?"""
    for folder, overlay, names in graded_samples.groups:
        markup = Markup((folder / "gradebook.html").read_text())
        links = sorted(attrs["href"] for tag, attrs in markup.tags if tag == "a")
        assert links == sorted([f"{name}.report.html" for name in names] + ["gradebook.similarity.html"])
        assert all((folder / link).is_file() for link in links)
        assert (folder / "gradebook.similarity.csv").read_text().startswith("submission_a,submission_b,similarity")


def test_second_run_skips_everything(graded_samples):
    """Does a second grade-all skip every graded submission and rewrite the same CSV?"""
    folder, overlay, names = graded_samples.groups[0]
    before = (folder / "gradebook.csv").read_text()
    stamps = {n: (folder / f"{n}.results.json").stat().st_mtime_ns for n in names}
    proc = run_module("autograder", "grade-all", folder, "--out", folder / "gradebook.csv",
                      *(["--config", overlay] if overlay else []))
    assert proc.returncode == 0 and f"Skipping {len(names)} already graded" in proc.stdout
    assert stamps == {n: (folder / f"{n}.results.json").stat().st_mtime_ns for n in names}
    assert (folder / "gradebook.csv").read_text() == before


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """Cheap, mixed submissions: folders, a zip, a broken zip, an empty folder."""
    folder = tmp_path_factory.mktemp("mixed")
    for name in ("untouched-stencil", "no-gradient-step", "cvae-decoder-ignores-label"):
        samples.materialize(name, folder / name)
    samples.materialize("reference", folder / "zipped-src")
    shutil.make_archive(str(folder / "zipped"), "zip", folder / "zipped-src")
    shutil.rmtree(folder / "zipped-src")
    (folder / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    (folder / "empty").mkdir()
    return folder


def test_jobs_two_gives_the_same_scores_as_one(mixed, tmp_path):
    """With a quick config, do --jobs 1 and --jobs 2 give identical scores for every submission?"""
    results = {}
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}.csv"
        proc = run_module("autograder", "grade-all", mixed, "--out", out, "--jobs", jobs, "--force", "--config", QUICK)
        assert proc.returncode == 0, proc.stderr[-2000:]
        results[jobs] = read_csv(out)
    assert results[1] == results[2]
    rows = results[2]
    assert set(rows) == {"untouched-stencil", "no-gradient-step", "cvae-decoder-ignores-label", "zipped",
                         "broken", "empty"}
    assert rows["broken"]["status"] == rows["empty"]["status"] == "graded"
    assert float(rows["broken"]["total"]) == float(rows["empty"]["total"]) == 0
    assert float(rows["zipped"]["5.1"]) == 4  # the zipped reference was found and graded
    broken = json.loads((mixed / "broken.results.json").read_text())
    assert "neither a folder nor a zip file" in broken["tests"][0]["output"]


def test_gradescope_export_names_and_emails(tmp_path):
    """Does an 'Export Submissions' zip get graded, with names and emails from its metadata?"""
    export = tmp_path / "src" / "assignment_1_export"
    samples.materialize("untouched-stencil", export / "submission_1")
    samples.materialize("no-gradient-step", export / "submission_2")
    (export / "submission_metadata.yml").write_text(
        "submission_1:\n  :submitters:\n  - :name: Ada Lovelace\n    :email: ada@example.edu\n"
        "submission_2:\n  :submitters:\n  - :name: Alan Turing\n    :email: alan@example.edu\n"
        "  - :name: Grace Hopper\n    :email: grace@example.edu\n")
    archive = shutil.make_archive(str(tmp_path / "export"), "zip", tmp_path / "src")
    proc = run_module("autograder", "grade-all", archive, "--out", tmp_path / "book.csv", "--config", QUICK)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = read_csv(tmp_path / "book.csv")
    assert rows["submission_1"]["names"] == "Ada Lovelace" and rows["submission_1"]["emails"] == "ada@example.edu"
    assert rows["submission_2"]["names"] == "Alan Turing; Grace Hopper"
    assert float(rows["submission_1"]["total"]) == 5.0  # the stencil: layout items only
