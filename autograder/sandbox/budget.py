"""The longest one grading's sandbox may run: every stage's steps, each at its time limit.

The stage runner gives each stage the sum of its steps' limits (stages.py); a grading runs each
model's stage and, when a part is on, the parts' stage. grade-all's Slurm executor derives a
task's time limit from this.
"""
from .harness_plan import CORE_STAGES, plan


def grading_seconds(config):
    """Seconds: the sum of the step limits of every stage a grading under `config` may run."""
    epochs = int(config.training["epochs"])
    stages = [plan(stage, epochs) for stage in CORE_STAGES]
    if config.parts:
        stages.append(plan("parts", parts=config.parts))
    return sum(config.seconds(step.kind) for steps in stages for step in steps)
