"""Stop a grading cleanly on Ctrl-C (SIGINT) or kill (SIGTERM).

Inside `handled()`, the first of these signals raises Interrupted in the main thread, wherever
the grader is: sandbox/process.run kills the student's processes on the way out, results/grade.py
writes a results.json that says grading was interrupted, results/batch.grade_all stops its
workers and keeps what they finished, and the command exits with 128 + the signal's number. Later signals are
only noted, so that the cleanup finishes. SIGINT is handled even when the grader started with
it ignored, as a background job of a script does (Python then never raises KeyboardInterrupt).

Interrupted is a KeyboardInterrupt because unittest re-raises only those: any other exception
in a rubric test would be recorded as that item's error, and grading would go on.
"""
import contextlib
import ctypes
import os
import signal
import sys

SIGNALS = (signal.SIGINT, signal.SIGTERM)
PARENT_ENV = "HW6_PARENT_PID"  # set by grade-all for each grader it starts (stop_with_parent)
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class Interrupted(KeyboardInterrupt):
    """Grading was stopped by a signal."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def name(self):
        return signal.Signals(self.signum).name


class _State:
    armed = False  # a signal raises Interrupted (else it is only noted)
    received = None  # the first signal's number


def _handler(signum, frame):
    if _State.received is None:
        _State.received = signum
        if _State.armed:
            raise Interrupted(signum)


@contextlib.contextmanager
def handled():
    """SIGINT and SIGTERM raise Interrupted inside the block (the first one; see finishing)."""
    _State.armed, _State.received = True, None
    previous = {sig: signal.signal(sig, _handler) for sig in SIGNALS}
    try:
        yield
    finally:
        _State.armed = False
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def finishing():
    """From now on a signal is noted, not raised: the results are complete and being written."""
    _State.armed = False


def exit_code(default=0):
    """128 + the number of the signal received inside handled(), or `default` if none came."""
    return 128 + _State.received if _State.received else default


@contextlib.contextmanager
def deferred():
    """Inside, a signal is only noted, and raises Interrupted when the block ends: for a step that
    must not stop halfway (jobs submitted but not yet recorded)."""
    armed, _State.armed = _State.armed, False
    try:
        yield
    finally:
        _State.armed = armed
    if armed and _State.received is not None:
        raise Interrupted(_State.received)


def stop_with_parent():
    """Get SIGTERM when the grade-all that started this grader dies, even by SIGKILL, so that no
    orphan grader goes on beside the rerun (Linux; no-op elsewhere or when not started by grade-all)."""
    parent = os.environ.get(PARENT_ENV)
    if not parent or not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != int(parent):  # it died before prctl took effect: nothing to grade for
        raise SystemExit(128 + signal.SIGTERM)
