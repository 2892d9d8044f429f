"""Grade one submission: run the rubric, write results.json (always), print the rubric table.

results.json follows Gradescope's specification and is produced by gradescope-utils'
JSONTestRunner. Items with figures (6.1, 7.1, 8.1) get HTML output (feedback.item_html), and
the whole file stays under MAX_RESULTS_BYTES. If the grader itself fails, it still writes a
valid file: an "Autograder error" test with a score of 0, and the details for staff on stdout.
If grading is interrupted (interrupt.py), the file keeps the items finished and says so.
"""
import importlib
import io
import json
import os
import resource
import sys
import tempfile
import time
import traceback
import unittest

from gradescope_utils.autograder_utils.json_test_runner import JSONTestRunner

from .. import interrupt, rubric
from ..grading import Grading
from ..sandbox import process as sandbox
from . import feedback

TEST_OUTPUT_CHARS = 8000   # per rubric item, in results.json
TOP_OUTPUT_CHARS = 16000
MAX_RESULTS_BYTES = 1_000_000  # results.json with every figure; over it, figures go first, then text
FIGURES_LEFT_OUT = "Figures left out: with them, these results would be too large."
SHORT_OUTPUT_CHARS = 1000  # per item, when even without figures the results would be over the cap


def staff_log(message):
    """Details for course staff: Gradescope shows run_autograder's stdout to instructors only."""
    print(message, file=sys.__stdout__, flush=True)


def load_rubric(config, parts=()):
    """The rubric's tests in order, each given its points and visibility from the config.

    parts: the optional parts graded; a part's module (its PART) is left out otherwise.
    """
    suite = unittest.TestSuite()
    loader = unittest.TestLoader()
    loader.sortTestMethodsUsing = None  # keep the order tests are written in
    for name in rubric.MODULES:
        module = importlib.import_module(f"{rubric.__name__}.{name}")
        if getattr(module, "PART", None) not in (None, *parts):
            continue
        for test in _flatten(loader.loadTestsFromModule(module)):
            if hasattr(getattr(type(test), test._testMethodName), "__rubric_item__"):
                rubric.configure(test, config)
            suite.addTest(test)
    return suite


