"""Does the sandbox compile a student's model call and loss only when that is the same computation?

Each case is a small model in a style students write; compile_training must compile the ones that
are graph-safe and keep the eager code, saying why, for the ones that are not.
"""
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import ROOT, load_module

sys.path.insert(0, str(ROOT / "autograder" / "sandbox"))
import harness_compile  # noqa: E402  (a standalone sandbox module)

vae = load_module(ROOT / "solutions" / "vae.py", "compile_vae")
N = 8


class Modules:
    """Stand-ins for the student's vae and assignment modules: train_vae sees loss_function."""

    def __init__(self, loss):
        self.loss_function = loss


def images():
    return tf.random.stateless_uniform((N, 1, 28, 28), seed=(3, 0))


def decide(model, loss=vae.loss_function):
    keras.utils.set_random_seed(0)
    model(images())  # the harness builds the weights eagerly first
    modules = Modules(loss), Modules(loss)
    decisions, events = harness_compile.compile_training(model, modules, (images(),), tf.zeros((N, 15)))
    return decisions, events, modules


def test_reference_runs_compiled():
    """Are the reference's call and loss compiled, and does the compiled model still train the same weights?"""
    model = vae.VAE(784)
    decisions, events, (student_vae, assignment) = decide(model)
    assert decisions == {"call": "compiled", "loss": "compiled"} and not events
    assert isinstance(model.call, harness_compile.Guarded) and isinstance(assignment.loss_function, harness_compile.Guarded)
    x_hat, mu, logvar = model(images())
    assert x_hat.shape == (N, 1, 28, 28) and mu.shape == (N, 15)


def test_eager_only_loss_stays_eager():
    """Does a loss that calls .numpy() (eager only) keep its eager code, with the reason?"""
    def loss(x_hat, x, mu, logvar):
        return vae.loss_function(x_hat, x, mu, logvar) * tf.shape(x).numpy()[0] / tf.shape(x).numpy()[0]

    decisions, _, (_, assignment) = decide(vae.VAE(784), loss)
    assert decisions["call"] == "compiled"
    assert decisions["loss"].startswith("tracing the loss failed (AttributeError") and assignment.loss_function is loss


class NumpyNoise(vae.VAE):
    """reparameterize with NumPy's noise: traced once, it would be one constant forever."""

    def call(self, x):
        features = self.encoder(x)
        mu, logvar = self.mu_layer(features), self.logvar_layer(features)
        z = mu + tf.exp(0.5 * logvar) * np.random.normal(size=(N, 15)).astype("float32")
        return self.decoder(z), mu, logvar


class Counter(vae.VAE):
    """A Python-side counter in call (KL annealing, say): tracing would freeze it."""

    steps = 0

    def call(self, x):
        self.steps += 1
        x_hat, mu, logvar = super().call(x)
        return x_hat, mu * min(1.0, self.steps / 100), logvar


@pytest.mark.parametrize("model, reason", [
    (NumpyNoise, "drew the same noise"),
    (Counter, "two eager calls on the same images gave different mu or logvar"),
])
def test_graph_unsafe_calls_stay_eager(model, reason):
    """Does a call whose traced version would compute something else keep its eager code?"""
    instance = model(784)
    decisions, _, _ = decide(instance)
    assert reason in decisions["call"]
    assert not isinstance(instance.call, harness_compile.Guarded)


def test_retracing_falls_back_to_eager():
    """Does a function traced on every call go back to eager code, and say so?"""
    events = []
    guarded = harness_compile.Guarded(lambda x, scale: x * scale, "f", events)
    values = [float(guarded(tf.constant(2.0), scale)) for scale in range(1, 9)]  # a new Python int: a new trace
    assert values == [2.0 * s for s in range(1, 9)]
    assert guarded.use_eager and guarded.traces == harness_compile.MAX_TRACES + 1
    assert len(events) == 1 and "traced" in events[0]


def test_a_students_own_tf_function_traces_their_code():
    """Inside the student's own tf.function (an XLA step, say), do the compiled call and loss trace
    the student's code into it, instead of nesting the sandbox's tf.function in theirs?"""
    model = vae.VAE(784)
    _, _, modules = decide(model)
    call, loss = model.call, modules[1].loss_function
    traces = call.traces, loss.traces

    @tf.function(jit_compile=True)
    def step(x):
        x_hat, mu, logvar = model(x)
        return loss(x_hat, x, mu, logvar)

    assert np.isfinite(float(step(images())))
    assert (call.traces, loss.traces) == traces  # their step traced the student's own code
