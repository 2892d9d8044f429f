"""Does grading the same submission twice give the same scores and the same measured losses?"""
import json
import re

from autograder import samples
from conftest import QUICK, item_scores, run_module


def measured(results):
    """Every number the grader measured, with the timings (which vary run to run) left out."""
    text = "\n".join(t.get("output", "") for t in results["tests"])
    text = re.sub(r"seconds per epoch: [\d.]+", "", text)
    return re.findall(r"-?\d+\.\d+", text)


def test_grading_twice_gives_identical_results(tmp_path):
    """With a quick config (2 epochs, 2,048 images), are two gradings of the reference identical?"""
    samples.materialize("reference", tmp_path / "reference")
    runs = []
    for index in range(2):
        out = tmp_path / f"results{index}.json"
        proc = run_module("autograder", "grade", tmp_path / "reference", "--results", out, "--config", QUICK)
        assert proc.returncode == 0, proc.stderr[-2000:]
        runs.append(json.loads(out.read_text()))
    assert item_scores(runs[0]) == item_scores(runs[1])
    assert measured(runs[0]) == measured(runs[1]) and len(measured(runs[0])) > 20
