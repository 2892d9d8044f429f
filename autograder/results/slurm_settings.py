"""The resources of grade-all's Slurm tasks: config.toml's [slurm], overridden by the command line.

Left at their defaults, a task's time limit is the longest a grading can run (every sandbox step
at its limit, sandbox/budget.py, plus GRADER_SECONDS for the grader's own work), and its memory
is what student code may use (rss_mib) plus GRADER_MIB for the grader. These are bounds, not
typical figures: a Slurm limit below them can end a grading that the sandbox would have let finish.
"""
import math
from dataclasses import dataclass, field

from ..config import ConfigError
from ..sandbox.budget import grading_seconds

GRADER_SECONDS = 300  # the grader outside the sandbox: start-up, the classifier, figures, results
GRADER_MIB = 1024  # the grader's process (156-240 MiB measured) and what it maps, with room to spare
JOB_NAME = "hw6-grade"


@dataclass(frozen=True)
class SlurmSettings:
    time: int  # minutes
    mem: str  # as sbatch takes it
    cpus_per_task: int
    rss_mib: int  # the sandbox's, for the message of an OUT_OF_MEMORY job
    partition: str = ""
    gpus: int = 0
    args: dict = field(default_factory=dict)  # other sbatch options: {"account": "cs1470"}

    def parameters(self, chdir):
        """submitit's SlurmExecutor.update_parameters(**this); tasks start in `chdir` (the kit)."""
        extra = {"chdir": str(chdir),
                 # submitit asks for SIGUSR2 before the time limit, to checkpoint; a grading cannot, and
                 # USR2 kills a process that has no handler. URG is ignored by default.
                 "signal": "URG@60", **self.args}
        params = dict(job_name=JOB_NAME, time=self.time, mem=self.mem, cpus_per_task=self.cpus_per_task,
                      use_srun=False, additional_parameters=extra)  # the task itself is the batch step
        if self.partition:
            params["partition"] = self.partition
        if self.gpus:
            params["gpus_per_node"] = self.gpus
        return params

    def describe(self):
        site = "".join(f" --{k.replace('_', '-')}={v}" for k, v in self.args.items())
        return (f"--time={self.time} --mem={self.mem} --cpus-per-task={self.cpus_per_task}"
                + (f" --partition={self.partition}" if self.partition else "")
                + (f" --gpus-per-node={self.gpus}" if self.gpus else "") + site)


def parse_args(pairs):
    """{key: value} of --slurm-arg KEY=VALUE pairs."""
    args = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--slurm-arg takes KEY=VALUE (e.g. account=cs1470), not {pair!r}")
        args[key.strip().lstrip("-")] = value.strip()
    return args


def settings(config, partition=None, time=None, mem=None, cpus_per_task=None, gpus=None, slurm_args=()):
    """SlurmSettings from config's [slurm] and the command line's values (None: not given)."""
    table = config.raw.get("slurm", {})
    pick = lambda given, key, default: table.get(key, default) if given is None else given  # noqa: E731
    rss_mib = int(config.sandbox["rss_mib"])
    minutes = int(pick(time, "time", 0)) or math.ceil((grading_seconds(config) + GRADER_SECONDS) / 60)
    cpus = int(pick(cpus_per_task, "cpus_per_task", 2))
    if minutes <= 0 or cpus <= 0:
        raise ConfigError("--time and --cpus-per-task must be positive")
    return SlurmSettings(time=minutes, mem=str(pick(mem, "mem", "")) or f"{rss_mib + GRADER_MIB}M",
                         cpus_per_task=cpus, rss_mib=rss_mib, partition=str(pick(partition, "partition", "")),
                         gpus=int(pick(gpus, "gpus", 0)), args={**table.get("args", {}), **parse_args(slurm_args)})
