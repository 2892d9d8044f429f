"""Does the similarity report find a disguised copy, leave independent work and the stencil alone,
name submissions as the gradebook does, and show student code only as text?

Pure Python: the samples' code is compared, nothing is trained (bench/similarity.py times it).
"""
import ast
import csv
import itertools
import shutil

import pytest
from copydetect import compare_files

from autograder import samples
from autograder.config import load_config
from autograder.intake.student_code import read_student_code, stencil_code
from autograder.results import batch, similarity
from autograder.results.fingerprint import fingerprint, hashes, similarities
from autograder.results.grade import REFERENCE_DIR
from conftest import Markup, run_module
from test_feedback import HOSTILE

INDEPENDENT = ["reference", "original-stencil-style", "style-adam-in-train-vae", "style-flat-decoder-eager-loss",
               "style-keras-random-prints", "style-optimizer-in-init"]  # correct, each written on its own
COPIED = "style-keras-random-prints"
THRESHOLD = load_config().integrity["similarity_threshold"]


class Renamed(ast.NodeTransformer):
    """Renames every argument and local variable of the functions (graded names and modules stay)."""

    def __init__(self, tree):
        self.names = {}
        for func in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            for node in ast.walk(func):
                if isinstance(node, ast.arg) and node.arg != "self":
                    self.names.setdefault(node.arg, f"q{len(self.names)}")
                elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    self.names.setdefault(node.id, f"q{len(self.names)}")

    def visit_arg(self, node):
        node.arg = self.names.get(node.arg, node.arg)
        return node

    def visit_Name(self, node):
        node.id = self.names.get(node.id, node.id)
        return node


