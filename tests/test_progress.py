"""Does `grade` show staff where it is: the stage, and epoch k of N with an ETA, as a live bar on
a terminal and as one line per epoch in a log? (Driven here by made-up steps and clock.)"""
import io

import pytest

from autograder.sandbox import progress

IMPORT = ("import", "importing vae.py and assignment.py")
BUILD = ("step", "building the model and loading MNIST")
EVALUATE = ("step", "evaluating the trained model on the test set")


def epoch(k):
    return ("epoch", f"train_vae on epoch {k}")


def drive(watch, clock, monkeypatch, steps):
    """Call watch with each (seconds, step) as sandbox.run's poll loop would, every 0.2 s."""
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    for seconds, step in steps:
        for _ in range(int(seconds / 0.2)):
            clock[0] += 0.2
            watch(step)


def test_log_gets_one_line_per_epoch_with_eta(monkeypatch):
    """Without a terminal, is there one line when the stage starts and one per finished epoch,
    with the time left, and nothing for the polls in between?"""
    out, clock = io.StringIO(), [0.0]
    watch = progress.StageProgress("train-vae", 3, live=False, out=out)
    drive(watch, clock, monkeypatch, [(4, IMPORT), (2, BUILD), (20, epoch(1)), (20, epoch(2)), (20, epoch(3)),
                                      (5, EVALUATE)])
    watch.close()
    lines = out.getvalue().splitlines()
    assert lines == ["[train-vae] started",
                     "[train-vae] epoch 1/3 done in 20.0 s; about 00:40 left",
                     "[train-vae] epoch 2/3 done in 20.0 s; about 00:20 left",
                     "[train-vae] epoch 3/3 done in 20.0 s"], lines


def test_terminal_bar_counts_epochs_with_eta(monkeypatch):
    """On a terminal, does the bar show the step running, then epoch k of N with an ETA?"""
    stderr, clock = io.StringIO(), [0.0]
    monkeypatch.setattr("tqdm.std.time", lambda: clock[0])  # the bar's clock, read when it is made
    watch = progress.StageProgress("train-cvae", 10, live=True, out=stderr)
    drive(watch, clock, monkeypatch, [(3, IMPORT), (2, BUILD)])
    assert "building the model" in watch.bar.postfix
    drive(watch, clock, monkeypatch, [(20, epoch(1)), (20, epoch(2)), (20, epoch(3)), (1, epoch(4))])
    watch.bar.refresh()
    shown = stderr.getvalue().split("\r")[-1]
    assert watch.bar.total == 10 and watch.bar.n == 3 and "3/10" in shown and "train_vae on epoch 4" in shown
    assert "3/10 [01:00<02:20, 20.00s/epoch" in shown, shown  # timed from epoch 1; 7 epochs of 20 s left
    watch.close()


@pytest.mark.parametrize("live", [True, False])
def test_progress_bypasses_the_items_captured_output(monkeypatch, live):
    """While a rubric item runs (its stdout and stderr captured into its message), does the
    progress go to the real terminal or log, and nothing of it into the item's message?"""
    terminal, log, captured = io.StringIO(), io.StringIO(), io.StringIO()
    monkeypatch.setattr(progress.sys, "__stderr__", terminal)
    monkeypatch.setattr(progress.sys, "__stdout__", log)
    monkeypatch.setattr(progress.sys, "stdout", captured)  # as JSONTestRunner(buffer=True) does
    monkeypatch.setattr(progress.sys, "stderr", captured)
    progress.enable(live=live)
    watch = progress.start("checks")
    watch(IMPORT)
    progress.finish(watch)
    assert captured.getvalue() == ""
    assert "checks" in (terminal if live else log).getvalue()


def test_progress_is_off_unless_enabled():
    """Is progress off by default (tests, library use), so that grading prints nothing extra?"""
    progress.disable()
    assert progress.start("checks") is None
    progress.finish(None)


@pytest.fixture(autouse=True)
def progress_off():
    yield
    progress.disable()
