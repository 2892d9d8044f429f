"""What does one training step cost, as the grader runs a student's loop and compiled whole? Prints figures from one run.

    .venv/bin/python bench/step_cost.py                  # widths 400 (the reference), 512, 750; ~2 min
    .venv/bin/python bench/step_cost.py --widths 256 400

A VAE shaped like the reference's (3 hidden Dense layers each side, latent 15) at each hidden
width, one TensorFlow thread, batch 128, the given speedups.install(). Two ways, each timed over
the same steps after a warm-up:
- grader: the student's eager step (tape, gradient, apply_gradients) around model.call and the
  loss compiled with tf.function, as the sandbox runs it;
- whole step: the same step inside one tf.function, the limit for this model on this CPU, which
  the grader cannot reach without rewriting the student's train_vae.
"""
import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, str(ROOT / "solutions"))
import speedups  # noqa: E402
import vae  # noqa: E402

BATCH, LATENT = 128, 15


class WideVAE(keras.Model):
    def __init__(self, width):
        super().__init__()
        dense = keras.layers.Dense
        self.encoder = keras.Sequential([keras.layers.Flatten()] + [dense(width, activation="relu") for _ in range(3)])
        self.mu_layer, self.logvar_layer = dense(LATENT), dense(LATENT)
        self.decoder = keras.Sequential([dense(width, activation="relu") for _ in range(3)]
                                        + [dense(784, activation="sigmoid"), keras.layers.Reshape((1, 28, 28))])

    def call(self, x):
        h = self.encoder(x)
        mu, logvar = self.mu_layer(h), self.logvar_layer(h)
        return self.decoder(vae.reparameterize(mu, logvar)), mu, logvar


def ms_per_step(width, whole, steps):
    keras.utils.set_random_seed(0)
    model, optimizer = WideVAE(width), keras.optimizers.Adam(1e-3)
    x = tf.random.stateless_uniform((BATCH, 1, 28, 28), seed=(1, 2))
    model(x)
    loss_function = vae.loss_function
    if not whole:
        object.__setattr__(model, "call", tf.function(model.call))
        loss_function = tf.function(vae.loss_function)

    def step():
        with tf.GradientTape() as tape:
            x_hat, mu, logvar = model(x)
            loss = loss_function(x_hat, x, mu, logvar)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    step = tf.function(step) if whole else step
    for _ in range(20):
        step()
    start = time.process_time()
    for _ in range(steps):
        float(step())
    return (time.process_time() - start) / steps * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[400, 512, 750])
    parser.add_argument("--steps", type=int, default=150)
    args = parser.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    speedups.install()
    print(f"CPU ms per training step (batch {BATCH}, one thread, {args.steps} steps each)")
    print(f"{'width':>5} {'grader':>8} {'whole step':>11} {'whole / grader':>15}")
    for width in args.widths:
        grader, whole = ms_per_step(width, False, args.steps), ms_per_step(width, True, args.steps)
        print(f"{width:5d} {grader:8.1f} {whole:11.1f} {whole / grader:15.2f}")


if __name__ == "__main__":
    main()