def disguise(code_dir):
    """Rewrite each graded file: variables renamed, comments dropped (ast.unparse), and the order of
    its top-level definitions reversed."""
    for name in ("vae.py", "assignment.py"):
        tree = ast.parse((code_dir / name).read_text())
        tree = Renamed(tree).visit(tree)
        defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
        others = [n for n in tree.body if n not in defs]
        tree.body = others + defs[::-1]
        (code_dir / name).write_text(ast.unparse(tree) + "\n")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """One class: the independent samples, the untouched stencil, a disguised copy, a zipped one,
    a syntax error, and a copied helper whose strings are HTML; compared once."""
    folder = tmp_path_factory.mktemp("similarity")
    src = folder / "class"
    for name in INDEPENDENT + ["untouched-stencil", "hostile-syntax-error"]:
        samples.materialize(name, src / name)
    disguise(samples.materialize(COPIED, src / "disguised") / "hw6" / "code")
    for name in ("markup-a", "markup-b"):  # the same helper, copied: a pair the page shows
        code = samples.materialize("untouched-stencil", src / name) / "hw6" / "code"
        (code / "helpers.py").write_text(f'"""{HOSTILE}"""\n' + "".join(
            f"def helper_{i}(x, y):\n    # {HOSTILE}\n    return [x * {i} + y, '{HOSTILE}', x - y * {i}]\n\n"
            for i in range(12)))
    big = samples.materialize("untouched-stencil", src / "big-helper") / "hw6" / "code" / "weights.py"
    big.write_text("W = " + repr(list(range(200_000))) + "\n")  # 1.5 MB: data, not read as code
    samples.materialize("reference", folder / "zipped-src")
    shutil.make_archive(str(src / "zipped"), "zip", folder / "zipped-src")
    out, pairs_csv = folder / "similarity.html", folder / "pairs.csv"
    submissions, pairs = similarity.similarity_report(batch.discover(src), out, pairs_csv, load_config())
    with open(pairs_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    return {"submissions": submissions, "pairs": pairs, "page": out.read_text(), "rows": rows, "src": src}


def shared(report, a, b):
    return next((p.similarity for p in report["pairs"] if {p.a.name, p.b.name} == {a, b}), 0.0)


def test_disguised_copy_is_flagged(report):
    """Is a copy with renamed variables, no comments and its definitions reordered the class's top
    pair among the samples, above the threshold, and shown side by side with its code highlighted?"""
    copy = shared(report, COPIED, "disguised")
    assert copy >= THRESHOLD, copy
    copies = [{COPIED, "disguised"}, {"zipped", "reference"}, {"markup-a", "markup-b"}]  # made on purpose
    others = [p.similarity for p in report["pairs"] if {p.a.name, p.b.name} not in copies]
    assert copy > max(others) + 0.1, (copy, max(others))
    page = Markup(report["page"])
    headings = [text for text in page.text if "disguised" in text and COPIED in text]
    assert headings, "the pair is not shown"
    assert report["page"].count("<mark>") >= 4  # matching passages highlighted on both sides


def test_independent_samples_are_not_flagged(report):
    """Are the correct samples written independently all below the threshold against each other?"""
    scores = {(a, b): shared(report, a, b) for a, b in itertools.combinations(INDEPENDENT, 2)}
    assert max(scores.values()) < THRESHOLD, scores


def test_untouched_stencil_matches_nothing(report):
    """Does the untouched stencil score 0 against every submission, and is it all boilerplate?"""
    assert all(shared(report, "untouched-stencil", s.name) == 0 for s in report["submissions"])
    code = read_student_code(report["src"] / "untouched-stencil", report["src"].parent / "scratch-stencil", REFERENCE_DIR)
    assert code.pieces["vae.py"] and fingerprint(code.texts(), hashes(stencil_code(REFERENCE_DIR).texts())).hashes == set()


def test_csv_names_submissions_as_the_gradebook(report):
    """Does pairs.csv have submission_a, submission_b, similarity, from 0 to 1, highest first, with
    the gradebook's names (a zip by its name without .zip), and every pair that shares code?"""
    rows = report["rows"]
    assert rows and list(rows[0]) == ["submission_a", "submission_b", "similarity"]
    values = [float(r["similarity"]) for r in rows]
    assert values == sorted(values, reverse=True) and 0 < min(values) and max(values) <= 1
    names = {e.id for e in batch.discover(report["src"])}
    assert {r["submission_a"] for r in rows} | {r["submission_b"] for r in rows} <= names
    assert shared(report, "zipped", "reference") == pytest.approx(1.0)  # the same code, zipped
    assert len(rows) == len(report["pairs"])


def test_unreadable_submission_is_listed(report):
    """Are a file with a syntax error and a helper module too large to read named on the page,
    instead of stopping the report?"""
    text = "".join(Markup(report["page"]).text)
    assert "hostile-syntax-error" in text and "vae.py has a syntax error at line" in text
    assert "big-helper" in text and "weights.py is 1,488,895 bytes" in text and "too large to read as code" in text


def test_page_shows_student_code_only_as_text(report):
    """Do the copied helpers' HTML strings and comments reach the page as text, with nothing that
    would run in a browser?"""
    markup = Markup(report["page"])
    assert markup.problems() == []
    assert shared(report, "markup-a", "markup-b") >= THRESHOLD
    assert "".join(markup.text).count(HOSTILE) >= 20  # both sides: docstring, comments and strings


def test_similarity_is_copydetects(report):
    """Is each pair's similarity what copydetect's compare_files gives: (matched tokens of A + of B)
    / (tokens of A + of B)?"""
    subs = [s for s in report["submissions"] if s.fingerprint.token_coverage]
    matrix = similarities([s.fingerprint for s in subs])
    for i, j in itertools.combinations(range(len(subs)), 2):
        a, b = subs[i].fingerprint, subs[j].fingerprint
        _, (share_a, share_b), _ = compare_files(a, b)
        expected = (share_a * a.token_coverage + share_b * b.token_coverage) / (a.token_coverage + b.token_coverage)
        assert matrix[i, j] == pytest.approx(expected, abs=1e-9)


def test_command_line_and_past_terms(tmp_path, report):
    """Does `python -m autograder similarity SRC --out --csv --reference DIR` compare the class with a
    past term (named TERM/NAME), leaving out pairs within the past term?"""
    past = tmp_path / "fall25"
    for name in (COPIED, "reference"):
        samples.materialize(name, past / name)
    proc = run_module("autograder", "similarity", report["src"], "--out", tmp_path / "s.html", "--csv",
                      tmp_path / "p.csv", "--reference", past, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(tmp_path / "p.csv", newline="") as f:
        rows = {(r["submission_a"], r["submission_b"]): float(r["similarity"]) for r in csv.DictReader(f)}
    pairs = {frozenset(k): v for k, v in rows.items()}
    assert pairs[frozenset({"disguised", f"fall25/{COPIED}"})] >= THRESHOLD
    assert frozenset({"fall25/reference", f"fall25/{COPIED}"}) not in pairs
    assert (tmp_path / "s.html").read_text().count("fall25/") >= 2


def test_a_failed_report_costs_only_itself(tmp_path, monkeypatch, capsys):
    """If the report fails inside grade-all, is the failure printed, and no page returned for the
    gradebook to link (grade-all writes the gradebook all the same)?"""
    def broken(*args):
        raise RuntimeError("broken on purpose")
    monkeypatch.setattr(similarity, "similarity_report", broken)
    assert similarity.beside_gradebook([], tmp_path / "book.csv", load_config()) is None
    assert "The similarity report failed" in capsys.readouterr().err
