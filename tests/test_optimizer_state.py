"""Does item 5.3 read the same verdict from a train_vae that runs eagerly, in a tf.function or under XLA?

The harness (sandbox/harness_common.Optimizers) reads each optimizer's own `iterations` after each
call of train_vae; evidence/training.optimizer_use turns two calls into the verdict. SCRIPT runs
each loop for two calls in a fresh process, with the sandbox's setup (the given compat.py and
speedups.py installed), and prints what the harness recorded.
"""
import json
import subprocess
import sys

import pytest

from autograder.evidence.training import optimizer_use
from conftest import ROOT

SCRIPT = r"""
import json, sys
sys.path[:0] = [{sandbox!r}, {solutions!r}]
import harness_common
harness_common.setup_tensorflow({{"threads": 1}})
import keras, tensorflow as tf
from vae import VAE, loss_function
from harness_common import OPTIMIZERS

def loss_of(model, x):
    x_hat, mu, logvar = model(x)
    return loss_function(x_hat, x, mu, logvar)

def eager_step(model, x, optimizer):
    with tf.GradientTape() as tape:
        loss = loss_of(model, x)
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    return loss

compiled = lambda f: tf.function(f)
xla = lambda f: tf.function(f, jit_compile=True)
own = {{}}

def kept(wrap):  # model.optimizer, as the handout asks; one (module-level) step for the process
    step = wrap(eager_step)

    def train_vae(model, data):
        return sum(float(step(model, x, model.optimizer)) for x, _ in data)
    return train_vae

def new_each_call(wrap):  # a new Adam (and, compiled, a new step) in every call
    def train_vae(model, data):
        optimizer, step = keras.optimizers.Adam(1e-3), wrap(eager_step)
        return sum(float(step(model, x, optimizer)) for x, _ in data)
    return train_vae

def own_kept(wrap):  # an Adam of the student's own, made once
    step = wrap(eager_step)

    def train_vae(model, data):
        optimizer = own.setdefault(id(model), keras.optimizers.Adam(1e-3))
        return sum(float(step(model, x, optimizer)) for x, _ in data)
    return train_vae

def fit(model, data):
    return model.fit(data, epochs=1, verbose=0).history["loss"][-1]

class FitVAE(VAE):
    def train_step(self, data):
        x, _ = data
        with tf.GradientTape() as tape:
            loss = loss_of(self, x)
        self.optimizer.apply_gradients(zip(tape.gradient(loss, self.trainable_variables), self.trainable_variables))
        return {{"loss": loss}}

loops = {{
    "eager, model.optimizer": kept(lambda f: f),
    "tf.function, model.optimizer": kept(compiled),
    "XLA, model.optimizer": kept(xla),
    "fit, model.optimizer": fit,
    "eager, new Adam each call": new_each_call(lambda f: f),
    "tf.function, new Adam each call": new_each_call(compiled),
    "XLA, new Adam each call": new_each_call(xla),
    "tf.function, own Adam kept": own_kept(compiled),
    "XLA, own Adam kept": own_kept(xla),
}}
keras.utils.set_random_seed(0)
data = tf.data.Dataset.from_tensor_slices((tf.random.uniform((256, 1, 28, 28)), tf.zeros(256))).batch(64)
records = {{}}
for name, train_vae in loops.items():
    model = (FitVAE if name.startswith("fit") else VAE)(784)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model(tf.zeros((1, 1, 28, 28)))
    model.optimizer.build(model.trainable_variables)
    given = OPTIMIZERS.serial(model.optimizer)
    OPTIMIZERS.mark()
    calls = []
    for _ in range(2):
        train_vae(model, data)
        calls.append({{"optimizers": OPTIMIZERS.since_mark()}})
        OPTIMIZERS.mark()
    records[name] = {{"calls": calls, "given": given}}
print(json.dumps(records))
"""

VERDICTS = {  # (kept, own, new_each_call) for each loop of SCRIPT
    "eager, model.optimizer": (True, False, False),
    "tf.function, model.optimizer": (True, False, False),
    "XLA, model.optimizer": (True, False, False),
    "fit, model.optimizer": (True, False, False),
    "eager, new Adam each call": (False, False, True),
    "tf.function, new Adam each call": (False, False, True),
    "XLA, new Adam each call": (False, False, True),
    "tf.function, own Adam kept": (True, True, False),
    "XLA, own Adam kept": (True, True, False),
}


@pytest.fixture(scope="module")
def records():
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(sandbox=str(ROOT / "autograder" / "sandbox"),
                                                              solutions=str(ROOT / "solutions"))],
                          capture_output=True, text=True, env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("loop", VERDICTS)
def test_item_5_3_verdict_is_the_same_eager_compiled_and_xla(records, loop):
    """Does two calls' record say whether the optimizer was kept (model.optimizer or the student's own)
    or made anew in each call, whether the loop ran eagerly, in a tf.function, under XLA or in fit?"""
    first, second = records[loop]["calls"]
    use = optimizer_use(first, second, records[loop]["given"])
    assert (use.kept, use.own, use.new_each_call) == VERDICTS[loop], (first, second)
    assert use.stepped
