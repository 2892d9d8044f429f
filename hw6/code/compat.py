"""Given, do not modify. Runs Keras-2-era code on Keras 3, and says when your TensorFlow is not the grader's.

assignment.py and test_sanity.py import this module before vae.py; the autograder does the same.
Importing it does two things, both idempotent:

- It says, in one line, when the TensorFlow or Keras you run differs from the grader's pins
  (../requirements.txt), and what to install.
- It maps what Keras 3 removed from Keras 2 and code from older courses and tutorials still
  uses, onto Keras 3's own equivalent, with the same math. Each mapping says once, when first
  used, what it mapped (a Keras2Mapping warning; the autograder lists them in its results):

      tf.keras.optimizers.legacy.Adam(...)       keras.optimizers.Adam(...), and every legacy optimizer
      tf.keras.optimizers.experimental.Adam(...) keras.optimizers.Adam(...), and every optimizer
      Adam(lr=1e-3), Adam(decay=1e-6)            learning_rate=1e-3; decay as Keras 2 applied it
      optimizer.lr                               optimizer.learning_rate
      optimizer.minimize(loss, var_list, tape)   tape.gradient, then optimizer.apply_gradients
      metric.reset_states()                      metric.reset_state()
      keras.backend.random_normal, K.exp, ...    Keras 3's Keras-2 backend (tf.keras.backend's)
      keras.losses.Reduction.SUM                 "sum" (Keras 3 names reductions by strings)
"""
import functools
import inspect
import os
import sys
import types
import warnings

import keras
import tensorflow as tf

REQUIREMENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "requirements.txt")
NOTES = []  # what was mapped, in the order first used; the autograder reads it


class Keras2Mapping(UserWarning):
    """Keras-2 code ran as its Keras 3 equivalent."""


def note(message):
    """Say once what was mapped, pointing at the line of your code that used it."""
    if message in NOTES:
        return
    NOTES.append(message)
    frame, level = sys._getframe(1), 2
    while frame is not None and is_library(frame.f_code.co_filename):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, Keras2Mapping, stacklevel=level)


def is_library(filename):
    """Whether a frame is this file's, Keras's or TensorFlow's (not yours)."""
    parts = os.path.normpath(filename).split(os.sep)
    return filename == __file__ or "keras" in parts or "tensorflow" in parts


# --- your versions against the grader's -----------------------------------------------------

def pinned(path=REQUIREMENTS):
    """{package: version} pinned with == in the grader's requirements file; {} if there is none."""
    try:
        with open(path) as f:
            lines = [line.split("#")[0].strip() for line in f]
    except OSError:
        return {}
    return dict(line.split("==", 1) for line in lines if "==" in line and not line.startswith("-"))


def version_note(path=REQUIREMENTS):
    """One line saying how this TensorFlow and Keras differ from the grader's, or "" if they don't."""
    pins = pinned(path)
    running = {"tensorflow": tf.__version__, "keras": keras.__version__}
    differ = [f"{name} {running[name]} (the grader runs {pins[name]})"
              for name in running if name in pins and running[name] != pins[name]]
    if not differ:
        return ""
    return (f"Note: you run {' and '.join(differ)}; results may differ from the grader's. "
            f"Install its versions: pip install -r {os.path.relpath(os.path.normpath(path))}")


# --- Keras-2 names, mapped ---------------------------------------------------------------------

def optimizer_classes():
    """Keras 3's optimizers by name: Adam, SGD, RMSprop, ..."""
    return {name: cls for name, cls in vars(keras.optimizers).items()
            if isinstance(cls, type) and issubclass(cls, keras.optimizers.Optimizer)
            and cls is not keras.optimizers.Optimizer}


def keras2_arguments(cls, args, kwargs, legacy):
    """The constructor's arguments by name, with Keras 2's `lr` and (for legacy optimizers)
    `decay` turned into Keras 3's learning_rate."""
    params = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "kwargs")]
    named = dict(zip(params, args), **kwargs)
    if "lr" in named:
        note(f"{cls.__name__}(lr=...) is gone in Keras 3; graded as {cls.__name__}(learning_rate=...)")
        named["learning_rate"] = named.pop("lr")
    decay = named.pop("decay", 0.0) if legacy else 0.0
    if decay:  # Keras 2's legacy optimizers: lr / (1 + decay * iterations)
        rate = named.get("learning_rate", inspect.signature(cls.__init__).parameters["learning_rate"].default)
        named["learning_rate"] = keras.optimizers.schedules.InverseTimeDecay(rate, decay_steps=1, decay_rate=decay)
        note(f"{cls.__name__}(decay={decay}) is gone in Keras 3; graded with an InverseTimeDecay learning "
             "rate, the decay Keras 2 applied")
    return named


def mapped_optimizer(cls, namespace):
    """A class named like Keras 3's optimizer `cls` that accepts Keras 2's arguments."""
    legacy = namespace.endswith("legacy")

    def __init__(self, *args, **kwargs):
        note(f"{namespace}.{cls.__name__} is gone in Keras 3; graded with keras.optimizers.{cls.__name__}, "
             "the same update")
        cls.__init__(self, **keras2_arguments(cls, args, kwargs, legacy))

    return type(cls.__name__, (cls,), {"__init__": __init__, "__module__": namespace,
                                       "__doc__": f"{namespace}.{cls.__name__}, run as keras.optimizers.{cls.__name__}."})


