"""Run each grading stage once, in the sandbox, and give the rubric validated evidence.

Stages, in order (a stage runs only when a rubric item first asks for it):
    checks      student process: import, then the quick checks of items 2-5
    train-vae   student process: 10 epochs of the student's train_vae, then the test-set export
    train-cvae  the same for the CVAE, plus the generations for item 8
    classify    in the grader (trusted code, NumPy): the pretrained classifier labels the generations
    parts       student process: the optional parts that are on (see parts.py and harness_parts.py)
Training is skipped, with a reason, when the quick checks show it cannot succeed.
"""
import ctypes
import gc
import json
import math
import os
import shutil
import sys
import time
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .classifier.model import load_classifier, predict_labels
from .evidence import elbo, fc_decoder
from .evidence.data import find_mnist, load_mnist_arrays
from .intake.sanitize import Sanitized, SanitizeError, sanitize
from .intake.submission import SubmissionError, new_workspace, open_submission
from .sandbox import cpus, noise, progress
from .sandbox import process as sandbox

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DIR = ROOT / "solutions"
HARNESS = Path(__file__).resolve().parent / "sandbox" / "harness.py"
HARNESS_FILES = ("harness.py", "harness_parts.py", "harness_compile.py")  # what runs in the sandbox
STUDENT_MODULES = ("vae.py", "assignment.py")
GIVEN_MODULES = ("speedups.py",)  # whole files of given code: always the reference's
NUM_CLASSES = 10
IMAGE_PIXELS = 28 * 28
EVAL_IMAGES = 500  # held-out images for item 5's before/after loss
PREVIEW = 8  # test images the feedback shows reconstructed (items 6.1 and 7.1)
CHECK_STEPS = 8  # quick checks the harness runs after the import (see harness.stage_checks)
GRADER_TRAIN_IMAGES = 64  # training images the grader keeps at least (parts.inputs takes 16)
# Passed through to student processes, so that TensorFlow finds a GPU and CUDA's libraries.
GPU_ENVIRONMENT = ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES",
                   "LD_LIBRARY_PATH", "CUDA_HOME", "XLA_FLAGS", "TF_FORCE_GPU_ALLOW_GROWTH")


class Unavailable(Exception):
    """Evidence an item needs does not exist; the message (for the student) says why."""


@dataclass
class Step:
    name: str
    ok: bool
    error: str | None
    values: dict
    arrays_path: Path | None

    @cached_property
    def arrays(self):
        if not self.arrays_path:
            return {}
        try:
            # Read straight from the file (no copy of its bytes), after checking what the archive
            # unpacks to: a compressed .npz written by student code could otherwise be a zip bomb.
            with sandbox.open_untrusted(self.arrays_path) as f:
                if sum(i.file_size for i in zipfile.ZipFile(f).infolist()) > sandbox.MAX_READ_BYTES:
                    raise ValueError("the arrays unpack to more than the size cap")
                f.seek(0)
                with np.load(f, allow_pickle=False) as npz:
                    return {key: npz[key] for key in npz.files}
        except Exception as err:
            raise Unavailable(f"the grader could not read the arrays of step {self.name}: {err}") from None


@dataclass
class StageOutcome:
    name: str
    run: sandbox.RunResult | None
    steps: dict = field(default_factory=dict)
    skipped: str | None = None  # why the stage did not run at all

    def step(self, name):
        """The record of one step, or Unavailable saying why it does not exist."""
        if self.skipped:
            raise Unavailable(self.skipped)
        if name in self.steps:
            return self.steps[name]
        run = self.run
        if run.killed:
            raise Unavailable(f"Stopped: {run.killed}.")
        failed = next((s for s in self.steps.values() if not s.ok), None)
        if failed:
            raise Unavailable(f"Not run, because the step before it failed ({failed.name}).")
        tail = noise.without_noise(run.output)[0].strip().splitlines()[-3:]  # what the student printed
        raise Unavailable(f"Not run: the process running your code ended early (exit code {run.returncode})"
                          + (": " + " | ".join(tail) if tail else "."))

    def require(self, name):
        """The step's record if it succeeded; else Unavailable with the student's error."""
        step = self.step(name)
        if not step.ok:
            raise Unavailable(step.error)
        return step


