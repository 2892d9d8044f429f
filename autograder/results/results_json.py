"""results.json: the items in number order, every output bounded, figures as HTML, written atomically.

results.json follows Gradescope's specification (gradescope-utils' JSONTestRunner writes it).
Items with figures (6.1, 7.1, 8.1) get HTML output (feedback.item_html), and the whole file stays
under MAX_RESULTS_BYTES: over it, the figures go first, then every message is cut shorter.
"""
import json
import os
import tempfile

from . import feedback

TEST_OUTPUT_CHARS = 8000   # per rubric item, in results.json
TOP_OUTPUT_CHARS = 16000
MAX_RESULTS_BYTES = 1_000_000  # results.json with every figure; over it, figures go first, then text
FIGURES_LEFT_OUT = "Figures left out: with them, these results would be too large."
SHORT_OUTPUT_CHARS = 1000  # per item, when even without figures the results would be over the cap


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


def write_json(results, path):
    """Write atomically, so a crash never leaves a half-written results.json."""
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(results, f, indent=2)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
