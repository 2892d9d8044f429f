"""grade-all's progress bar: submissions done, with tqdm's ETA, and how many run, wait and failed."""
from tqdm import tqdm


class Progress:
    """A tqdm bar over `total` submissions; show() moves it to the counts given."""

    def __init__(self, total):
        self.bar = tqdm(total=total, unit="submission")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.bar.close()

    def show(self, done, running, pending, failed, last=None):
        """failed: done, but not graded (an autograder error, no results, or a job Slurm ended)."""
        self.bar.set_postfix_str(f"running {running}, pending {pending}, failed {failed}"
                                 + (f", last {last}" if last else ""), refresh=False)
        self.bar.update(done - self.bar.n)
        self.bar.refresh()