@dataclass
class Evaluation:
    """A fully trained model, as the grader measured it."""
    test_loss: float               # the grader's negative ELBO per image, MNIST test set
    train_losses: list             # the student's train_vae return / batches, per epoch
    epoch_seconds: list
    decode: object = None          # the rebuilt decoder (fc_decoder), or None if it could not be
    reconstructions: object = None  # (PREVIEW, H * W): the first test images decoded, for feedback


@dataclass
class Measured:
    """The grader's loss on held-out images, and how the images were decoded."""
    loss: float
    decode: object  # the rebuilt decoder, or None when the student's own decodings were used
    note: str       # why the student's own decodings were used, or ""
    reconstructions: object = None  # (PREVIEW, H * W): the first images decoded from mu (or theirs)


def validated(arrays, key, shape, lo=None, hi=None):
    """arrays[key] checked for shape, finiteness and range, or Unavailable naming the problem."""
    value = arrays.get(key)
    if value is None or not np.issubdtype(np.asarray(value).dtype, np.number):
        raise Unavailable(f"The model's {key} could not be computed.")
    value = np.asarray(value, dtype=np.float32)
    if value.shape != tuple(shape):
        raise Unavailable(f"The model's {key}: expected shape {tuple(shape)}, got {value.shape}.")
    if not np.isfinite(value).all():
        raise Unavailable(f"The model's {key} contains NaN or infinite values.")
    if (lo is not None and value.min() < lo - 1e-6) or (hi is not None and value.max() > hi + 1e-6):
        raise Unavailable(f"The model's {key} has values outside [{lo}, {hi}].")
    return value


def number(value, default=math.nan):
    """A value the student's process reported, as a float (default if it is not a number)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def log_training(log, stage, steps):
    """Staff log: how the stage ran the student's code, and each epoch's loss and memory."""
    build = steps.get("build")
    if not build or not build.ok:
        return
    compiled = build.values.get("compiled") or {}
    log(f"[{stage}] model call: {compiled.get('call', '?')}; loss_function: {compiled.get('loss', '?')}")
    batches, events, epochs = build.values.get("batches") or 1, [], []
    for name, step in steps.items():
        if name.startswith("epoch_") and step.ok:
            epochs.append(step.values)
            events = step.values.get("compile_events") or events
    if epochs:  # one line each: the live progress lines already gave each epoch's time
        log(f"[{stage}] loss per image by epoch: "
            + ", ".join(f"{number(v.get('returned')) / batches:.2f}" for v in epochs))
        log(f"[{stage}] RSS after each epoch (MiB): " + ", ".join(f"{number(v.get('rss_mib'), 0):.0f}" for v in epochs))
    for event in events:
        log(f"[{stage}] fell back to eager code: {event}")


def divergence(epochs, batches, given_optimizer):
    """Why training stopped at a non-finite loss: the epoch, the last finite loss, and the likely
    causes the grader can see (epochs: the epoch records up to and including the failed one)."""
    bad, good = epochs[-1], epochs[:-1]
    lines = [f"Your train_vae's loss became {number(bad.get('returned'))} in epoch {len(epochs)}"
             + (f"; the last finite loss was {number(good[-1].get('returned')) / batches:.1f} per image, in epoch "
                f"{len(good)}." if good else ", the first epoch.")]
    used = [set(map(str, e["optimizer_steps"])) if isinstance(e.get("optimizer_steps"), dict) else set()
            for e in epochs]
    causes = []
    if len(used) > 1 and all(a and b and not a & b for a, b in zip(used, used[1:])):
        causes.append("train_vae makes a new optimizer in every call: Adam's state resets every epoch, and a "
                      "fresh Adam's first steps are large. Use model.optimizer.")
    elif used[-1] and str(given_optimizer) not in used[-1]:
        causes.append("train_vae steps its own optimizer, not model.optimizer.")
    logvar = good[-1].get("logvar_range") if good else None
    logvar = [number(v) for v in logvar] if isinstance(logvar, list) and len(logvar) == 2 else None
    if logvar and logvar[1] > 10:
        causes.append(f"after epoch {len(good)}, logvar reached {logvar[1]:.1f} on test images, so "
                      f"exp(logvar) = {math.exp(min(logvar[1], 700)):.3g}; float32 overflows above exp(88). "
                      "Check the logvar head and where exp(logvar) is used.")
    if causes:
        lines.append("Likely causes the grader can see: " + " ".join(causes))
    else:
        lines.append("The grader saw one optimizer throughout" + (
            f" and logvar within [{logvar[0]:.1f}, {logvar[1]:.1f}]" if logvar else "")
            + ": look for a log of 0, a division by zero or a NaN in loss_function.")
    return " ".join(lines)


def release_memory():
    """Give the memory this process has freed back to the system before a student process
    starts: in a container the two share one limit, and what the grader keeps, TensorFlow's code
    pages in the student's process lose (they are dropped and read again, over and over)."""
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)  # glibc keeps freed heap memory otherwise
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


