"""Given, do not modify. Makes an eager TensorFlow training loop fast and keeps its memory flat.

assignment.main() calls install() once, before training; the autograder does the same. It
changes how your code runs, never what it computes:

- Every Keras optimizer's update (apply_gradients or apply, on Adam, SGD, RMSprop, ...) runs
  as one compiled TensorFlow graph. Run eagerly, Keras dispatches each variable's update op by
  op, which costs more than the forward and backward passes together. The math is the
  optimizer's own: the graph calls its apply(). Without a tf.distribute strategy, the graph
  updates the variables through Keras's backend-neutral code (update_step on each variable),
  not through tf.distribute's, which would keep every optimizer's slots alive after it is gone
  (~12 MB per Adam for the reference VAE; a train_vae that makes one per epoch adds that up).
- Random ops without a seed of their own (tf.random.normal(...)) reuse one cached kernel.
  Once a global seed is set (keras.utils.set_random_seed), TensorFlow gives each eager call a
  new op seed and caches a new kernel for it: ~0.8 MB a training step, over 3 GB in 10 epochs.
  With one op seed, the cached kernel's own counter advances on every call, so each call still
  draws fresh noise, and the sequence still depends only on the global seed. Keras's Keras-2
  backend (tf.keras.backend.random_normal, K.random_uniform, ...) draws a new op seed from NumPy
  on every call instead, with the same cost (~34 KB a call); given no seed, eager calls get the
  one op seed too.
"""
import functools
import sys
import types
import weakref

import keras
import tensorflow as tf
from keras.src.optimizers.base_optimizer import BaseOptimizer  # Keras's backend-neutral update code
from tensorflow.python.eager import context as tf_context  # no public API sets the eager op seed

EAGER_OP_SEED = 87654321  # any constant; the global seed still decides the stream
# Keras's own apply, also when this file is imported a second time under another name.
_BASE_APPLY = getattr(keras.optimizers.Optimizer.apply, "keras_apply", keras.optimizers.Optimizer.apply)


KERAS2_RANDOM = ("random_normal", "random_uniform", "truncated_normal", "random_bernoulli", "dropout")


def install():
    """Compile optimizer updates and keep the kernel cache from growing, in this process. Idempotent."""
    keras.optimizers.Optimizer.apply = _compiled_apply
    tf_context.context()._internal_operation_seed = lambda: EAGER_OP_SEED
    from keras.src.legacy import backend as keras2_backend  # what tf.keras.backend's random functions are
    namespaces = [keras2_backend] + [sys.modules[name] for name in ("keras._tf_keras.keras.backend",)
                                     if name in sys.modules]
    for name in KERAS2_RANDOM:
        for namespace in namespaces:
            if not hasattr(getattr(namespace, name, None), "keras_random"):
                setattr(namespace, name, _one_eager_seed(getattr(keras2_backend, name)))


def _one_eager_seed(func):
    """A Keras-2 backend random function whose eager calls without a seed use EAGER_OP_SEED.
    (Traced code keeps Keras's per-call seeds: in a graph, two ops with one seed draw alike.)"""
    func = getattr(func, "keras_random", func)

    @functools.wraps(func)
    def call(*args, seed=None, **kwargs):
        if seed is None and tf.executing_eagerly():
            seed = EAGER_OP_SEED
        return func(*args, seed=seed, **kwargs)
    call.keras_random = func
    return call


def _compiled_apply(self, grads, trainable_variables=None):
    """Optimizer.apply, run as a tf.function compiled once per optimizer and variable list."""
    if not tf.executing_eagerly() or (trainable_variables is None and not self.built):
        return _BASE_APPLY(self, grads, trainable_variables)  # in a graph already, or Keras's error
    variables = list(self._trainable_variables if trainable_variables is None else trainable_variables)
    if not self.built:
        self.build(variables)  # create the optimizer's slots eagerly, outside the graph
    compiled = self.__dict__.setdefault("_compiled_updates", {})
    key = tuple(id(v) for v in variables)
    if key not in compiled:
        optimizer = weakref.ref(self)  # no cycle: a dropped optimizer is freed at once, slots and all
        compiled[key] = tf.function(lambda g: _traced_apply(optimizer(), g, variables))
    compiled[key](list(grads))


def _traced_apply(optimizer, grads, variables):
    """Keras's apply, as traced into the graph; single-device updates skip tf.distribute."""
    if tf.distribute.has_strategy():
        return _BASE_APPLY(optimizer, grads, variables)
    neutral = {name: types.MethodType(getattr(BaseOptimizer, name), optimizer)
               for name in ("_backend_update_step", "_apply_weight_decay")}
    optimizer.__dict__.update(neutral)  # read only while tracing; removed below
    try:
        return _BASE_APPLY(optimizer, grads, variables)
    finally:
        for name in neutral:
            del optimizer.__dict__[name]


_compiled_apply.keras_apply = _BASE_APPLY