def optimizer_namespace(name):
    """The module tf.keras.optimizers.<name> (legacy, experimental) with every optimizer, mapped."""
    module = types.ModuleType(f"tf.keras.optimizers.{name}", f"Keras 2's optimizers.{name}, mapped by compat.py.")
    for cls in optimizer_classes().values():
        setattr(module, cls.__name__, mapped_optimizer(cls, f"tf.keras.optimizers.{name}"))
    module.Optimizer = keras.optimizers.Optimizer
    return module


def install_optimizers():
    from keras.src.optimizers.base_optimizer import BaseOptimizer

    keras_init = getattr(BaseOptimizer.__init__, "keras3", BaseOptimizer.__init__)

    def __init__(self, *args, **kwargs):  # Adam(lr=...): Keras 3 raises "Argument(s) not recognized"
        if "lr" in kwargs:
            note(f"{type(self).__name__}(lr=...) is gone in Keras 3; graded as {type(self).__name__}(learning_rate=...)")
            kwargs["learning_rate"] = kwargs.pop("lr")
        keras_init(self, *args, **kwargs)
    __init__.keras3 = keras_init
    BaseOptimizer.__init__ = __init__

    def lr(self):
        note("optimizer.lr is gone in Keras 3; graded as optimizer.learning_rate")
        return self.learning_rate

    def set_lr(self, value):
        note("optimizer.lr is gone in Keras 3; graded as optimizer.learning_rate")
        self.learning_rate = value
    BaseOptimizer.lr = property(lr, set_lr)
    BaseOptimizer.minimize = minimize

    keras_tf = sys.modules.get("keras._tf_keras.keras.optimizers")
    for name in ("legacy", "experimental"):
        module = optimizer_namespace(name)
        for parent in {keras.optimizers, tf.keras.optimizers, keras_tf} - {None}:
            setattr(parent, name, module)
            sys.modules[f"{parent.__name__}.{name}"] = module  # from ... import Adam
        sys.modules[f"tensorflow.keras.optimizers.{name}"] = module


def minimize(self, loss, var_list, tape=None, grad_loss=None, name=None):
    """Keras 2's Optimizer.minimize: the gradients of loss (a callable, or a tensor recorded on
    tape) with respect to var_list, applied with apply_gradients."""
    note("optimizer.minimize is gone in Keras 3; graded as tape.gradient, then apply_gradients, the same update")
    var_list = var_list() if callable(var_list) and not isinstance(var_list, (list, tuple)) else list(var_list)
    if tape is None:
        if not callable(loss):
            raise ValueError("optimizer.minimize needs `tape` when `loss` is a tensor (as in Keras 2)")
        with tf.GradientTape() as tape:
            tape.watch(var_list)
            loss = loss()
    grads = tape.gradient(loss, var_list, output_gradients=grad_loss)
    self.apply_gradients(zip(grads, var_list))
    return self.iterations


def install_metrics():
    def reset_states(self):
        note("metric.reset_states() is gone in Keras 3; graded as metric.reset_state()")
        self.reset_state()
    keras.metrics.Metric.reset_states = reset_states


def install_backend():
    """keras.backend's Keras-2 functions, from Keras 3's own Keras-2 backend (tf.keras.backend's)."""
    from keras.src.legacy import backend as keras2_backend

    def mapped(name, func):
        @functools.wraps(func)
        def call(*args, **kwargs):
            note("keras.backend's Keras-2 functions (K.random_normal, K.exp, K.sum, ...) are gone in Keras 3; "
                 "graded with tf.keras.backend's, Keras 3's own versions of them")
            return getattr(keras2_backend, name)(*args, **kwargs)  # as patched since (speedups.py)
        return call

    for name, func in vars(keras2_backend).items():
        if inspect.isfunction(func) and not name.startswith("_") and not hasattr(keras.backend, name):
            setattr(keras.backend, name, mapped(name, func))
    if not hasattr(keras.losses, "Reduction"):
        keras.losses.Reduction = types.SimpleNamespace(
            SUM="sum", NONE="none", AUTO="sum_over_batch_size", SUM_OVER_BATCH_SIZE="sum_over_batch_size")


def install():
    """Map Keras 2's names onto Keras 3. Idempotent. On Keras 2, say what to install instead."""
    if keras.__version__.startswith("2."):  # speedups.py and the grader need Keras 3
        raise ImportError(f"hw6 needs Keras 3; you run Keras {keras.__version__}. Install the grader's "
                          f"versions: pip install -r {os.path.relpath(os.path.normpath(REQUIREMENTS))}")
    if getattr(keras, "_hw6_compat", False):
        return
    install_optimizers()
    install_metrics()
    install_backend()
    keras._hw6_compat = True


if os.path.isfile(REQUIREMENTS) and version_note():  # a student's run: say it before anything fails
    print(version_note(), file=sys.stderr)
install()
