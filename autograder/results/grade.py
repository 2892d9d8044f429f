"""Grade one submission: gather its evidence, run the rubric on it, write results.json (always).

    intake.receive        open and sanitize the submission into a fresh sandbox workspace
    evidence.Evidence     what the rubric scores; it runs each sandbox stage when an item first asks
    the rubric            gradescope-utils' JSONTestRunner, one test per item
    results_json.finish   items in order, outputs bounded, figures (drawn last) as HTML

If the grader itself fails, it still writes a valid file: an "Autograder error" test with a score
of 0, and the details for staff on stdout. If grading is interrupted (interrupt.py), the file keeps
the items finished and says so.
"""
import io
import json
import resource
import sys
import time
import traceback
from pathlib import Path

from gradescope_utils.autograder_utils.json_test_runner import JSONTestRunner

from .. import interrupt, rubric
from ..evidence import Evidence
from ..evidence.classify import Classifier
from ..evidence.data import find_mnist
from ..evidence.inputs import Inputs
from ..evidence.integrity import flags as integrity_flags
from ..intake.receive import receive
from ..sandbox import process
from ..sandbox.stages import StageRunner
from ..sandbox.workspace import Workspace
from .figures import draw_requested
from .results_json import finish, write_json

REFERENCE_DIR = Path(__file__).resolve().parent.parent.parent / "solutions"


def staff_log(message):
    """Details for course staff: Gradescope shows run_autograder's stdout to instructors only."""
    print(message, file=sys.__stdout__, flush=True)


def gather(config, submission_path, mnist=None, log=staff_log):
    """(the submission's Evidence, the Workspace it is graded in); the caller cleans the workspace up."""
    workspace = Workspace(config.sandbox["user"])
    try:
        mnist = find_mnist(mnist)
        intake = receive(submission_path, workspace.root, REFERENCE_DIR, with_parts=bool(config.parts))
        if intake.submission is not None:
            workspace.keep_private(intake.submission.root)
        if intake.error is None:
            workspace.install_code(intake.modules)
        workspace.install_data(mnist)
    except BaseException:
        workspace.cleanup()
        raise
    stages = StageRunner(workspace, config, submission_path, log)
    return Evidence(config, intake, stages, Inputs(config, mnist), Classifier(log), log), workspace


def summary(evidence, who):
    """The results' top message: what was graded, what sanitizing did, how, and under what isolation."""
    lines = []
    sub = evidence.submission
    if sub:
        lines.append(f"Graded {sub.shown(sub.file('vae.py'))} and {sub.shown(sub.file('assignment.py'))}.")
        lines += sub.notes
    for name, result in evidence.sanitized.items():
        if result.restored:
            lines.append(f"{name}: restored the handout's version of {', '.join(result.restored)} "
                         "(changes to given code are not graded).")
        if result.dropped:
            lines.append(f"{name}: ignored statements that redefine given code: " + "; ".join(result.dropped))
        if result.missing:
            lines.append(f"{name}: missing {', '.join(result.missing)} (graded as not implemented).")
    lines += evidence.notes
    lines.append(who.describe())
    return "\n".join(lines)


def staff_flags(evidence):
    """The integrity flags (evidence.integrity), in the staff log; a check that fails costs only itself."""
    try:
        return integrity_flags(evidence, staff_log, REFERENCE_DIR)
    except Exception:  # noqa: BLE001 - never let a staff signal touch the grading
        staff_log(f"[integrity] the check failed:\n{traceback.format_exc()}")
        return []


def autograder_error(details):
    staff_log(f"AUTOGRADER ERROR\n{details}")
    return {"score": 0, "output": "The autograder failed while grading this submission. This is not your "
            "fault; course staff can see the details. Please tell them.",
            "tests": [{"name": "Autograder error", "score": 0, "max_score": 0, "status": "failed",
                       "output": "The autograder could not finish. Staff: see the autograder's stdout.",
                       "visibility": "visible"}],
            "leaderboard": []}


def interrupted(stop, finished, summary_text):
    """Results of a grading stopped by a signal: the items it finished, and an item that says so."""
    staff_log(f"INTERRUPTED by {stop.name}: {len(finished)} items were graded; the sandbox was stopped.")
    message = (f"Grading was interrupted ({stop.name}) before it finished: the items not listed here "
               "were not graded. This is not your fault; course staff will regrade.")
    return {"score": sum(t.get("score", 0) for t in finished),
            "output": message + ("\n" + summary_text if summary_text else ""),
            "tests": finished + [{"name": "Grading interrupted", "score": 0, "max_score": 0, "status": "failed",
                                  "output": message, "visibility": "visible"}],
            "leaderboard": [], "extra_data": {"interrupted": stop.name}}


def was_interrupted(results):
    """Whether results (a dict) come from a grading stopped before it finished."""
    return bool((results.get("extra_data") or {}).get("interrupted"))


def grade(submission_path, config, results_path, mnist=None):
    """Grade one submission; write results_path; return the results dict. Never raises."""
    start, evidence, workspace, runner = time.time(), None, None, None
    rubric.FIGURES.clear()
    try:
        evidence, workspace = gather(config, submission_path, mnist=mnist, log=staff_log)
        rubric.EVIDENCE = evidence
        stream = io.StringIO()
        runner = JSONTestRunner(stream=stream, failure_prefix="", stdout_visibility="hidden")
        runner.run(rubric.load_rubric(config, evidence.active_parts))
        results = json.loads(stream.getvalue())
        results["output"] = summary(evidence, workspace.who)
        flags = staff_flags(evidence)
        if flags:  # results.json's extra_data: stored with the submission, never shown to the student
            results["extra_data"] = {"flags": flags}
    except interrupt.Interrupted as stop:
        results = interrupted(stop, runner.json_data["tests"] if runner else [],
                              summary(evidence, workspace.who) if evidence else None)
    except BaseException:  # noqa: BLE001 - a grader failure must still produce results.json
        results = autograder_error(traceback.format_exc())
    finally:
        interrupt.finishing()  # a signal from here on must not stop results.json from being written
        process.stop_all()  # a stage left running by an interruption
        rubric.EVIDENCE = None
        if workspace is not None:
            workspace.cleanup()
    results["execution_time"] = round(time.time() - start, 2)
    figures = draw_requested(rubric.FIGURE_ITEMS, rubric.FIGURES, staff_log)
    write_json(finish(results, figures), results_path)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    staff_log(f"[grader] {results['execution_time']:.1f} s, peak RSS {peak:.0f} MiB (this process, no TensorFlow)")
    return results
