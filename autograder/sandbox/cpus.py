"""How many CPUs grading may really use: the CPU affinity, capped by a cgroup CPU quota.

Containers (Docker's --cpus, Gradescope's 1/2 vCPU) limit CPU time with a quota while still
showing every core of the host. TensorFlow sized by the core count then runs more threads than
it has CPU time for: grading the reference at 1/2 CPU took 1,138 s with 2 threads and 815-888 s
with 1 (bench/grading.py --only 5, separate runs).
"""
import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _candidate_dirs(proc_cgroup, root):
    """(folder, is_v2) for each cgroup folder that may hold this process's CPU quota.

    Both the path named in /proc/self/cgroup and the hierarchy's root are tried: inside a
    container, the root is often the container's own group.
    """
    for line in proc_cgroup.splitlines():
        _, controllers, path = line.split(":", 2)
        path = path.lstrip("/")
        if controllers == "":
            yield from ((root / path, True), (root, True))
        elif "cpu" in controllers.split(","):
            for mount in (root / controllers, root / "cpu"):
                yield from ((mount / path, False), (mount, False))


def _quota(folder, v2):
    """CPUs a cgroup folder allows, or None (unlimited or not readable)."""
    try:
        if v2:  # cpu.max: "<quota> <period>", or "max <period>"
            quota, period = (folder / "cpu.max").read_text().split()[:2]
            return None if quota == "max" else int(quota) / int(period)
        quota = int((folder / "cpu.cfs_quota_us").read_text())  # -1: unlimited
        return quota / int((folder / "cpu.cfs_period_us").read_text()) if quota > 0 else None
    except (OSError, ValueError):
        return None


def cpu_quota(root=CGROUP_ROOT, proc_cgroup=None):
    """The smallest CPU quota (in CPUs, may be fractional) that applies to this process, or None."""
    try:
        proc_cgroup = proc_cgroup if proc_cgroup is not None else Path("/proc/self/cgroup").read_text()
    except OSError:
        return None
    folders = dict.fromkeys(_candidate_dirs(proc_cgroup, root))  # each folder read once
    quotas = [q for folder, v2 in folders if (q := _quota(folder, v2))]
    return min(quotas) if quotas else None


def available():
    """Whole CPUs to size thread pools by: at least 1, at most the affinity, capped by the quota."""
    cores = len(os.sched_getaffinity(0))
    quota = cpu_quota()
    return max(1, min(cores, math.ceil(quota))) if quota else cores
