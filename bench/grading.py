"""How fast and how lean is grading? Prints figures from one run on this machine.

    .venv/bin/python bench/grading.py              # all five measurements (~25 min on 2 cores)
    .venv/bin/python bench/grading.py --skip-pinned
    .venv/bin/python bench/grading.py --only 5     # just the container (~8 min); its last line is the summary
    .venv/bin/python bench/grading.py --only 5 --sample style-optimizer-in-init   # a sample instead
    .venv/bin/python bench/grading.py --only 5 --sample reference style-adam-in-train-vae   # several, in one run
    .venv/bin/python bench/grading.py --only 5 --cpus 1 --memory-mb 1024         # another container size

1. Grading the reference solution end to end (`python -m autograder grade solutions`): wall
   time, and peak RSS of the orchestrator and of every process it starts.
2. Bare training loops of the same two models (the reference's train_vae, same epochs, batch
   size and data) in one plain TensorFlow process: (a) compiled the way the grader runs them
   (speedups.install(), model.call and loss_function in tf.function), and (b) eager, with only
   the compiled optimizer updates (how the grader ran them before it compiled the model).
   (1) / (2a) is the grader's overhead.
3. The grading of (1) pinned to one core with taskset, a stand-in for Gradescope's 1/2 vCPU.
4. Peak RSS of each process of (1) (the grader logs them), against Gradescope's default 768 MB.
5. The grading of (1) inside Gradescope's default container, emulated with a Linux control group:
   768 MB of memory for everything (page cache included, as Docker counts it; the page cache is
   dropped first so TensorFlow's libraries are charged to the group) and a CPU quota of 1/2 CPU.
   Needs root and a writable cgroup hierarchy (v1 or v2); skipped otherwise. It ends with one
   line for scripts: `default container: NNN s, SCORE/MAX, memory peak NNN MiB, oom_kills N`.
Ratios come from one run, so machine noise affects both sides alike.
"""
import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GRADESCOPE_MEMORY_MB = 768
GRADESCOPE_TIMEOUT_S = 600
LOST = re.compile(r"^(\d+\.\d+)  .*?  ([\d.]+)\s+([\d.]+)\s{2,}(.*)$", re.M)  # a row of the rubric table

BARE_LOOP = r"""
import sys, time, keras, tensorflow as tf
sys.path.insert(0, {solutions!r})
import assignment, speedups, vae
compiled = {compiled}
speedups.install()
args = assignment.parseArguments([])
keras.utils.set_random_seed(args.seed)
if compiled:
    assignment.loss_function = tf.function(vae.loss_function)
(x, y), _ = assignment.read_mnist()
data = assignment.to_batches(x, y, args.batch_size, shuffle_buffer=1024)
start = time.perf_counter()
for conditional in (False, True):
    model = vae.CVAE(784, latent_size=args.latent_size) if conditional else vae.VAE(784, latent_size=args.latent_size)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate))
    if compiled:
        images = tf.zeros((args.batch_size, 1, 28, 28))
        model(images, tf.zeros((args.batch_size, 10))) if conditional else model(images)
        object.__setattr__(model, "call", tf.function(model.call))
    for epoch in range(args.num_epochs):
        total = assignment.train_vae(model, data, args, is_cvae=conditional)
    print("final loss", "cvae" if conditional else "vae", total / len(data))
print("training seconds", time.perf_counter() - start)
"""


