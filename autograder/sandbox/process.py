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
import json
import os
import resource
import signal
import stat
import subprocess
import threading
import time
from dataclasses import dataclass

from .namespaces import CLONE_NEWNET, CLONE_NEWNS, hide_paths, hiding_plan, unshare
from .users import Identity, kill_user_processes, tasks_of

MAX_FILE_BYTES = 2 << 30  # RLIMIT_FSIZE: no single file over 2 GiB
MAX_READ_BYTES = 512 << 20  # largest output file the grader will read back
POLL_SECONDS = 0.2
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


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
        unshare(flags)
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


def session_pids(session):
    """The pids of every process in a session (the child and its descendants)."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.getsid(int(pid)) == session:
                pids.append(pid)
        except OSError:
            pass
    return pids


def session_rss_mib(pids):
    """Resident memory, in MiB, of the processes `pids`: cheap to read, but a page shared after
    fork() counts in every process that maps it."""
    total_kib = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                total_kib += int(f.read().split()[1]) * PAGE_KIB
        except (OSError, ValueError, IndexError):
            pass
    return total_kib / 1024


def session_pss_mib(pids):
    """Proportional set size, in MiB, of the processes `pids`: shared pages count once, so a
    fork bomb's sleeping children do not look like gigabytes. Costly: smaps_rollup walks every
    page table, ~10 ms of CPU for a TensorFlow process."""
    total_kib = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total_kib += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, ValueError, StopIteration):
            pass
    return total_kib / 1024


def over_memory(session, limit_mib):
    """The memory of a session's processes in MiB if it is over limit_mib, else None.

    The proportional size is read only when the resident size, its upper bound, is over the
    limit: five times a second it would cost a 1/2-CPU container a tenth of its CPU.
    """
    pids = session_pids(session)
    if session_rss_mib(pids) <= limit_mib:
        return None
    used = session_pss_mib(pids)
    return used if used > limit_mib else None


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
        elif rss_limit_mib and (used := over_memory(proc.pid, rss_limit_mib)):
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
