"""Run one stage of the harness in the sandbox: write its request, time its plan's steps, read its records.

Each stage's steps, their kinds and so their time limits come from harness_plan.py, the plan the
harness itself follows; the stage may last the sum of its steps' limits. What the student's
process printed goes to the staff log, without TensorFlow's start-up noise (noise.py).
"""
import ctypes
import gc
import json
import os
import sys
from functools import cached_property

from ..intake.receive import GIVEN_MODULES, GRADED_FILES
from . import cpus, noise, process, progress
from .harness_plan import IMAGE_PIXELS, plan
from .outcome import StageOutcome, StepRecord
from .workspace import HARNESS_FILES

# Passed through to student processes, so that TensorFlow finds a GPU and CUDA's libraries.
GPU_ENVIRONMENT = ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES",
                   "LD_LIBRARY_PATH", "CUDA_HOME", "XLA_FLAGS", "TF_FORCE_GPU_ALLOW_GROWTH")


def release_memory():
    """Give the memory this process has freed back to the system before a student process
    starts: in a container the two share one limit, and what the grader keeps, TensorFlow's code
    pages in the student's process lose (they are dropped and read again, over and over)."""
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)  # glibc keeps freed heap memory otherwise
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


class StageRunner:
    """Runs the harness's stages in one workspace (workspace.py) under the config's limits."""

    def __init__(self, workspace, config, submission_path, log):
        self.workspace, self.config, self.log = workspace, config, log
        self.submission_path = submission_path
        self._inputs = {}

    @cached_property
    def threads(self):
        configured = int(self.config.sandbox["threads"])
        return configured or cpus.available()

    def run(self, stage, arrays, extra=None):
        """Run `stage` on the grader's inputs `arrays` (settings: the config's, plus `extra`);
        return its StageOutcome."""
        settings = self._settings(extra)
        self.workspace.write_request(stage, settings, arrays)
        self._inputs[stage] = arrays
        steps = plan(stage, settings["epochs"], settings.get("parts", ()))
        limits = {step.kind: self.config.seconds(step.kind) for step in steps}
        run = self._run(stage, dict(limits, total=sum(self.config.seconds(step.kind) for step in steps)))
        records = self._read_steps(stage)
        for record in records.values():
            if not record.ok:  # for staff, and for tests that compare with the student's own run
                lines = (record.error or "no message").strip().splitlines() or ["no message"]
                self.log(f"[{stage}] step {record.name} failed: "
                         + (lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1]}"))
        return StageOutcome(stage, run, records)

    def inputs(self, stage):
        """The inputs the grader gave `stage` (to judge its outputs against)."""
        return self._inputs[stage]

    def _settings(self, extra):
        t, w = self.config.training, self.workspace
        return {"code_dir": str(w.path("code")), "seed": t["seed"], "batch_size": t["batch_size"],
                "epochs": t["epochs"], "learning_rate": t["learning_rate"], "latent_size": t["latent_size"],
                "input_size": IMAGE_PIXELS, "train_images": t["train_images"],
                "mnist": str(w.path("data", "mnist.npz")), "threads": self.threads,
                "compile": t.get("compile", "auto"), "student_files": list(GRADED_FILES),
                "not_student_files": [*GIVEN_MODULES, *HARNESS_FILES], **(extra or {})}

    def _env(self):
        home = str(self.workspace.path("home"))
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "TMPDIR": home,
               "MPLCONFIGDIR": os.path.join(home, ".matplotlib"), "KERAS_HOME": os.path.join(home, ".keras"),
               "PYTHONPATH": str(self.workspace.path("code")), "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONHASHSEED": "0", "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
               "OMP_NUM_THREADS": str(self.threads), "MNIST_NPZ": str(self.workspace.path("data", "mnist.npz")),
               "LANG": "C.UTF-8", "MPLBACKEND": "Agg"}
        for key in GPU_ENVIRONMENT:
            if key in os.environ:
                env[key] = os.environ[key]
        return env

    def _run(self, stage, step_limits):
        w, sb = self.workspace, self.config.sandbox
        out = w.output_dir(stage)
        cmd = [sys.executable, str(w.path("code", "harness.py")), stage, str(w.path("request")), str(out)]
        release_memory()
        watch = progress.start(stage, int(self.config.training["epochs"]) if stage.startswith("train-") else 0)
        run = process.run(cmd, who=w.who, cwd=str(w.path("home")), env=self._env(), step_limits=step_limits,
                          progress_file=str(out / "progress.json"), memory_mib=sb["memory_mib"],
                          processes=sb["processes"], output_kib=sb["output_kib"], rss_limit_mib=sb["rss_mib"],
                          hidden=w.hidden_paths(self.submission_path), staging_root=str(w.path("mnt")),
                          watch=watch)
        progress.finish(watch)
        self.log(f"[{stage}] {run.seconds:.1f} s, peak RSS {run.peak_rss_mib:.0f} MiB, exit {run.returncode}"
                 + (f", killed: {run.killed}" if run.killed else ""))
        output, noise_lines = noise.without_noise(run.output)
        if output.strip():
            self.log(f"[{stage}] output of the process (kept: start and end):\n{output.rstrip()}")
        if noise_lines:
            self.log(f"[{stage}] left out {noise_lines} lines of TensorFlow's start-up messages (noise.py)")
        return run

    def _read_steps(self, stage):
        out, steps = self.workspace.path("out", stage), {}
        try:
            lines = process.read_untrusted(out / f"{stage}.jsonl", max_bytes=8 << 20).decode("utf-8", "replace")
        except (OSError, ValueError):
            return steps
        for line in lines.splitlines():
            try:
                record = json.loads(line)
                name = str(record["step"])
                arrays = out / f"{stage}.{name}.npz"
                steps[name] = StepRecord(name, bool(record["ok"]), None if record.get("error") is None else
                                         str(record["error"])[:4000], dict(record.get("values") or {}),
                                         arrays if arrays.exists() else None)
            except (ValueError, KeyError, TypeError):
                continue  # not a record the harness wrote
        return steps
