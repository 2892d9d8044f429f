"""Does the grader give every sample submission the score it must get?

Each sample's expected per-item scores are in autograder/samples/NAME/sample.toml (items not
listed get full marks). The samples are graded once per session (conftest.graded_samples)."""
import json
import re

import pytest

from autograder import samples
from autograder.results.results_json import MAX_RESULTS_BYTES
from autograder.results.table import table
from autograder.config import part_of
from conftest import Markup, item_scores


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
    # What Gradescope needs of each item: a name, and a score within its points.
    bad = [t for t in results["tests"] if not (t.get("name") and 0 <= t.get("score", 0) <= t.get("max_score", 0))]
    assert not bad, bad


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
    assert "not implemented yet (TODO 3.1)" in output("untouched-stencil", "2.1")
    # Items that cannot run say why instead of showing a stack trace.
    assert "Skipped: one epoch of train_vae left every weight unchanged" in output("no-gradient-step", "6.1")
    assert "Traceback" not in json.dumps(graded_samples["untouched-stencil"])


def test_grader_measures_its_own_loss(graded_samples):
    """Does a loss averaged over pixels (a tiny loss of its own) still fail the grader's loss check?"""
    output = next(t["output"] for t in graded_samples["loss-averaged-over-pixels"]["tests"] if t.get("number") == "6.1")
    assert "on a different scale" in output


def staff_log(graded_samples, name):
    graded_samples[name]  # skips the test when the sample was not graded (HW6_SAMPLES)
    folder = next(folder for folder, _, names in graded_samples.groups if name in names)
    return (folder / f"{name}.log").read_text()


def test_student_styles_say_what_the_grader_saw(graded_samples):
    """Do the style samples' messages name their layouts, and the one flaw, a new Adam per call?"""
    def output(name, number):
        return next(t["output"] for t in graded_samples[name]["tests"] if t.get("number") == number)

    assert ("train_vae creates a new optimizer, so Adam's state resets every epoch; use model.optimizer"
            in output("style-adam-in-train-vae", "5.3"))
    assert "x_hat is (8, 784)" in output("style-flat-decoder-eager-loss", "4.1")
    assert "x_hat is (8, 28, 28)" in output("style-flat-decoder-eager-loss", "4.3")
    assert "x_hat is (8, 28, 28, 1)" in output("style-keras-random-prints", "4.1")
    assert "same optimizer (its own, not model.optimizer)" not in output("style-optimizer-in-init", "5.3")


def test_staff_log_says_how_student_code_ran(graded_samples):
    """Does the staff log say what ran compiled, why eager-only code did not, and each epoch's memory?"""
    reference = staff_log(graded_samples, "reference")
    assert "[train-vae] model call: compiled; loss_function: compiled" in reference
    rss = re.search(r"\[train-cvae\] RSS after each epoch \(MiB\): (.*)", reference).group(1).split(", ")
    assert len(rss) == 10 and all(v.isdigit() for v in rss)
    eager_loss = staff_log(graded_samples, "style-flat-decoder-eager-loss")
    assert "loss_function: tracing the loss failed (AttributeError" in eager_loss and "numpy" in eager_loss


def test_results_stay_under_1_mb(graded_samples):
    """Is every sample's results.json, figures included, under 1 MB?"""
    sizes = {name: len(json.dumps(results, indent=2)) for name, results in graded_samples.items()}
    assert max(sizes.values()) < MAX_RESULTS_BYTES, sizes


def test_reference_feedback_has_its_figures(reference_results):
    """Does the reference's feedback show a loss curve and reconstructions in 6.1 and 7.1, and
    the generation grid in 8.1, as HTML whose last text line is the verdict?"""
    items = {t["number"]: t for t in reference_results["tests"] if t.get("output_format") == "html"}
    assert {n: items[n]["output"].count("<img") for n in items} == {"6.1": 2, "7.1": 2, "8.1": 1}
    assert table(reference_results).count("full marks") >= 2


def test_integrity_flags_only_the_cheat(graded_samples):
    """Does the cheat that ships its VAE's weights get both flags (its code, its VAE's first epoch;
    not its honestly trained CVAE), in its staff log, its results' extra_data and its group's
    gradebook.html, while its score stays the rubric's, and does no other sample get any flag?"""
    cheat = graded_samples["cheat-shipped-weights"]
    flags = cheat["extra_data"]["flags"]
    assert len(flags) == 2, flags
    assert re.match(r"student code loads weights or holds arrays: assignment.py line \d+ calls model.set_weights", flags[0])
    assert flags[1].startswith("VAE's first epoch reached") and "were trained weights loaded?" in flags[1]
    assert cheat["score"] == pytest.approx(sum(t["score"] for t in cheat["tests"]))  # nothing taken off or added
    log = staff_log(graded_samples, "cheat-shipped-weights")
    assert all(f"INTEGRITY FLAG (for staff, never scored): {flag}" in log for flag in flags)
    assert re.search(r"\[integrity\] CVAE: first epoch [\d.]+ per image in \d+ steps, above the honest floor", log)
    folder = next(folder for folder, _, names in graded_samples.groups if "cheat-shipped-weights" in names)
    assert all(flag in "".join(Markup((folder / "gradebook.html").read_text()).text) for flag in flags)
    for name, results in graded_samples.items():
        if name != "cheat-shipped-weights":
            assert "flags" not in (results.get("extra_data") or {}), (name, results["extra_data"])
            assert "INTEGRITY FLAG" not in staff_log(graded_samples, name), name


def test_honest_first_epochs_are_judged(graded_samples):
    """Is every correct sample's first epoch judged against the floor (not skipped), and above it?"""
    for name in ("reference", "original-stencil-style", "style-adam-in-train-vae", "style-flat-decoder-eager-loss",
                 "style-keras-random-prints", "style-optimizer-in-init"):
        if name not in graded_samples:  # $HW6_SAMPLES left it out
            continue
        log = staff_log(graded_samples, name)
        lines = re.findall(r"\[integrity\] (C?VAE: first epoch .*)", log)
        assert len(lines) == 2 and all("above the honest floor" in line for line in lines), (name, lines)
        assert "[integrity] student code: 0 places load weights or hold arrays" in log
