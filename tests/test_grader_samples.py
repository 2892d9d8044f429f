"""Does the grader give every sample submission the score it must get?

Each sample's expected per-item scores are in autograder/samples/NAME/sample.toml (items not
listed get full marks). The samples are graded once per session (conftest.graded_samples)."""
import json

import pytest

from autograder import report, samples
from autograder.config import part_of
from conftest import item_scores


@pytest.mark.parametrize("name", samples.names())
def test_sample_scores(graded_samples, config, name):
    """Does the sample get exactly its expected score on every item, and a valid results.json?"""
    results = graded_samples[name]
    got = item_scores(results)
    expected = samples.expected_scores(name, config)
    mismatched = {n: (expected[n], got.get(n)) for n in expected if got.get(n) != pytest.approx(expected[n])}
    messages = {t.get("number"): t.get("output", "")[:400] for t in results["tests"]}
    assert not mismatched, "\n".join(f"{n}: expected {e}, got {g}: {messages.get(n)}" for n, (e, g) in mismatched.items())
    part_items = {n for n in got if part_of(n)}
    assert part_items == {n for n in expected if part_of(n)}, "items of parts that are off must not appear"
    if samples.compares_all(name):  # else the core trained briefly (parts*.toml) and is not checked
        assert results["score"] == pytest.approx(sum(expected.values()))
    assert results["stdout_visibility"] == "hidden"
    assert all(t["status"] in ("passed", "failed") for t in results["tests"])
    json.dumps(results)


def test_reference_gets_full_marks(reference_results, config):
    """Does the reference solution get every point of the default rubric?"""
    assert reference_results["score"] == config.max_score == 100


def test_failures_say_what_to_fix(graded_samples):
    """Do the bug samples' failing items name the mistake, not just fail?"""
    def output(name, number):
        return next(t["output"] for t in graded_samples[name]["tests"] if t.get("number") == number)

    assert "exp(logvar) used as the standard deviation" in output("std-exp-logvar", "2.3")
    assert "wrong sign" in output("kl-sign-flipped", "3.4")
    assert "divide the sum over images by the batch size" in output("loss-summed-over-batch", "3.3")
    assert "BCE averaged over pixels" in output("loss-averaged-over-pixels", "3.2")
    assert "no weight changed" in output("no-gradient-step", "5.1")
    assert "concat(z, c)" in output("cvae-decoder-ignores-label", "4.4")
    assert "not implemented yet (TODO 1.3)" in output("untouched-stencil", "2.1")
    # Items that cannot run say why instead of showing a stack trace.
    assert output("no-gradient-step", "6.1").startswith("Skipped")
    assert "Traceback" not in json.dumps(graded_samples["untouched-stencil"])


def test_grader_measures_its_own_loss(graded_samples):
    """Does a loss averaged over pixels (a tiny loss of its own) still fail the grader's loss check?"""
    output = next(t["output"] for t in graded_samples["loss-averaged-over-pixels"]["tests"] if t.get("number") == "6.1")
    assert "on a different scale" in output


def test_results_stay_under_1_mb(graded_samples):
    """Is every sample's results.json, figures included, under 1 MB?"""
    sizes = {name: len(json.dumps(results, indent=2)) for name, results in graded_samples.items()}
    assert max(sizes.values()) < report.MAX_RESULTS_BYTES, sizes


def test_reference_feedback_has_its_figures(reference_results):
    """Does the reference's feedback show a loss curve and reconstructions in 6.1 and 7.1, and
    the generation grid in 8.1, as HTML whose last text line is the verdict?"""
    items = {t["number"]: t for t in reference_results["tests"] if t.get("output_format") == "html"}
    assert {n: items[n]["output"].count("<img") for n in items} == {"6.1": 2, "7.1": 2, "8.1": 1}
    assert report.table(reference_results).count("full marks") >= 2