class Grading:
    """One submission's grading: its workspace, its stages' outcomes, and what they mean."""

    def __init__(self, config, submission_path, mnist=None, reference_dir=REFERENCE_DIR, log=print):
        self.config, self.log = config, log
        self.training_cfg = config.training
        self.workspace = new_workspace()
        self.who = sandbox.identity(config.sandbox["user"])
        self.notes, self.setup_error, self.submission = [], None, None
        self._cache, self._requests = {}, {}
        self.mnist = find_mnist(mnist)
        self.submission_path = Path(submission_path).resolve()
        try:
            self.submission = open_submission(submission_path, self.workspace)
            os.chmod(self.submission.root, 0o700)  # the raw upload is the grader's, not the sandbox's
            self._stage_code(reference_dir)
        except (SubmissionError, SanitizeError) as err:
            self.setup_error = str(err)
        self._stage_data()

    # --- workspace ------------------------------------------------------------------------

    def path(self, *parts):
        return self.workspace.joinpath(*parts)

    def _stage_code(self, reference_dir):
        """Write the sanitized modules (and the student's own extra modules) into code/."""
        from stencil.markers import transform

        code = self.path("code")
        os.chmod(self.workspace, 0o711)  # the sandbox user may traverse it, not list it
        sandbox.prepare_dir(code, self.who, writable=False)
        self.sanitized = {}
        for name in STUDENT_MODULES:
            reference = (Path(reference_dir) / name).read_text()
            student = self.submission.file(name).read_text(errors="replace")
            result = sanitize(reference, transform(reference, name), student, name)
            self.sanitized[name] = result
            (code / name).write_text(result.text)
        if self.config.parts:
            self._stage_part_code(reference_dir, transform)
        for extra in self.submission.code_dir.glob("*.py"):  # the student's own helper modules
            if extra.name not in STUDENT_MODULES + GIVEN_MODULES and extra.name not in self.sanitized \
                    and not extra.name.startswith("test_") and not extra.is_symlink():
                shutil.copyfile(extra, code / extra.name)
        for name in GIVEN_MODULES:
            shutil.copyfile(Path(reference_dir) / name, code / name)
        for name in HARNESS_FILES:
            shutil.copyfile(HARNESS.with_name(name), code / name)
        for path in code.iterdir():
            os.chmod(path, 0o644)

    def _stage_part_code(self, reference_dir, transform):
        """The optional parts' files, sanitized per method; a file not handed in grades as the stencil."""
        from .evidence.part_inputs import PART_FILES

        self.broken_parts = {}  # part -> why its file could not be sanitized
        for name in PART_FILES:
            reference = (Path(reference_dir) / name).read_text()
            stencil = transform(reference, name)
            path = self.submission.file(name)
            student = path.read_text(errors="replace") if path.is_file() and not path.is_symlink() else stencil
            try:
                result = sanitize(reference, stencil, student, name, methods=True)
            except SanitizeError as err:  # costs only this part: its items report the error
                self.broken_parts[name[:-3]] = str(err)
                result = Sanitized(stencil)
            self.sanitized[name] = result
            self.path("code", name).write_text(result.text)

    def _stage_data(self):
        for folder in ("data", "request"):
            sandbox.prepare_dir(self.path(folder), self.who, writable=False)
        shutil.copyfile(self.mnist, self.path("data", "mnist.npz"))
        os.chmod(self.path("data", "mnist.npz"), 0o644)
        sandbox.prepare_dir(self.path("home"), self.who, writable=True)

    def hidden_paths(self):
        """Folders student code must not see: the grader itself, Gradescope's /autograder, and the
        folder the submission came from (in a class regrade, other students' work)."""
        workspace = self.workspace.resolve()
        candidates = [ROOT, Path(os.environ.get("AUTOGRADER_ROOT", "/autograder")),
                      self.submission_path.parent, self.submission_path]
        hidden = []
        for path in sorted({p.resolve() for p in candidates}, key=lambda p: len(p.parts)):
            inside_hidden = any(Path(h) in path.parents for h in hidden)  # already covered
            if path.is_dir() and not inside_hidden and path not in workspace.parents and path != workspace:
                hidden.append(str(path))
        return hidden

    def cleanup(self):
        shutil.rmtree(self.workspace, ignore_errors=True)

    # --- running stages ---------------------------------------------------------------------

    def _request(self, stage, arrays, extra=None):
        t = self.training_cfg
        request = {"code_dir": str(self.path("code")), "seed": t["seed"], "batch_size": t["batch_size"],
                   "epochs": t["epochs"], "learning_rate": t["learning_rate"], "latent_size": t["latent_size"],
                   "input_size": IMAGE_PIXELS, "train_images": t["train_images"],
                   "mnist": str(self.path("data", "mnist.npz")), "threads": self.threads,
                   "compile": t.get("compile", "auto"), **(extra or {})}
        self.path("request", f"{stage}.json").write_text(json.dumps(request))
        np.savez(self.path("request", f"{stage}.npz"), **arrays)
        self._requests[stage] = arrays
        for suffix in ("json", "npz"):
            os.chmod(self.path("request", f"{stage}.{suffix}"), 0o644)

    def request_arrays(self, stage):
        """The inputs the grader gave `stage` (to judge its outputs against)."""
        return self._requests[stage]

    @cached_property
    def threads(self):
        configured = int(self.config.sandbox["threads"])
        return configured or cpus.available()

    def _env(self):
        home = str(self.path("home"))
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "TMPDIR": home,
               "MPLCONFIGDIR": os.path.join(home, ".matplotlib"), "KERAS_HOME": os.path.join(home, ".keras"),
               "PYTHONPATH": str(self.path("code")), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
               "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "OMP_NUM_THREADS": str(self.threads),
               "MNIST_NPZ": str(self.path("data", "mnist.npz")), "LANG": "C.UTF-8", "MPLBACKEND": "Agg"}
        for key in GPU_ENVIRONMENT:
            if key in os.environ:
                env[key] = os.environ[key]
        return env

    def _run_stage(self, stage, step_limits, total, cmd=None, trusted=False):
        out = self.path("out", stage)
        shutil.rmtree(out, ignore_errors=True)  # nothing a previous stage left can pose as output
        sandbox.prepare_dir(self.path("out"), self.who, writable=False)
        sandbox.prepare_dir(out, self.who, writable=not trusted)
        cmd = cmd or [sys.executable, str(self.path("code", HARNESS.name)), stage, str(self.path("request")), str(out)]
        step_limits = dict(step_limits, total=total)
        sb = self.config.sandbox
        release_memory()
        watch = progress.start(stage, int(self.training_cfg["epochs"]) if stage.startswith("train-") else 0)
        run = sandbox.run(cmd, who=self.who, cwd=str(self.path("home")), env=self._env(), step_limits=step_limits,
                          progress_file=str(out / "progress.json"), memory_mib=sb["memory_mib"],
                          processes=sb["processes"], output_kib=sb["output_kib"], rss_limit_mib=sb["rss_mib"],
                          trusted=trusted, hidden=self.hidden_paths(), staging_root=str(self.path("mnt")), watch=watch)
        progress.finish(watch)
        self.log(f"[{stage}] {run.seconds:.1f} s, peak RSS {run.peak_rss_mib:.0f} MiB, exit {run.returncode}"
                 + (f", killed: {run.killed}" if run.killed else ""))
        output, noise_lines = noise.without_noise(run.output)
        if output.strip():
            self.log(f"[{stage}] output of the process (kept: start and end):\n{output.rstrip()}")
        if noise_lines:
            self.log(f"[{stage}] left out {noise_lines} lines of TensorFlow's start-up messages (noise.py)")
        return run, self._read_steps(stage, out)

    def _read_steps(self, stage, out):
        steps = {}
        try:
            lines = sandbox.read_untrusted(out / f"{stage}.jsonl", max_bytes=8 << 20).decode("utf-8", "replace")
        except (OSError, ValueError):
            return steps
        for line in lines.splitlines():
            try:
                record = json.loads(line)
                name = str(record["step"])
                arrays = out / f"{stage}.{name}.npz"
                steps[name] = Step(name, bool(record["ok"]), None if record.get("error") is None else
                                   str(record["error"])[:4000], dict(record.get("values") or {}),
                                   arrays if arrays.exists() else None)
            except (ValueError, KeyError, TypeError):
                continue  # not a record the harness wrote
        return steps

    def _seconds(self, kind):
        return self.config.seconds(kind)

    # --- the stages -------------------------------------------------------------------------

    @cached_property
    def checks(self):
        if self.setup_error:
            return StageOutcome("checks", None, skipped=self.setup_error)
        self._request("checks", self._check_inputs())
        limits = {"import": self._seconds("import"), "step": self._seconds("check")}
        run, steps = self._run_stage("checks", limits, total=limits["import"] + CHECK_STEPS * limits["step"])
        return StageOutcome("checks", run, steps)

    def once(self, key, compute):
        """compute() the first time; afterwards its result, or its Unavailable raised again."""
        if key not in self._cache:
            try:
                self._cache[key] = compute()
            except Unavailable as why:
                self._cache[key] = why
        if isinstance(self._cache[key], Unavailable):
            raise self._cache[key]
        return self._cache[key]

    def training(self, kind):
        """The outcome of the full training stage for kind 'vae' or 'cvae' (run once)."""
        return self.once(("training", kind), lambda: self._train(kind))

    def _train(self, kind):
        stage = f"train-{kind}"
        reason = self._training_blocker(kind)
        if reason:
            return StageOutcome(stage, None, skipped=reason)
        t, rng = self.training_cfg, self.rng(f"train-{kind}")
        arrays = {"test_eps": rng.standard_normal((10000, t["latent_size"])).astype(np.float32),
                  f"probe_{kind}": self.probe(kind)}
        if kind == "cvae":
            per_digit = int(self.config.thresholds["generations_per_digit"])
            arrays["gen_labels"] = np.repeat(np.arange(NUM_CLASSES), per_digit)
            arrays["gen_z"] = rng.standard_normal((len(arrays["gen_labels"]), t["latent_size"])).astype(np.float32)
        self._request(stage, arrays)
        limits = {"import": self._seconds("import"), "step": self._seconds("evaluate"), "epoch": self._seconds("epoch")}
        total = limits["import"] + 3 * limits["step"] + t["epochs"] * limits["epoch"]  # build, epochs, evaluate, generate
        run, steps = self._run_stage(stage, limits, total)
        log_training(self.log, stage, steps)
        return StageOutcome(stage, run, steps)

    def evaluation(self, kind):
        """The trained `kind` model's Evaluation (computed once), or Unavailable saying why not."""
        return self.once(("evaluation", kind), lambda: self._evaluate(kind))

    def _evaluate(self, kind):
        outcome = self.training(kind)
        build = outcome.require("build")
        batches = build.values.get("batches") or 1
        epochs = []
        for e in range(1, int(self.training_cfg["epochs"]) + 1):
            epochs.append(outcome.require(f"epoch_{e}").values)
            if not math.isfinite(number(epochs[-1].get("returned"))):
                raise Unavailable(divergence(epochs, batches, build.values.get("given_optimizer")))
        step = outcome.require("evaluate")
        (_, _), (x_test, y_test) = self.mnist_arrays
        measured = self.measure(step, x_test, y_test, kind, secret=self.rng(f"secret-test-{kind}"))
        if measured.note:
            self.notes.append(f"{kind.upper()}: {measured.note}")
            self.log(f"REVIEW: {kind.upper()} was evaluated with the student's own decoder: {measured.note}")
        return Evaluation(measured.loss, [float(e["returned"]) / batches for e in epochs],
                          [float(e["seconds"]) for e in epochs], measured.decode, measured.reconstructions)

    def measure(self, step, images, labels, kind, secret, prefix=""):
        """The grader's negative ELBO per image of a model a step exported (see harness.export).

        The grader rebuilds the decoder from its weights and decodes z = mu + sigma * eps with its
        own `secret` noise. Only if the decoder cannot be rebuilt, or does not reproduce the
        student's decoder on the probe inputs, are the student's own decodings used (with a note).
        """
        arrays, z = step.arrays, int(self.training_cfg["latent_size"])
        mu = validated(arrays, prefix + "mu", (len(images), z))
        logvar = validated(arrays, prefix + "logvar", (len(images), z))
        one_hot = np.eye(NUM_CLASSES, dtype=np.float32)[labels] if kind == "cvae" else None
        decode, note = None, ""
        try:
            weights = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix + "decoder.")}
            candidate = fc_decoder.rebuild(step.values.get(prefix + "decoder"), weights)
            probe = self.probe(kind)
            if fc_decoder.matches(candidate, probe, arrays.get(prefix + "probe", np.zeros(0))):
                decode = candidate
            else:
                note = "the decoder rebuilt from its weights does not reproduce your decoder's outputs"
        except fc_decoder.Unsupported as why:
            note = f"its decoder cannot be rebuilt from weights ({why})"
        if decode:
            eps = secret.standard_normal(mu.shape).astype(np.float32)
            z_sample = mu + np.exp(0.5 * logvar) * eps
            decoder_in = z_sample if one_hot is None else np.concatenate([z_sample, one_hot], axis=1)
        else:
            theirs = validated(arrays, prefix + "x_hat", (len(images), IMAGE_PIXELS), 0.0, 1.0)
        losses = []
        for rows in (slice(i, i + elbo.CHUNK) for i in range(0, len(images), elbo.CHUNK)):  # bounded memory
            x_hat = np.clip(decode(decoder_in[rows]).reshape(-1, IMAGE_PIXELS), 0.0, 1.0) if decode else theirs[rows]
            losses.append(elbo.negative_elbo(images[rows] / np.float32(255.0), x_hat, mu[rows], logvar[rows]))
        step.__dict__.pop("arrays", None)  # drop the loaded arrays (cached_property); reread if needed
        head = slice(0, PREVIEW)  # the first images, decoded from mu itself for the feedback figures
        shown = theirs[head] if not decode else np.clip(decode(
            mu[head] if one_hot is None else np.concatenate([mu[head], one_hot[head]], axis=1)), 0.0, 1.0)
        return Measured(float(np.concatenate(losses).mean()), decode, note, shown.reshape(-1, IMAGE_PIXELS))

    def probe(self, kind):
        """Fixed decoder inputs, (16, Z) or (16, Z + C), to check a rebuilt decoder against."""
        rng, z = self.rng("probe"), int(self.training_cfg["latent_size"])
        latent = rng.standard_normal((16, z)).astype(np.float32)
        if kind == "vae":
            return latent
        return np.concatenate([latent, np.eye(NUM_CLASSES, dtype=np.float32)[np.arange(16) % NUM_CLASSES]], axis=1)

    def classification(self):
        """Labels (C * per_digit,) the trusted classifier gives the CVAE's generations (run once)."""
        return self.once("labels", self._classify)

    def generations(self):
        """The CVAE's generations, (C * per_digit, H * W) in blocks by digit, decoded by the grader
        from z ~ N(0, I) it draws itself (or, if the decoder cannot be rebuilt, by the student's code)."""
        return self.once("generations", self._generate)

    def _generate(self):
        evaluation = self.evaluation("cvae")  # a model that failed its evaluation is not scored
        per_digit = int(self.config.thresholds["generations_per_digit"])
        count = NUM_CLASSES * per_digit
        if evaluation.decode is None:
            return validated(self.training("cvae").require("generate").arrays, "generated",
                             (count, IMAGE_PIXELS), 0.0, 1.0)
        z = self.rng("secret-generation").standard_normal((count, int(self.training_cfg["latent_size"])))
        labels = np.eye(NUM_CLASSES, dtype=np.float32)[np.repeat(np.arange(NUM_CLASSES), per_digit)]
        images = evaluation.decode(np.concatenate([z.astype(np.float32), labels], axis=1))
        return np.clip(images.reshape(count, -1), 0.0, 1.0)

    def generation_spread(self):
        """Mean over digits and pixels of the generations' standard deviation across z."""
        per_digit = self.generations().reshape(NUM_CLASSES, -1, IMAGE_PIXELS)
        return float(per_digit.std(axis=1).mean())

    def _classify(self):
        return self.classify_images(self.generations())

    def classify_images(self, generated, tag=""):
        """Labels (N,) the trusted classifier gives images (N, H * W) in [0, 1]."""
        start = time.perf_counter()
        labels = predict_labels(self.classifier, np.asarray(generated).reshape(-1, 1, 28, 28))
        self.log(f"[classify{tag}] {len(labels)} images in {time.perf_counter() - start:.1f} s (NumPy, in the grader)")
        return labels

    @cached_property
    def classifier(self):
        return load_classifier()  # checks the weights' sha256 first

    @cached_property
    def active_parts(self):
        """The optional parts graded for this submission (graduate ones need the flag)."""
        return self.config.active_parts(self.submission is not None and self.submission.is_2470)

    def parts(self):
        """The outcome of the optional parts' stage (run once, when a part's item first asks)."""
        from .evidence import part_inputs as parts
        return self.once("parts", lambda: parts.run(self))

    def _training_blocker(self, kind):
        """Why full training of `kind` would be pointless, or None."""
        checks = self.checks
        try:
            checks.require("import")
            smoke = checks.require(f"{kind}_smoke")
        except Unavailable as why:
            return f"Skipped: the quick one-epoch check of train_vae ({kind.upper()}, item 5) did not pass: {why}"
        if smoke.values.get("weights_changed", 0) == 0:
            return ("Skipped: one epoch of train_vae left every weight unchanged (item 5), so training "
                    "cannot lower the loss. Apply the gradients with model.optimizer.apply_gradients.")
        return None

    @cached_property
    def mnist_arrays(self):
        """MNIST, uint8 ((x_train, y_train), (x_test, y_test)), images (N, 28, 28): the whole test
        set, but only the first training images, which the grader's own inputs use (the sandbox
        reads the full set itself). In a container, memory this process holds is taken from the
        student's training process, which shares the limit."""
        (x_train, y_train), test = load_mnist_arrays(self.mnist)
        head = max(int(self.training_cfg["smoke_images"]), GRADER_TRAIN_IMAGES)
        return (x_train[:head].copy(), y_train[:head].copy()), test

    def rng(self, purpose):
        """A NumPy generator seeded by the config's seed and what it is for, so inputs never shift."""
        return np.random.default_rng([int(self.training_cfg["seed"]), *purpose.encode()])

    def _check_inputs(self):
        t, rng = self.training_cfg, self.rng("checks")
        (x_train, y_train), (x_test, y_test) = self.mnist_arrays
        z = t["latent_size"]
        arrays = {
            # reparameterize: 50,000 draws for 4 (mu, logvar) pairs, chosen so that common mistakes differ
            "rep_mu": np.tile(np.float32([-1.0, 0.0, 2.0, 5.0]), (50000, 1)),
            "rep_logvar": np.tile(np.float32([0.0, np.log(4.0), np.log(0.25), 1.0]), (50000, 1)),
            "grad_mu": rng.standard_normal((64, 5)).astype(np.float32),
            "grad_logvar": rng.uniform(-1, 1, (64, 5)).astype(np.float32),
            # forward passes
            "fwd_x": (x_test[:8, None] / 255.0).astype(np.float32),
            "fwd_c": np.eye(NUM_CLASSES, dtype=np.float32)[y_test[:8]],
            "fwd_z": rng.standard_normal((8, z)).astype(np.float32),
            "fwd_c_a": np.eye(NUM_CLASSES, dtype=np.float32)[np.arange(8) % NUM_CLASSES],
            "fwd_c_b": np.eye(NUM_CLASSES, dtype=np.float32)[(np.arange(8) + 5) % NUM_CLASSES],
            # train_vae's one-epoch check, and held-out images to measure it
            "smoke_images": x_train[:int(t["smoke_images"])], "smoke_labels": y_train[:int(t["smoke_images"])],
            "eval_images": x_test[-EVAL_IMAGES:], "eval_labels": y_test[-EVAL_IMAGES:],
            "eval_eps": rng.standard_normal((EVAL_IMAGES, z)).astype(np.float32),
            "probe_vae": self.probe("vae"), "probe_cvae": self.probe("cvae"),
        }
        for case, inputs in self.loss_inputs.items():
            for key, value in inputs.items():
                arrays[f"loss_{case}_{key}"] = value
        return arrays

    @cached_property
    def loss_inputs(self):
        """Item 3's fixed inputs: {case: {x_hat, x, mu, logvar}}; the rubric judges the same ones."""
        x_test = self.mnist_arrays[1][0]
        rng, n, z = self.rng("loss"), 8, 15
        x = (x_test[100:100 + n, None] / 255.0).astype(np.float32)
        x_hat = rng.uniform(0.02, 0.98, x.shape).astype(np.float32)
        mu = rng.normal(0, 1.5, (n, z)).astype(np.float32)
        logvar = rng.uniform(-2, 1, (n, z)).astype(np.float32)
        base = {"x_hat": x_hat, "x": x, "mu": mu, "logvar": logvar}
        doubled = {k: np.concatenate([v, v]) for k, v in base.items()}
        no_kl = dict(base, mu=np.zeros_like(mu), logvar=np.zeros_like(logvar))
        return {"base": base, "doubled": doubled, "no_kl": no_kl}
