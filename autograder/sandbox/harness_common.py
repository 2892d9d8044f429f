"""What every stage of the harness uses: TensorFlow's setup, the training batches, the optimizers' state, the export.

Runs INSIDE the sandboxed process, like harness.py (standalone: the standard library, NumPy, TensorFlow).
"""
import importlib
import os
import sys
import warnings
import weakref

import numpy as np


def setup_tensorflow(request):
    """Cap threads, make ops deterministic, compile optimizer updates, map Keras-2 names; return
    TensorFlow's device."""
    import tensorflow as tf

    threads = int(request.get("threads") or 0)
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(max(1, threads // 2))
    tf.config.experimental.enable_op_determinism()
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        tf.config.experimental.set_memory_growth(gpu, True)  # take GPU memory as needed, not all of it
    # The grader's copies of the given modules (restored over the student's), as main() uses them:
    # compat maps Keras 2's removed names before vae.py is imported; speedups compiles every Keras
    # optimizer's update and keeps eager random ops' memory flat under a global seed.
    compat = importlib.import_module("compat")
    warnings.filterwarnings("ignore", category=compat.Keras2Mapping)  # recorded instead (keras2_notes)
    importlib.import_module("speedups").install()
    OPTIMIZERS.install()
    if not gpus:
        return "CPU"
    details = tf.config.experimental.get_device_details(gpus[0])
    return f"GPU ({details.get('device_name', gpus[0].name)})"


_NOTES_TAKEN = [0]


def keras2_notes():
    """What the given compat.py mapped (Keras 2's names on Keras 3) since this was last called."""
    compat = sys.modules.get("compat")
    notes = list(getattr(compat, "NOTES", []))[_NOTES_TAKEN[0]:]
    _NOTES_TAKEN[0] += len(notes)
    return notes


def training_batches(assignment, images, labels, batch_size):
    """The given to_batches's shuffled training batches, with tf.data's autotuning off.

    When the process has one core (taskset, a 1-vCPU runner), the training loop often waits on
    its tuning thread: up to 1.78x its CPU time in bench/data_pipeline.py, never with it off.
    The batches and their order stay the same (tests/test_training_batches.py).
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return assignment.to_batches(images, labels, batch_size, shuffle_buffer=1024).with_options(options)


class Optimizers:
    """The Keras optimizers this process made, and what each did, read from its own state.

    Whether train_vae keeps one optimizer (and Adam's state) across epochs is read from each
    optimizer's `iterations`, which its update increments eagerly, in a tf.function and under
    XLA alike; a Python hook on apply() would run only while a tf.function traces. Which
    optimizers exist is known from their construction, which always runs Python.
    """

    def __init__(self):
        self.alive = weakref.WeakValueDictionary()  # serial -> optimizer; a dropped one is freed
        self.made = 0
        self.made_at_mark = 0

    def install(self):
        from keras.src.optimizers.base_optimizer import BaseOptimizer

        inner, registry = BaseOptimizer.__init__, self

        def __init__(optimizer, *args, **kwargs):
            inner(optimizer, *args, **kwargs)
            registry.serial(optimizer)
        BaseOptimizer.__init__ = __init__

    def serial(self, optimizer):
        """A number for each optimizer object, never reused (ids of freed objects are)."""
        if optimizer is None:
            return None
        if "_grader_serial" not in optimizer.__dict__:
            self.made += 1
            optimizer.__dict__["_grader_serial"] = self.made
            self.alive[self.made] = optimizer
        return optimizer.__dict__["_grader_serial"]

    def mark(self):
        self.made_at_mark = self.made

    def since_mark(self):
        """{"steps": {serial: iterations} of the live optimizers that took a step, "made": the
        serials of those made since the last mark()}, JSON-friendly."""
        steps = {}
        for serial, optimizer in list(self.alive.items()):
            try:
                count = int(np.asarray(optimizer.iterations))
            except Exception:  # not built, or not a Keras 3 optimizer after all
                continue
            if count:
                steps[str(serial)] = count
        return {"steps": steps, "made": [str(s) for s in range(self.made_at_mark + 1, self.made + 1)]}


OPTIMIZERS = Optimizers()


def rss_mib():
    """This process's resident memory, in MiB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def seed(request):
    import keras
    keras.utils.set_random_seed(int(request["seed"]))


def numpy_of(value):
    """A student's return value as a float32 array, or a TypeError that names what it was."""
    try:
        return np.asarray(value, dtype=np.float32)
    except Exception:
        raise TypeError(f"expected a tensor or number, got {type(value).__name__}") from None


def outputs_of(result, expected=3):
    """Unpack a model's (x_hat, mu, logvar), with a clear error if it returned something else."""
    if not isinstance(result, (tuple, list)) or len(result) != expected:
        kind = f"{type(result).__name__} of length {len(result)}" if isinstance(result, (tuple, list)) \
            else type(result).__name__
        raise TypeError(f"the model must return (x_hat, mu, logvar); it returned a {kind}")
    return [numpy_of(v) for v in result]


def export(encode, decode, count, eps, batch=500):
    """What the grader needs to measure a model's loss itself, for `count` images in batches:

    mu, logvar (N, Z): the posterior, from encode(rows) -> (mu, logvar, c) of those images (c: the
    batch's one-hot labels, or None);
    x_hat (N, H * W): decode(z, c) of z = mu + sigma * eps, used only for decoders the grader
    cannot rebuild (it decodes with its own noise, which this process never sees).
    """
    mus, logvars, x_hats = [], [], []
    for start in range(0, count, batch):
        rows = slice(start, start + batch)
        mu, logvar, c = encode(rows)
        z = mu + np.exp(0.5 * logvar) * eps[rows]  # (n, Z)
        x_hats.append(numpy_of(decode(z, c)).reshape(len(z), -1))
        mus.append(mu)
        logvars.append(logvar)
    return {"mu": np.concatenate(mus), "logvar": np.concatenate(logvars), "x_hat": np.concatenate(x_hats)}
