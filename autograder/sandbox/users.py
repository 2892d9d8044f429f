"""Who runs student code: the sandbox user (claimed by one grader at a time), and its processes.

When the grader is root, student code runs as an unprivileged user, created if missing; two
graders on one machine never share one, because cleaning up after a stage kills every process
of that user. Not root, it runs as the grader's own user, and the results say so.
"""
import fcntl
import os
import pwd
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from .namespaces import CLONE_NEWNET, CLONE_NEWNS, can_unshare


class SandboxError(RuntimeError):
    """The sandbox itself cannot run (a grader or machine problem, not the student's)."""


@dataclass
class Identity:
    """Who runs student code: the sandbox user when we are root, else the current user."""
    uid: int
    gid: int
    name: str
    switched: bool  # True when student code runs as a different, unprivileged user
    network_isolated: bool
    files_hidden: bool = False  # grader folders covered in the child's mount namespace
    problem: str = ""  # why the user switch was not possible, when root

    def describe(self):
        if self.switched:
            who = f"as unprivileged user '{self.name}'"
        elif self.problem:
            who = f"as root, WITHOUT user isolation, because {self.problem}"
        else:
            who = f"as the current user '{self.name}' (not root): grader files are NOT protected from it"
        net = "no network" if self.network_isolated else "network NOT isolated"
        hidden = "grader files hidden" if self.files_hidden else "grader files protected by permissions only"
        return f"Student code runs in separate, resource-limited processes {who}; {net}; {hidden}."


def ensure_user(name):
    """The sandbox user's (uid, gid); created as a system user if missing (we are root)."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                       check=True, capture_output=True)
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def can_run_python(uid, gid):
    """Whether `uid` can start this Python and import NumPy (a pyenv under /root, mode 700, cannot)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            os.execv(sys.executable, [sys.executable, "-c", "import numpy"])
        finally:
            os._exit(127)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def claim_user(base_name):
    """The first of base_name, base_name1, ... that no other grader on this machine is using.

    Each grader holds an exclusive lock on its sandbox user for its lifetime, because cleaning
    up after a stage kills every process of that user: two graders must never share one.
    """
    folder = os.path.join(tempfile.gettempdir(), "hw6-autograder-locks")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    if os.stat(folder).st_uid != os.geteuid():
        raise SandboxError(f"{folder} is not owned by the grader's user; remove it")
    for index in range(100):
        name = base_name if index == 0 else f"{base_name}{index}"
        lock = open(os.path.join(folder, f"{name}.lock"), "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        _HELD_LOCKS.append(lock)  # released when this process exits
        return name
    raise SandboxError("100 graders are already running on this machine")


_HELD_LOCKS = []


def identity(user_name):
    if os.geteuid() == 0:
        user_name = claim_user(user_name)
        uid, gid = ensure_user(user_name)
        if can_run_python(uid, gid):
            return Identity(uid, gid, user_name, switched=True, network_isolated=can_unshare(CLONE_NEWNET),
                            files_hidden=can_unshare(CLONE_NEWNS))
        problem = (f"user '{user_name}' cannot run {sys.executable}; make the Python installation "
                   "readable by other users (e.g. `chmod o+x /root` for a pyenv under /root)")
        return Identity(0, 0, "root", switched=False, network_isolated=can_unshare(CLONE_NEWNET),
                        files_hidden=can_unshare(CLONE_NEWNS), problem=problem)
    uid = os.getuid()
    return Identity(uid, os.getgid(), pwd.getpwuid(uid).pw_name, switched=False, network_isolated=False)


def tasks_of(uid, include_zombies=True):
    """How many processes and threads `uid` runs now (RLIMIT_NPROC counts them all)."""
    count = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid != uid:
                continue
            if not include_zombies:
                with open(f"/proc/{pid}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        continue
            count += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            pass
    return count


def kill_user_processes(who, rounds=20):
    """Kill everything the sandbox user runs, children that left the process group included.

    Repeated, because a fork bomb may start new processes while the first signals go out.
    """
    if not who.switched:
        return
    for _ in range(rounds):
        pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setgid(who.gid)
                os.setuid(who.uid)
                os.kill(-1, signal.SIGKILL)  # every process this uid may signal
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        if tasks_of(who.uid, include_zombies=False) == 0:
            return
        time.sleep(0.05)
