"""Does the grader grade the optional parts (items 10-12) only when a course turns them on, the
graduate part only for flagged submissions, and say what is wrong in each bug sample?

The graded results come from conftest.graded_samples; to grade only what these tests need:
    HW6_SAMPLES='reference,reference-parts,stencil-parts*,conv-*,latent-*,mmd-*' pytest tests/test_parts_grading.py
"""
import json

import pytest

from autograder import samples
from autograder.config import PART_SECTIONS, load_config, part_of
from autograder.rubric import load_rubric
from autograder.intake.sanitize import sanitize
from conftest import ROOT, item_scores
from stencil.markers import transform

PARTS_OVERLAY = samples.HERE / "parts.toml"
CORE_ITEMS = ["1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3", "3.4", "4.1", "4.2", "4.3",
              "4.4", "5.1", "5.2", "5.3", "6.1", "7.1", "8.1", "9.1", "9.2"]


def rubric_items(config, parts):
    return sorted({getattr(type(t), t._testMethodName).__rubric_item__ for t in load_rubric(config, parts)
                   if hasattr(getattr(type(t), t._testMethodName), "__rubric_item__")}, key=lambda n: [int(p) for p in n.split(".")])


def output(results, number):
    return next(t.get("output", "") for t in results["tests"] if t.get("number") == number)


def test_parts_are_off_by_default():
    """Does the default config grade exactly the core's 21 items, worth 100 points?"""
    config = load_config()
    assert config.parts == [] and config.active_parts(True) == []
    assert config.item_numbers([]) == CORE_ITEMS
    assert rubric_items(config, config.active_parts(True)) == CORE_ITEMS
    assert config.max_score == 100


def test_graduate_part_needs_the_flag():
    """With every part on, do items 12.x appear for flagged submissions only?"""
    config = load_config(PARTS_OVERLAY)
    assert config.active_parts(False) == ["conv_vae", "latent_tools"]
    assert config.active_parts(True) == list(PART_SECTIONS)
    undergraduate, graduate = rubric_items(config, config.active_parts(False)), rubric_items(config, config.active_parts(True))
    assert not any(n.startswith("12.") for n in undergraduate)
    assert [n for n in graduate if n.startswith("12.")] == ["12.1", "12.2", "12.3"]
    assert undergraduate[:len(CORE_ITEMS)] == CORE_ITEMS == graduate[:len(CORE_ITEMS)]


def test_core_settings_untouched_by_the_parts():
    """Do the parts leave the core's training, thresholds and items exactly as configured?"""
    default, parts = load_config(), load_config(PARTS_OVERLAY)
    assert default.thresholds == parts.thresholds
    assert {n: default.raw["items"][n] for n in CORE_ITEMS} == {n: parts.raw["items"][n] for n in CORE_ITEMS}


@pytest.mark.parametrize("name", ["conv_vae.py", "latent_tools.py", "mmd.py"])
def test_part_files_sanitize_per_method(name):
    """Are the part files' reference and stencil fixed points, and a tampered given method restored?"""
    reference = (ROOT / "solutions" / name).read_text()
    stencil = transform(reference, name)
    for text in (reference, stencil):
        result = sanitize(reference, stencil, text, name, methods=True)
        assert result.text == text and not (result.missing or result.restored or result.dropped)


def test_given_methods_of_student_classes_are_restored():
    """Is ConvVAE.encode (given) restored while ConvVAE.train_step (a TODO) stays the student's?"""
    reference = (ROOT / "solutions" / "conv_vae.py").read_text()
    stencil = transform(reference, "conv_vae.py")
    given = '        return self.encoder(x)\n\n    def decode'
    student = reference.replace(given, '        return None\n\n    def decode').replace(
        "self.optimizer.apply_gradients(zip(grads, self.trainable_weights))", "pass  # my edit")
    result = sanitize(reference, stencil, student, "conv_vae.py", methods=True)
    assert result.restored == ["ConvVAE.encode"]
    assert given in result.text and "pass  # my edit" in result.text
    compile(result.text, "conv_vae.py", "exec")


def test_parts_off_leave_the_core_results_unchanged(graded_samples, config):
    """With parts off, are the reference's results the core's 21 items and 100 points, no part item?"""
    results = graded_samples["reference"]
    assert sorted(item_scores(results), key=CORE_ITEMS.index) == CORE_ITEMS
    assert results["score"] == config.max_score == 100


def test_core_checks_identical_with_parts_on(graded_samples):
    """Do items 1-5 score the same for the reference with the parts on as with them off?"""
    on, off = item_scores(graded_samples["reference-parts"]), item_scores(graded_samples["reference"])
    quick = [n for n in CORE_ITEMS if n.split(".")[0] in "12345"]
    assert {n: on[n] for n in quick} == {n: off[n] for n in quick}


def test_graduate_items_follow_the_flag(graded_samples):
    """Does the flagged reference get items 12.x, and the unflagged stencil none (and no penalty)?"""
    flagged, unflagged = item_scores(graded_samples["reference-parts"]), item_scores(graded_samples["stencil-parts"])
    assert {n for n in flagged if part_of(n) == "mmd"} == {"12.1", "12.2", "12.3"}
    assert not any(part_of(n) == "mmd" for n in unflagged)


def test_untouched_stencil_parts_fail_cleanly(graded_samples):
    """Does the untouched stencil score 0 on the part items with 'not implemented' messages, no traceback?"""
    for name in ("stencil-parts", "stencil-parts-2470"):
        results = graded_samples[name]
        assert "not implemented yet (TODO P2.1)" in output(results, "10.1")
        assert "not implemented yet (TODO P3.1)" in output(results, "11.1")
        assert "Traceback" not in json.dumps(results)
    assert "not implemented yet (TODO P4.1)" in output(graded_samples["stencil-parts-2470"], "12.1")


def test_part_failures_say_what_to_fix(graded_samples):
    """Do the parts' bug samples' failing items name the mistake?"""
    expected = {
        ("conv-sampling-exp-logvar", "10.1"): "exp(logvar) used as the standard deviation",
        ("conv-decoder-ignores-label", "10.3"): "The decoder gave the same output for two different labels",
        ("latent-log-pdf-no-2pi", "11.1"): "the log(2 pi) term is missing",
        ("latent-elbo-sign-flipped", "11.2"): "opposite sign",
        ("latent-walk-misses-dst", "11.4"): "latents[-1] is not class_means[dst_class]",
        ("mmd-kernel-no-dim-scaling", "12.1"): "divide the squared distance by the dimension Z",
        ("mmd-no-cross-term", "12.2"): "the cross term - 2 mean k(x, y) is missing",
    }
    for (name, number), phrase in expected.items():
        assert phrase in output(graded_samples[name], number), (name, number)


def test_broken_part_file_costs_only_its_part(graded_samples):
    """Does a part file that does not parse fail its part's items, saying why, and leave the core graded?"""
    results = graded_samples["latent-syntax-error"]
    assert "latent_tools.py has a syntax error at line" in output(results, "11.3")
    assert {n: s for n, s in item_scores(results).items() if n in ("1.1", "1.2", "3.2")} == {"1.1": 3, "1.2": 2, "3.2": 7}
