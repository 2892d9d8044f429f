"""Before grade-all submits to Slurm: can it, from here, and what isolation will the tasks have?"""
import os
import pwd
import shutil
import subprocess

from ..sandbox.users import Identity


class SlurmUnavailable(RuntimeError):
    """Slurm cannot take the jobs here; the message says why and what to do."""


def check_tools():
    """Raise SlurmUnavailable unless sbatch and sacct answer here."""
    if not all(shutil.which(tool) for tool in ("sbatch", "srun", "sacct", "scancel")):
        raise SlurmUnavailable("Slurm's commands (sbatch, srun, sacct, scancel) are not on PATH: run grade-all "
                               "--executor slurm on a machine that submits to the cluster (a login node)")
    try:
        probe = subprocess.run(["sacct", "--noheader", "-X", "-j", "1"], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        raise SlurmUnavailable("sacct did not answer within 30 s: is Slurm's configuration readable here?") from None
    if probe.returncode:
        raise SlurmUnavailable("grade-all reads the jobs' states with sacct (through submitit), which needs "
                               f"Slurm's accounting (slurmdbd). sacct said: {probe.stderr.strip()}")


def protections():
    """What isolation the tasks will have: they run as this user, on nodes like this machine."""
    if os.geteuid() == 0:
        return ("The tasks run as root: on each node, student code runs as an unprivileged sandbox user "
                "(created if missing); each results.json says what applied.")
    me = pwd.getpwuid(os.getuid())
    who = Identity(me.pw_uid, me.pw_gid, me.pw_name, switched=False, network_isolated=False)
    return f"The tasks run as {me.pw_name}, not root. On each node: {who.describe()}"