def timed(cmd, **kwargs):
    """(seconds, peak RSS in MiB of the largest child process, completed process)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, **kwargs)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return time.perf_counter() - start, peak, proc


def grade(prefix=(), check=True, submission="solutions", **run_kwargs):
    """Grade a submission: (seconds, [(stage, seconds, peak MiB)], "Total: x / y", process)."""
    out = Path(tempfile.mkdtemp()) / "results.json"
    seconds, _, proc = timed([*prefix, sys.executable, "-m", "autograder", "grade", str(submission), "--results", str(out)],
                             **run_kwargs)
    shutil.rmtree(out.parent, ignore_errors=True)
    if check and proc.returncode != 0:
        sys.exit(proc.stdout[-3000:] + proc.stderr[-3000:])
    stages = re.findall(r"^\[(\S+)\] ([\d.]+) s, peak RSS (\d+) MiB", proc.stdout, flags=re.M)
    total = re.search(r"Total: ([\d.]+) / ([\d.]+)", proc.stdout)
    return seconds, stages, total.group(0) if total else "no total", proc


def print_stages(stages):
    for stage, seconds, rss in stages:
        print(f"   {stage:12} {float(seconds):7.1f} s   peak RSS {int(rss):5d} MiB")


class ControlGroup:
    """A memory- and CPU-capped cgroup (v1 or v2) that a child process joins before it runs."""

    def __init__(self, memory_bytes, cpus, name="hw6-bench"):
        v1 = Path("/sys/fs/cgroup/memory"), Path("/sys/fs/cgroup/cpu")
        v2 = Path("/sys/fs/cgroup")
        if all(d.is_dir() for d in v1):
            self.dirs = [v1[0] / name, v1[1] / name]
            limits = {self.dirs[0] / "memory.limit_in_bytes": memory_bytes,
                      self.dirs[1] / "cpu.cfs_period_us": 100_000,
                      self.dirs[1] / "cpu.cfs_quota_us": int(cpus * 100_000)}
            self.peak_file = self.dirs[0] / "memory.max_usage_in_bytes"
            self.events = self.dirs[0] / "memory.oom_control"
        elif {"memory", "cpu"} <= set((v2 / "cgroup.controllers").read_text().split()):
            (v2 / "cgroup.subtree_control").write_text("+memory +cpu")  # let child groups use them
            self.dirs = [v2 / name]
            limits = {self.dirs[0] / "memory.max": memory_bytes,
                      self.dirs[0] / "cpu.max": f"{int(cpus * 100_000)} 100000"}
            self.peak_file, self.events = self.dirs[0] / "memory.peak", self.dirs[0] / "memory.events"
        else:
            raise OSError("no cgroup hierarchy with the memory and cpu controllers")
        self.stat = self.dirs[0] / "memory.stat"  # the memory controller's folder in both versions
        for d in self.dirs:
            d.mkdir(exist_ok=True)
        for path, value in limits.items():  # a limit that cannot be set fails loudly, never silently
            path.write_text(str(value))

    def join(self):
        """preexec_fn: move the child into the group (its descendants follow)."""
        for d in self.dirs:
            (d / "cgroup.procs").write_text(str(os.getpid()))

    def report(self):
        """(peak memory in MiB, OOM kills, pages evicted and read back: TensorFlow's code under memory pressure)."""
        peak = int(self.peak_file.read_text()) / 2**20 if self.peak_file.exists() else float("nan")
        ooms = re.search(r"oom_kill (\d+)", self.events.read_text())
        refaults = re.search(r"^workingset_refault(?:_file)? (\d+)$", self.stat.read_text(), flags=re.M)
        return peak, int(ooms.group(1)) if ooms else 0, int(refaults.group(1)) if refaults else None

    def remove(self):
        for d in self.dirs:
            d.rmdir()


def gradescope_container(submission="solutions", memory_mb=GRADESCOPE_MEMORY_MB, cpus=0.5):
    """Measurement 5: grading inside an emulated Gradescope container (by default, the default one)."""
    try:
        group = ControlGroup(memory_mb * 2**20, cpus=cpus)
    except OSError as error:
        print(f"\n5. Gradescope's default container: skipped")
        print(f"default container: skipped ({error}; needs root)")
        return
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3")
    except OSError:
        print("   (could not drop the page cache: libraries already cached are not charged to the group)")
    try:
        seconds, stages, total, proc = grade(check=False, submission=submission, preexec_fn=group.join)
        peak, ooms, refaults = group.report()
    finally:
        group.remove()
    print(f"\n5. Grading in an emulated Gradescope container ({memory_mb} MB, {cpus:g} CPU): "
          f"{seconds:.0f} s ({seconds / GRADESCOPE_TIMEOUT_S:.2f}x the {GRADESCOPE_TIMEOUT_S} s timeout), "
          f"exit {proc.returncode}, {total}")
    print(f"   memory charged to the container at its peak: {peak:.0f} MiB; OOM kills: {ooms}; "
          f"pages evicted and read back: {refaults if refaults is not None else 'not reported'}")
    print_stages(stages)
    for line in [line for line in proc.stdout.splitlines() if "exceeded" in line or "killed" in line.lower()][:10]:
        print(f"   {line.strip()}")
    for item, points, most, message in LOST.findall(proc.stdout):  # what a score short of full lost
        if float(points) < float(most):
            print(f"   item {item}: {points} of {most}: {message.strip()[:150]}")
    score = re.search(r"Total: ([\d.]+) / ([\d.]+)", total)
    name = "default container" if (memory_mb, cpus) == (GRADESCOPE_MEMORY_MB, 0.5) else f"container {memory_mb} MB {cpus:g} CPU"
    print(f"{name}: {seconds:.0f} s, {score.group(1) if score else '?'}/{score.group(2) if score else '?'}, "
          f"memory peak {peak:.0f} MiB, oom_kills {ooms}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-pinned", action="store_true", help="skip measurement 3 (the slowest)")
    parser.add_argument("--only", type=int, choices=[5], help="run only this measurement")
    parser.add_argument("--sample", nargs="+", help="with --only 5: grade these sample submissions "
                                                    "(autograder/samples), one after another, instead of solutions/")
    parser.add_argument("--cpus", type=float, default=0.5, help="with --only 5: the container's CPU quota")
    parser.add_argument("--memory-mb", type=int, default=GRADESCOPE_MEMORY_MB, help="with --only 5: its memory")
    args = parser.parse_args()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")

    print(f"CPUs available: {len(os.sched_getaffinity(0))}")
    if args.only == 5:
        limits = dict(memory_mb=args.memory_mb, cpus=args.cpus)
        if not args.sample:
            return gradescope_container(**limits)
        from autograder import samples
        folder = Path(tempfile.mkdtemp(prefix="hw6-bench-"))
        os.chmod(folder, 0o755)
        for name in args.sample:
            print(f"\n{name}:")
            gradescope_container(samples.materialize(name, folder / name), **limits)
        return None
    graded_s, stages, total, _ = grade()
    print(f"\n1. Grading the reference end to end: {graded_s:.0f} s ({total})")
    print_stages(stages)

    bare = {}
    for compiled in (True, False):
        code = BARE_LOOP.format(solutions=str(ROOT / "solutions"), compiled=compiled)
        bare_s, bare_rss, proc = timed([sys.executable, "-c", code], env=env)
        if proc.returncode != 0:
            sys.exit(proc.stderr[-3000:])
        trained = float(re.search(r"training seconds ([\d.]+)", proc.stdout).group(1))
        bare[compiled] = bare_s
        print(f"\n2{'a' if compiled else 'b'}. Bare training loop, one process, "
              f"{'compiled as the grader runs it' if compiled else 'eager (compiled optimizer updates only)'}: "
              f"{bare_s:.0f} s ({trained:.0f} s of it training), peak RSS {bare_rss:.0f} MiB")
    print(f"   Grader overhead: {graded_s / bare[True]:.2f}x the compiled bare loop's wall time (goal: <= 1.15); "
          f"{graded_s / bare[False]:.2f}x the eager bare loop's")

    if not args.skip_pinned and shutil.which("taskset"):
        pinned_s, pinned_stages, *_ = grade(prefix=("taskset", "-c", "0"))
        print(f"\n3. Grading pinned to 1 core: {pinned_s:.0f} s ({pinned_s / graded_s:.2f}x the 2-core run); "
              f"Gradescope's default timeout is {GRADESCOPE_TIMEOUT_S} s at 1/2 vCPU")
        print_stages(pinned_stages)

    print("\n4. Peak RSS per process (the orchestrator runs throughout; one stage at a time beside it):")
    for stage, _, rss in stages:
        print(f"   {stage:12} {int(rss):5d} MiB")
    grader = next(int(rss) for stage, _, rss in stages if stage == "grader")
    worst = max(int(rss) for stage, _, rss in stages if stage != "grader")
    print(f"   at most {grader + worst} MiB at once, against Gradescope's default {GRADESCOPE_MEMORY_MB} MB")

    gradescope_container()


if __name__ == "__main__":
    main()
