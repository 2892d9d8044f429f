"""Live progress of a grading for staff: the stage running, and each training epoch with an ETA.

On a terminal, a tqdm bar per stage on the real stderr (sys.__stderr__: while a rubric item
runs, sys.stdout and sys.stderr are its captured output): the step running and, during
training, epoch k of N with an ETA. Elsewhere (Gradescope, CI, grade-all's workers, whose output goes to a log),
one line when a stage starts and one when an epoch ends. It is driven by what process.run's poll
loop reads anyway (the harness's progress.json, passed to `watch`), so training runs exactly as
fast as without it: nothing is added to student code or to the sandboxed process.

    progress.enable()                           # the command line does this; off by default (tests)
    watch = progress.start("train-vae", epochs=10)  # None when off
    process.run(..., watch=watch)
    progress.finish(watch)
"""
import re
import sys
import time

from tqdm import tqdm

EPOCH = re.compile(r"\bepoch (\d+)\b")  # the harness labels epoch steps "train_vae on epoch N"
REFRESH_SECONDS = 1.0  # how often a live bar redraws its clock between steps

_settings = {"on": False, "live": False}


def enable(live=None):
    """Show progress from now on: live bars if stderr is a terminal (or live=True), else lines."""
    _settings.update(on=True, live=sys.__stderr__.isatty() if live is None else live)


def disable():
    _settings.update(on=False)


def format_seconds(seconds):
    return tqdm.format_interval(max(0, round(seconds)))


class StageProgress:
    """Watches one stage's steps; call it with each poll's step, (kind, label) or None."""

    def __init__(self, stage, epochs, live, out):
        """out: the stream for the bar (live) or the lines."""
        self.stage, self.epochs, self.out = stage, epochs, out
        self.step, self.epoch, self.epoch_start, self.durations = None, 0, None, []
        self.drawn = 0.0
        self.bar = tqdm(total=None, desc=stage, bar_format="{desc}: [{elapsed}{postfix}]", file=out,
                        dynamic_ncols=True, leave=True) if live else None
        if not live:
            self.line(f"[{stage}] started")

    def line(self, text):
        print(text, file=self.out, flush=True)

    def __call__(self, step):
        now = time.monotonic()
        if step != self.step:
            self.step = step
            kind, label = step if step else ("", "")
            match = EPOCH.search(label) if kind == "epoch" else None
            self.end_epoch(now)
            if match:
                self.start_epoch(int(match.group(1)), now)
            if self.bar is not None:
                self.bar.set_postfix_str(label, refresh=False)
        if self.bar is not None and now - self.drawn >= REFRESH_SECONDS:
            self.bar.refresh()
            self.drawn = now

    def start_epoch(self, epoch, now):
        self.epoch, self.epoch_start = epoch, now
        if self.bar is not None and self.epochs:
            if self.bar.total is None:  # the first epoch: from here on a bar of epochs, timed from now
                self.bar.reset(total=self.epochs)
                self.bar.unit, self.bar.bar_format = "epoch", None

    def end_epoch(self, now):
        if self.epoch_start is None:
            return
        self.durations.append(now - self.epoch_start)
        done, self.epoch_start = self.epoch, None
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
        else:
            left = (self.epochs - done) * sum(self.durations) / len(self.durations) if self.epochs else 0
            self.line(f"[{self.stage}] epoch {done}/{self.epochs or '?'} done in {self.durations[-1]:.1f} s"
                      + (f"; about {format_seconds(left)} left" if left else ""))

    def close(self):
        if self.bar is not None:
            self.bar.set_postfix_str("done", refresh=False)
            self.bar.close()


def start(name, epochs=0):
    """A watch for process.run while stage `name` runs (epochs: how many it trains), or None when off.

    Bars go to the real stderr, lines to the real stdout (beside the staff log), never to the
    output the rubric item that started the stage is capturing."""
    if not _settings["on"]:
        return None
    live = _settings["live"]
    return StageProgress(name, epochs, live, sys.__stderr__ if live else sys.__stdout__)


def finish(watch):
    if watch is not None:
        watch.close()
