"""Does every grading end in a valid, bounded results.json, even when the grader itself fails?"""
import json

from autograder.results import grade, results_json
from autograder.results.table import table
from autograder.config import load_config


def test_grader_failure_still_writes_results(tmp_path, monkeypatch, capfd):
    """If the grader crashes, is there an 'Autograder error' result with score 0 and details for staff?"""
    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(grade, "gather", explode)
    results = grade.grade(tmp_path, load_config(), tmp_path / "out" / "results.json")
    written = json.loads((tmp_path / "out" / "results.json").read_text())
    assert written == results and written["score"] == 0
    assert written["tests"][0]["name"] == "Autograder error" and written["stdout_visibility"] == "hidden"
    assert "disk on fire" not in json.dumps(written)  # details are for staff ...
    assert "disk on fire" in capfd.readouterr().out  # ... on stdout


def test_outputs_are_bounded():
    """Is a huge test output cut to a bounded size with a note, and the JSON still valid?"""
    results = results_json.finish({"tests": [{"name": "x", "number": "2.1", "output": "y" * 5_000_000}],
                             "output": "z" * 1_000_000, "leaderboard": [{"name": "a", "value": None}]})
    assert len(results["tests"][0]["output"]) < results_json.TEST_OUTPUT_CHARS + 100
    assert "characters cut" in results["tests"][0]["output"]
    assert len(results["output"]) < results_json.TOP_OUTPUT_CHARS + 100 and results["leaderboard"] == []
    json.dumps(results)


def test_table_orders_items_and_totals():
    """Does the rubric table list items in number order, with the total?"""
    results = results_json.finish({"score": 3, "execution_time": 1, "tests": [
        {"name": "b", "number": "10.1", "score": 1, "max_score": 2, "output": "later"},
        {"name": "a", "number": "2.1", "score": 2, "max_score": 2, "output": "first\nok"}]})
    text = table(results)
    assert text.index("2.1") < text.index("10.1") and "Total: 3 / 4" in text and "ok" in text
