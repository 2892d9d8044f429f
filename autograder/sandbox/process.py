"""Run untrusted student code in a separate, limited process, and read back what it wrote.

What is enforced, and how:
- Separate process, own session: student code never runs in the grader's process, and the
  whole process group is killed when a step overruns its wall-clock limit.
- Unprivileged user (when the grader is root): setgid/setuid to the sandbox user before exec,
  so grader files that are root-only (chmod 700) cannot be read or changed.
- No network (when the grader is root and the kernel allows it): a new, empty network namespace.
- Grader files hidden (when root and the kernel allows it): in a new mount namespace, an empty
  tmpfs covers the grader's folders (the repo or /autograder), so even world-readable copies of
  the reference, tests or classifier are out of sight; the Python installation stays visible.
- Resource caps (setrlimit): address space, processes + threads (RLIMIT_NPROC, per user, so a
  fork bomb stops at the cap), file size, no core dumps. TensorFlow maps far more address space
  than it uses, so the grader also watches resident memory and kills a process group over its cap.
  Where a GPU is visible there is no address-space cap: CUDA reserves far more virtual memory
  than any cap that would still catch a runaway process, and fails to start under one. The
  resident-memory watch stays. /dev stays visible, so the sandbox user reaches /dev/nvidia*.
- Bounded output: stdout and stderr are read through a pipe; only the first and last
  `output_kib` KiB are kept.
- After every run, every process left by the sandbox user is killed.
"""
import ctypes
import fcntl
import json
import os
import pwd
import resource
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

CLONE_NEWNET = 0x40000000
CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
MAX_FILE_BYTES = 2 << 30  # RLIMIT_FSIZE: no single file over 2 GiB
MAX_READ_BYTES = 512 << 20  # largest output file the grader will read back
POLL_SECONDS = 0.2


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


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        raise OSError(ctypes.get_errno(), f"{what} failed")


def can_unshare(flags):
    """Whether this machine lets the grader give a child new namespaces of these kinds."""
    pid = os.fork()
    if pid == 0:
        os._exit(0 if _libc().unshare(flags) == 0 else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def hide_paths(hidden, keep, staging):
    """In the child's own mount namespace, cover each `hidden` folder with an empty tmpfs,
    then bind back the `keep` folders inside them (the Python installation) at their paths.

    staging: an empty folder per kept path, to hold it while its parent is covered.
    """
    libc = _libc()
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "making mounts private")
    for path, stage in zip(keep, staging):
        _check(libc.mount(path.encode(), stage.encode(), None, MS_BIND | MS_REC, None), f"staging {path}")
    for path in hidden:
        _check(libc.mount(b"tmpfs", path.encode(), b"tmpfs", 0, b"size=1m,mode=755"), f"hiding {path}")
    for path, stage in zip(keep, staging):
        os.makedirs(path, exist_ok=True)
        _check(libc.mount(stage.encode(), path.encode(), None, MS_BIND | MS_REC, None), f"restoring {path}")
    for path in hidden:
        _check(libc.mount(None, path.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY, None), f"sealing {path}")


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


class BoundedOutput:
    """Keeps the first and last `keep` bytes of a stream and counts what it dropped."""

    def __init__(self, keep):
        self.keep, self.head, self.tail, self.dropped = keep, bytearray(), bytearray(), 0

    def feed(self, chunk):
        room = self.keep - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        self.tail += chunk
        if len(self.tail) > self.keep:
            self.dropped += len(self.tail) - self.keep
            del self.tail[:len(self.tail) - self.keep]

    def text(self):
        head, tail = self.head.decode("utf-8", "replace"), self.tail.decode("utf-8", "replace")
        if self.dropped:
            return f"{head}\n... [{self.dropped:,} bytes of output cut] ...\n{tail}"
        return head + tail


@dataclass
class RunResult:
    returncode: int | None
    killed: str | None  # why the sandbox killed it, in words for the student
    output: str
    output_dropped: int
    seconds: float
    peak_rss_mib: float


def gpu_visible():
    """Whether an NVIDIA GPU is there for TensorFlow: a device node, and CUDA_VISIBLE_DEVICES
    not set to hide every device."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", "0").strip() in ("", "-1"):
        return False
    return any(name.startswith("nvidia") and name[6:].isdigit() for name in os.listdir("/dev"))


def address_space_cap(memory_mib):
    """The RLIMIT_AS to give student processes, in MiB, or None for none (a GPU is visible)."""
    return None if gpu_visible() else memory_mib


def _limit_child(who, memory_mib, processes, hiding):
    """preexec_fn: runs in the child between fork and exec, still as the grader's user."""
    flags = (CLONE_NEWNET if who.network_isolated else 0) | (CLONE_NEWNS if hiding else 0)
    if flags:
        _check(_libc().unshare(flags), "unshare")
    if hiding:
        hide_paths(*hiding)
    if memory_mib is not None:
        address_space = memory_mib << 20
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if who.switched:
        os.setgroups([])
        os.setgid(who.gid)
        os.setuid(who.uid)


def hiding_plan(hidden, staging_root):
    """(hidden, keep, staging) for hide_paths: keep the parts of Python inside hidden folders."""
    hidden = [os.path.realpath(p) for p in hidden if os.path.isdir(p)]
    keep = sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)
                   if any(os.path.realpath(p).startswith(h + os.sep) for h in hidden)})
    staging = []
    for index, _ in enumerate(keep):
        stage = os.path.join(staging_root, f"keep{index}")
        os.makedirs(stage, exist_ok=True)
        staging.append(stage)
    return hidden, keep, staging


