"""Does every hostile or broken submission end in a valid results.json, with the right items at
zero, a message that says what happened, and the grader itself untouched?

The samples are graded in conftest.graded_samples with autograder/samples/short-limits.toml
(short step limits and short training); their expected scores are checked by
test_grader_samples.py. The checks that depend on root (a separate user, no network, hidden
files) run in CI, which runs as root.
"""
import json
import os
import pwd

import pytest

from autograder.results import feedback
from autograder.sandbox.users import identity, tasks_of
from conftest import Markup

ISOLATED = os.geteuid() == 0
RAISED = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"  # hostile-xss
PRINTED = "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"


def output(graded, name, number="1.1"):
    return next(t.get("output", "") for t in graded[name]["tests"] if t.get("number") == number)


def test_grader_files_unchanged(graded_samples):
    """After grading every sample, hostile ones included, is every grader file byte-identical?"""
    assert graded_samples.files_before == graded_samples.files_after


@pytest.mark.parametrize("name, message", [
    ("hostile-syntax-error", "vae.py has a syntax error at line"),
    ("hostile-import-error", "RuntimeError: broken on purpose"),
    ("hostile-import-loop", "importing vae.py and assignment.py exceeded its limit of 40 s"),
    ("hostile-memory-hog", "MiB"),
])
def test_broken_imports_say_what_happened(graded_samples, name, message):
    """Does each broken import fail item 1.1 with a message naming the cause?"""
    assert message in output(graded_samples, name)


def test_memory_hog_is_stopped(graded_samples):
    """Is the memory hog stopped by a cap (address space or resident memory), not the machine?"""
    text = output(graded_samples, "hostile-memory-hog")
    assert "MemoryError" in text or "over the limit of" in text, text


def test_train_loop_is_stopped_per_epoch(graded_samples):
    """Is train_vae stopped in the epoch that loops, with the per-epoch limit's message?"""
    text = output(graded_samples, "hostile-train-loop", "6.1")
    assert "train_vae on epoch 2 exceeded its limit of 30 s" in text, text


def test_shrunken_bce_is_restored_and_reported(graded_samples):
    """Is an edited bce_function replaced by the handout's before grading, and does the output say so?"""
    results = graded_samples["hostile-shrink-bce"]
    assert "restored the handout's version of bce_function" in results["output"]
    item = next(t for t in results["tests"] if t.get("number") == "3.2")
    assert item["score"] == item["max_score"], item["output"]


def test_nan_and_wrong_types_are_explained(graded_samples):
    """Are NaN losses and wrong return types reported as such, with expected versus got?"""
    assert "finite scalar" in output(graded_samples, "hostile-nan-loss", "3.1")
    assert "nan" in output(graded_samples, "hostile-nan-loss", "6.1").lower()
    assert "expected z of shape (7, 15), got (15, 7)" in output(graded_samples, "hostile-wrong-types", "2.1")
    assert "must return (x_hat, mu, logvar)" in output(graded_samples, "hostile-wrong-types", "4.1")
    assert "expected a scalar (shape ()), got shape (8,)" in output(graded_samples, "hostile-wrong-types", "3.1").lower()


def test_print_flood_is_bounded(graded_samples):
    """Do 50 MB of prints leave a small, valid results.json?"""
    assert len(json.dumps(graded_samples["hostile-print-flood"])) < 200_000


@pytest.mark.skipif(not ISOLATED, reason="isolation needs root (CI runs as root)")
def test_secrets_are_out_of_reach(graded_samples):
    """Could the sample read nothing: not the reference, tests, classifier, metadata or other students?"""
    text = output(graded_samples, "hostile-read-secrets")
    assert "nothing readable among" in text and "LEAKED" not in text, text


@pytest.mark.skipif(not ISOLATED, reason="isolation needs root (CI runs as root)")
def test_results_cannot_be_forged(graded_samples):
    """Could the sample write no results file, and is its real score the stencil's?"""
    text = output(graded_samples, "hostile-write-results")
    assert "could not write any of" in text and "WROTE" not in text, text
    assert "forged" not in json.dumps(graded_samples["hostile-write-results"]["tests"])


@pytest.mark.skipif(not ISOLATED, reason="isolation needs root (CI runs as root)")
def test_grader_cannot_be_patched(graded_samples):
    """Could the sample change no grader file, and did patching the harness in memory forge nothing
    beyond its own import record (item 1.1)?"""
    results = graded_samples["hostile-patch-grader"]
    assert "CHANGED" not in json.dumps(results)  # grader files: see test_grader_files_unchanged
    other = [t for t in results["tests"] if t["number"] not in ("1.1", "1.2")]
    assert other and all(t["score"] == 0 for t in other)


@pytest.mark.skipif(not ISOLATED, reason="the process cap is per user; CI runs as root")
def test_fork_bomb_is_capped_and_cleaned_up(graded_samples):
    """Is the fork bomb refused at the cap, and no sandbox process left running afterwards?"""
    assert "fork refused after" in output(graded_samples, "hostile-fork-bomb")
    for user in pwd.getpwall():
        if user.pw_name.startswith("student"):
            assert tasks_of(user.pw_uid, include_zombies=False) == 0, user.pw_name


@pytest.mark.skipif(not ISOLATED, reason="network isolation needs root (CI runs as root)")
def test_network_is_unreachable(graded_samples):
    """Did every connection fail, and did the test suite's own listener see nobody?"""
    text = output(graded_samples, "hostile-network")
    assert "CONNECTED" not in text and text.count("blocked") == 3, text
    assert graded_samples.connections == []


def test_isolation_is_real_in_ci():
    """In CI (root), does student code really run as another user, without network, files hidden?"""
    if not os.environ.get("CI"):
        pytest.skip("checked in CI, where the suite runs as root")
    who = identity("student")
    assert who.switched and who.network_isolated and who.files_hidden, who.describe()


def pages_of(graded, name):
    """The pages grade-all wrote for sample `name`: its report, its group's gradebook and similarity page."""
    folder = next(folder for folder, _, names in graded.groups if name in names)
    return [folder / f"{name}.report.html", folder / "gradebook.html", folder / "gradebook.similarity.html"]


def test_html_in_messages_stays_text(graded_samples):
    """Do hostile-xss's <script> and <img onerror> (an exception message, and printed output) reach
    its HTML items and its pages only as text, while the figures still show? And its code, shown
    side by side with its group's near-copies of the reference on the similarity page?"""
    results = graded_samples["hostile-xss"]
    by_number = {t.get("number"): t for t in results["tests"]}
    html_items = [t for t in results["tests"] if t.get("output_format") == "html"]
    assert [t["number"] for t in html_items] == ["6.1", "7.1", "8.1"]
    assert RAISED in by_number["2.1"]["output"]  # a text item: Gradescope shows it as text
    assert PRINTED in feedback.plain_text(by_number["7.1"]) and PRINTED in feedback.plain_text(by_number["8.1"])
    assert "<img" in by_number["6.1"]["output"]  # the VAE trained: its figures are there
    for item in html_items:
        assert Markup(item["output"]).problems() == [], item["number"]
    for page in pages_of(graded_samples, "hostile-xss"):
        markup = Markup(page.read_text())
        assert markup.problems() == [], page.name
    text = "".join(Markup(pages_of(graded_samples, "hostile-xss")[0].read_text()).text)
    assert RAISED in text and PRINTED in text
    code = "".join(Markup(pages_of(graded_samples, "hostile-xss")[2].read_text()).text)
    assert "hostile-xss and " in code or " and hostile-xss:" in code  # shown side by side
    assert RAISED.replace('"', '\\"') in code  # as written in its vae.py
