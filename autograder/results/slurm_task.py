"""What a Slurm task runs on its node: one `grade` command, in the kit's folder, its output to the log.

Kept apart from slurm.py, with the fewest imports, because the task unpickles it on the node
before anything else: the quicker it starts, the fewer gradings a node failure or a cancel
catches halfway.
"""
import os
import subprocess
from pathlib import Path

from ..interrupt import PARENT_ENV

ROOT = Path(__file__).resolve().parent.parent.parent


def run_grader(cmd, log):
    """Run one `grade` command line (batch.grade_command); return its exit code."""
    env = dict(os.environ, **{PARENT_ENV: str(os.getpid())})  # it stops if this process dies
    with open(log, "w") as out:
        return subprocess.run(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env).returncode
