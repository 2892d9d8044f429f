"""results.json for a grading that Slurm ended before it finished: what happened, and what to do.

Slurm ends a job at its time limit (TIMEOUT), over its memory (OUT_OF_MEMORY), when its node
fails (NODE_FAIL) or on scancel (CANCELLED). Its grader may have written interrupted results on
the way out, finished (a student process killed for memory), or written nothing. Either way the
submission gets a valid results.json that keeps the items graded, adds one that names the state
and the fix, and counts as interrupted, so that the next `grade-all` grades it again.
"""
from .results_json import finish, write_json

ENDED = "Grading ended by Slurm"
ADVICE = {
    "TIMEOUT": "It ran past its time limit ({time}). Run grade-all again with a larger --time.",
    "OUT_OF_MEMORY": "It used more memory than Slurm allowed it ({mem}); student code alone may use "
                     "{rss_mib} MiB. Run grade-all again with a larger --mem.",
    "NODE_FAIL": "The node it ran on failed. Run grade-all again: it resubmits only the unfinished gradings.",
    "CANCELLED": "The job was cancelled (scancel, or grade-all was stopped). Run grade-all again to grade it.",
    "PREEMPTED": "A job with a higher priority took its node. Run grade-all again.",
}
OTHER = "Its grader's log ({log}) and Slurm's ({slurm_log}) say why. Run grade-all again once it is fixed."


def slurm_state(results):
    """The Slurm state that ended this grading (TIMEOUT, ...), or None."""
    return (results.get("extra_data") or {}).get("slurm_state")


def message(state, entry, settings, slurm_log):
    advice = ADVICE.get(state, OTHER).format(time=f"--time {settings.time} min", mem=f"--mem {settings.mem}",
                                             rss_mib=settings.rss_mib, log=entry.log.name, slurm_log=slurm_log)
    return (f"Slurm ended this grading's job before it finished: {state}. {advice} "
            "This is not the student's fault; the items not listed here were not graded.")


def written_since(entry, since):
    """entry's results if its grader wrote them at or after `since` (a timestamp), else {}."""
    try:
        fresh = entry.results.stat().st_mtime >= since
    except OSError:
        return {}
    return (entry.read_results() or {}) if fresh else {}


def write_fault(entry, state, settings, slurm_log, since):
    """Write entry's results.json for a job that ended in `state`, submitted at `since` (a
    timestamp); keep the items its grader graded (not those of an earlier grading)."""
    previous = written_since(entry, since)
    finished = [t for t in previous.get("tests", []) if t.get("number")]  # not "Grading interrupted"
    text = message(state, entry, settings, slurm_log)
    results = {"score": sum(t.get("score", 0) for t in finished),
               "output": text + ("\n" + previous["output"] if previous.get("output") else ""),
               "tests": finished + [{"name": ENDED, "score": 0, "max_score": 0, "status": "failed",
                                     "output": text, "visibility": "visible"}],
               "leaderboard": [], "execution_time": previous.get("execution_time", 0),
               "extra_data": {"interrupted": state, "slurm_state": state}}
    write_json(finish(results), entry.results)
    return results