def session_memory_mib(session):
    """Memory, in MiB, of every process in a session (the child and its descendants).

    Proportional set size: pages shared after fork() count once, so a fork bomb's sleeping
    children do not look like gigabytes.
    """
    total_kib = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.getsid(int(pid)) != session:
                continue
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total_kib += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, ValueError, StopIteration):
            pass
    return total_kib / 1024


def run(cmd, *, who, cwd, env, step_limits, progress_file=None, memory_mib, processes, output_kib,
        rss_limit_mib=None, trusted=False, hidden=(), staging_root=None, watch=None):
    """Run cmd in the sandbox; kill it when a step overruns its limit.

    step_limits maps a step kind (e.g. "epoch") to its seconds. The child reports the step it
    is in by rewriting progress_file as {"kind": ..., "label": ...}; the grader times each step
    from when it first sees it, so the child cannot stretch a limit by lying about the time.
    The whole run may last at most `step_limits["total"]` seconds, and its processes together may
    hold at most rss_limit_mib MiB of resident memory; memory_mib caps the address space, except
    where a GPU is visible (see address_space_cap).
    trusted=True runs grader code: same limits, but as the grader's own user.
    hidden: folders the student process must not see (covered when who.files_hidden).
    watch: called on every poll with the step now running, (kind, label) or None (progress.py).
    A run the grader abandons (interrupted: interrupt.py) is ended by stop_all.
    """
    runner = Identity(os.getuid(), os.getgid(), "grader", False, False) if trusted else who
    memory_mib = address_space_cap(memory_mib)
    hiding = hiding_plan(hidden, staging_root) if runner.files_hidden and hidden else None
    if not runner.switched:  # RLIMIT_NPROC counts the user's other processes too
        processes += tasks_of(os.getuid())
    output = BoundedOutput(output_kib << 10)
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=lambda: _limit_child(runner, memory_mib, processes, hiding))
    RUNNING[proc.pid] = (proc, runner)
    reader = threading.Thread(target=drain, args=(proc.stdout, output), daemon=True)
    reader.start()

    killed, step, step_start = None, None, start
    # os.wait4, not proc.poll(): it also reports the child's peak memory.
    while (waited := os.wait4(proc.pid, os.WNOHANG))[0] == 0:
        time.sleep(POLL_SECONDS)
        now = time.monotonic()
        seen = read_progress(progress_file) if progress_file else None
        if seen and seen != step:
            step, step_start = seen, now
        if watch:
            watch(step)
        if step and step[0] in step_limits and now - step_start > step_limits[step[0]]:
            killed = f"{step[1]} exceeded its limit of {step_limits[step[0]]:.0f} s"
        elif now - start > step_limits["total"]:
            killed = f"the stage exceeded its total limit of {step_limits['total']:.0f} s"
        elif rss_limit_mib and (used := session_memory_mib(proc.pid)) > rss_limit_mib:
            killed = (f"{step[1] if step else 'your code'} used {used:.0f} MiB of memory, "
                      f"over the limit of {rss_limit_mib} MiB")
        if killed:
            os.killpg(proc.pid, signal.SIGKILL)
            waited = os.wait4(proc.pid, 0)
            break
    _, status, usage = waited
    RUNNING.pop(proc.pid, None)
    kill_user_processes(runner)
    reader.join(timeout=5)
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # we reaped it ourselves; tell Popen so it does not try again
    return RunResult(code, killed, output.text(), output.dropped, time.monotonic() - start,
                     usage.ru_maxrss / 1024)


RUNNING = {}  # pid -> (Popen, Identity) of each run in progress, for stop_all


def stop_all():
    """End every run in progress (the grader was interrupted): kill its process group and every
    process of its sandbox user, and reap it."""
    while RUNNING:
        _, (proc, who) = RUNNING.popitem()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(proc.pid, 0)
        except ChildProcessError:
            pass
        proc.returncode = -signal.SIGKILL  # reaped here: Popen must not wait for it again
        kill_user_processes(who)


def drain(stream, output):
    for chunk in iter(lambda: stream.read1(1 << 16), b""):
        output.feed(chunk)


def read_progress(path):
    try:
        data = json.loads(read_untrusted(path, max_bytes=4096))
        return (str(data["kind"]), str(data["label"])[:200])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def open_untrusted(path, max_bytes=MAX_READ_BYTES):
    """A file the student process wrote, opened for reading: a regular file, no symlink, size-capped."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    f = os.fdopen(fd, "rb")
    info = os.fstat(f.fileno())
    if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
        f.close()
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{os.path.basename(path)} is not a regular file")
        raise ValueError(f"{os.path.basename(path)} is {info.st_size:,} bytes, over the {max_bytes:,} cap")
    return f


def read_untrusted(path, max_bytes=MAX_READ_BYTES):
    """Bytes of a file the student process wrote (see open_untrusted)."""
    with open_untrusted(path, max_bytes) as f:
        return f.read(max_bytes + 1)[:max_bytes]


def prepare_dir(path, who, writable):
    """Make `path` a directory the sandbox user can read (and write, if `writable`) but not replace."""
    os.makedirs(path, exist_ok=True)
    if who.switched and writable:
        os.chown(path, who.uid, who.gid)
        os.chmod(path, 0o700)
    else:
        os.chmod(path, 0o755)

