"""Are the standalone pages (a submission's --html report, grade-all's gradebook.html) complete,
self-contained, and safe with whatever a student put in their messages and names?
(Results are made up here; test_browser.py renders pages of graded samples.)"""
import numpy as np

from autograder.results import batch, html_report, results_json
from conftest import Markup
from test_feedback import HOSTILE, noise_figures


def made_up_results(score=7):
    tests = [{"name": "reparameterize returns z with the shape of mu", "number": "2.1", "score": 0,
              "max_score": 2, "output": f"ValueError: {HOSTILE}"},
             {"name": "VAE: after 10 epochs, the test loss is below 120", "number": "6.1", "score": score,
              "max_score": 15, "output": f"printed: {HOSTILE}\nVAE test loss 125.00 is not below 120."}]
    results = {"score": score, "execution_time": 42.5, "output": f"Graded {HOSTILE}", "tests": tests}
    return results_json.finish(results, {"6.1": noise_figures(np.random.default_rng(0))["6.1"]})


def test_report_page_is_complete_and_inert():
    """Does the page show the total, every item with its message, and the figures, with the
    student's markup only as text, and a policy that lets no script run?"""
    page = html_report.report_page(made_up_results(), title=f"submission {HOSTILE}")
    markup = Markup(page)
    assert markup.problems() == []
    text = "".join(markup.text)
    assert "Total: 7 / 17" in text and text.count(HOSTILE) >= 4  # title, summary, 2.1, 6.1
    assert "VAE test loss 125.00 is not below 120." in text
    assert [tag for tag, _ in markup.tags].count("img") == 2
    assert ("meta", {"http-equiv": "Content-Security-Policy", "content": html_report.CSP}) in markup.tags


def test_gradebook_links_reports_and_escapes_names(tmp_path):
    """Does gradebook.html chart the class, link each graded submission's report and the similarity
    page, list the ones without results, show each submission's integrity flags, and show student
    names and flags only as text?"""
    entries = [batch.Entry(f"sub{i}", tmp_path / f"sub{i}", [(f"{HOSTILE} {i}", f"s{i}@x.edu")]) for i in range(3)]
    graded = []
    for index, entry in enumerate(entries[:2]):
        results = made_up_results(score=5 * index)
        html_report.write_report(results, entry.report, entry.id)
        graded.append((entry, results, "graded"))
    graded[1][1]["extra_data"] = {"flags": [f"student code loads weights or holds arrays: helpers.py line 1 {HOSTILE}"]}
    graded.append((entries[2], None, "no results (see sub2.log)"))
    page = html_report.gradebook_page(graded, ["2.1", "6.1"], tmp_path, tmp_path / "book.similarity.html")
    markup = Markup(page)
    assert markup.problems() == []
    links = [attrs["href"] for tag, attrs in markup.tags if tag == "a"]
    assert links == ["book.similarity.html", "sub0.report.html", "sub1.report.html"]
    assert all((tmp_path / link).exists() for link in links[1:])
    text = "".join(markup.text)
    assert f"{HOSTILE} 0" in text and "no results (see sub2.log)" in text
    assert f"helpers.py line 1 {HOSTILE}" in text and "Integrity flags" in text and "1 of 3 submissions" in text
    assert [tag for tag, _ in markup.tags].count("img") == 3  # totals, pass rates, grading times
