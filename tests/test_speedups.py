"""Does the given speedups.py change how fast training runs, and never what it computes?

Its install() patches Keras for the whole process, so the checks that need it run in a fresh
Python process each (SCRIPT); the math is compared against Keras's own eager update.
"""
import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT

SCRIPT = r"""
import json, sys
sys.path.insert(0, {solutions!r})
import keras, numpy as np, tensorflow as tf
import speedups

def run(make, steps, patched, call):
    keras.utils.set_random_seed(0)
    variables = [tf.Variable(np.random.default_rng(0).normal(size=s).astype("float32")) for s in ((5, 3), (3,))]
    optimizer = make()
    rng = np.random.default_rng(1)
    for _ in range(steps):
        grads = [tf.constant(rng.normal(size=v.shape).astype("float32")) for v in variables]
        if call == "apply":
            optimizer.apply(grads, variables)
        else:
            optimizer.apply_gradients(zip(grads, variables))
    return [v.numpy().tolist() for v in variables], int(optimizer.iterations.numpy()), \
        "_compiled_updates" in optimizer.__dict__

makers = {{
    "Adam": lambda: keras.optimizers.Adam(1e-2),
    "tf.keras Adam": lambda: tf.keras.optimizers.Adam(learning_rate=1e-2),
    "SGD momentum": lambda: keras.optimizers.SGD(0.1, momentum=0.9),
    "RMSprop": lambda: tf.keras.optimizers.RMSprop(1e-2),
    "AdamW": lambda: keras.optimizers.AdamW(1e-2, weight_decay=0.1),
}}
plain = {{name: run(make, 20, False, "apply_gradients") for name, make in makers.items()}}
speedups.install()
speedups.install()  # twice: still Keras's math underneath, not a recursion
compiled = {{f"{{name}} {{call}}": run(make, 20, True, call) for name, make in makers.items()
            for call in ("apply_gradients", "apply")}}

# Random ops without an op seed, under a global seed: fresh noise per call, same sequence per run.
keras.utils.set_random_seed(7)
draws = [tf.random.normal((3,)).numpy().tolist() for _ in range(4)]
print(json.dumps({{"plain": plain, "compiled": compiled, "draws": draws}}))
"""


@pytest.fixture(scope="module")
def runs():
    """Two fresh processes running SCRIPT (two, to compare their random draws)."""
    out = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", SCRIPT.format(solutions=str(ROOT / "solutions"))],
                              capture_output=True, text=True, env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"})
        assert proc.returncode == 0, proc.stderr[-3000:]
        out.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return out


@pytest.mark.parametrize("name", ["Adam", "tf.keras Adam", "SGD momentum", "RMSprop", "AdamW"])
@pytest.mark.parametrize("call", ["apply_gradients", "apply"])
def test_compiled_update_is_the_optimizers_own_math(runs, name, call):
    """After 20 steps, do compiled updates leave the weights where Keras's eager updates do?"""
    plain_weights, plain_steps, plain_compiled = runs[0]["plain"][name]
    weights, steps, compiled = runs[0]["compiled"][f"{name} {call}"]
    assert compiled and not plain_compiled, "the update did not (or already did) run through the compiled path"
    assert steps == plain_steps == 20
    for ours, theirs in zip(weights, plain_weights):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_unseeded_random_ops_stay_fresh_and_reproducible(runs):
    """With one eager op seed, does each call still draw new noise, the same sequence in every run?"""
    draws = runs[0]["draws"]
    assert all(draws[i] != draws[j] for i in range(4) for j in range(i))
    assert draws == runs[1]["draws"]