def _flatten(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from _flatten(test)
        else:
            yield test


def clip(text, limit):
    if len(text) <= limit:
        return text
    return text[:limit // 2] + f"\n... [{len(text) - limit:,} characters cut] ...\n" + text[-limit // 2:]


def item_order(test):
    if not test.get("number"):  # the grader's own notes ("Grading interrupted") go last
        return (1, [])
    return (0, [int(part) if part.isdigit() else part for part in test["number"].split(".")])


def finish(results, figures=None):
    """Order items by number, bound every output, drop leaderboard entries with no value.

    figures: {item number: [figures.Figure]} of the items whose output becomes HTML. If the
    results would pass MAX_RESULTS_BYTES, the figures are left out, then every message is cut shorter.
    """
    figures = figures or {}
    results["tests"] = sorted(results.get("tests", []), key=item_order)
    texts = [test.get("output", "") for test in results["tests"]]
    results["output"] = clip(results.get("output", ""), TOP_OUTPUT_CHARS)
    results["leaderboard"] = [e for e in results.get("leaderboard", []) if e.get("value") is not None]
    results["stdout_visibility"] = "hidden"
    for chars, with_figures in ((TEST_OUTPUT_CHARS, True), (TEST_OUTPUT_CHARS, False), (SHORT_OUTPUT_CHARS, False)):
        for test, text in zip(results["tests"], texts):
            drawn = figures.get(test.get("number"))
            if drawn is not None:
                note = FIGURES_LEFT_OUT if drawn and not with_figures else ""
                test["output"] = feedback.item_html(clip(text, chars), drawn if with_figures else (), note)
                test["output_format"] = "html"
            elif "output" in test:
                test["output"] = clip(text, chars)
        if len(json.dumps(results, indent=2)) <= MAX_RESULTS_BYTES:
            break
    return results


def summary(grading):
    lines = []
    sub = grading.submission
    if sub:
        lines.append(f"Graded {sub.shown(sub.file('vae.py'))} and {sub.shown(sub.file('assignment.py'))}.")
        lines += sub.notes
    for name, result in getattr(grading, "sanitized", {}).items():
        if result.restored:
            lines.append(f"{name}: restored the handout's version of {', '.join(result.restored)} "
                         "(changes to given code are not graded).")
        if result.dropped:
            lines.append(f"{name}: ignored statements that redefine given code: " + "; ".join(result.dropped))
        if result.missing:
            lines.append(f"{name}: missing {', '.join(result.missing)} (graded as not implemented).")
    lines += grading.notes
    lines.append(grading.who.describe())
    return "\n".join(lines)


def autograder_error(details):
    staff_log(f"AUTOGRADER ERROR\n{details}")
    return {"score": 0, "output": "The autograder failed while grading this submission. This is not your "
            "fault; course staff can see the details. Please tell them.",
            "tests": [{"name": "Autograder error", "score": 0, "max_score": 0, "status": "failed",
                       "output": "The autograder could not finish. Staff: see the autograder's stdout.",
                       "visibility": "visible"}],
            "leaderboard": []}


def interrupted(stop, finished, grading):
    """Results of a grading stopped by a signal: the items it finished, and an item that says so."""
    staff_log(f"INTERRUPTED by {stop.name}: {len(finished)} items were graded; the sandbox was stopped.")
    message = (f"Grading was interrupted ({stop.name}) before it finished: the items not listed here "
               "were not graded. This is not your fault; course staff will regrade.")
    return {"score": sum(t.get("score", 0) for t in finished),
            "output": message + ("\n" + summary(grading) if grading else ""),
            "tests": finished + [{"name": "Grading interrupted", "score": 0, "max_score": 0, "status": "failed",
                                  "output": message, "visibility": "visible"}],
            "leaderboard": [], "extra_data": {"interrupted": stop.name}}


def was_interrupted(results):
    """Whether results (a dict) come from a grading stopped before it finished."""
    return bool((results.get("extra_data") or {}).get("interrupted"))


def grade(submission_path, config, results_path, mnist=None):
    """Grade one submission; write results_path; return the results dict. Never raises."""
    start, grading, runner = time.time(), None, None
    rubric.FIGURES.clear()
    try:
        grading = Grading(config, submission_path, mnist=mnist, log=staff_log)
        rubric.GRADING = grading
        stream = io.StringIO()
        runner = JSONTestRunner(stream=stream, failure_prefix="", stdout_visibility="hidden")
        runner.run(load_rubric(config, grading.active_parts))
        results = json.loads(stream.getvalue())
        results["output"] = summary(grading)
    except interrupt.Interrupted as stop:
        results = interrupted(stop, runner.json_data["tests"] if runner else [], grading)
    except BaseException:  # noqa: BLE001 - a grader failure must still produce results.json
        results = autograder_error(traceback.format_exc())
    finally:
        interrupt.finishing()  # a signal from here on must not stop results.json from being written
        sandbox.stop_all()  # a stage left running by an interruption
        rubric.GRADING = None
        if grading is not None:
            grading.cleanup()
    results["execution_time"] = round(time.time() - start, 2)
    figures = rubric.draw_figures(staff_log)
    write_json(finish(results, figures), results_path)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    staff_log(f"[grader] {results['execution_time']:.1f} s, peak RSS {peak:.0f} MiB (this process, no TensorFlow)")
    return results


def write_json(results, path):
    """Write atomically, so a crash never leaves a half-written results.json."""
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(results, f, indent=2)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def table(results):
    """The rubric as a text table: item, points, max, message."""
    rows = [("item", "name", "points", "max", "message")]
    for test in results.get("tests", []):
        message = feedback.plain_text(test).strip().splitlines()
        rows.append((test.get("number", ""), test["name"][:52], f"{test.get('score', 0):g}",
                     f"{test.get('max_score', 0):g}", (message[-1] if message else "")[:90]))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "-" * min(160, max(len(line) for line in lines)))
    total = sum(t.get("max_score", 0) for t in results.get("tests", []))
    lines.append(f"\nTotal: {results.get('score', 0):g} / {total:g}   ({results.get('execution_time', 0):.0f} s)")
    return "\n".join(lines)
