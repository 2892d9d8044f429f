"""Where should the optional parts' thresholds sit? Trains each part's reference model with the
grader's budget ([part_training] in autograder/config.toml) and prints what items 10.4, 10.5 and
12.3 measure, per seed.

    .venv/bin/python bench/calibrate_parts.py                 # seeds 0 1 2 (~10 min on 2 cores)
    .venv/bin/python bench/calibrate_parts.py --seeds 0 --epochs 1 --train-images 10000

Figures use the grader's own formulas: autograder/evidence/elbo.py for the ConvVAE's negative ELBO, the
grader's classifier for the generations, and autograder/evidence/mmd_formula.py for the MMD to N(0, I).
"""
import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "solutions"), str(ROOT)]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import conv_vae  # noqa: E402
import mmd  # noqa: E402
from autograder.evidence import elbo  # noqa: E402
from autograder.evidence.classifier.model import load_classifier, predict_probs, to_nhwc  # noqa: E402
from autograder.config import load_config  # noqa: E402
from autograder.evidence.data import load_mnist_arrays  # noqa: E402
from autograder.evidence.mmd_formula import mmd as grader_mmd  # noqa: E402

C = 10


def negative_elbo(model, x, c, rng):
    """The grader's per-image negative ELBO, on z drawn with its own noise."""
    mu, logvar, _ = [np.asarray(a) for a in model.encode(x, c)]
    z = mu + np.exp(0.5 * logvar) * rng.standard_normal(mu.shape).astype(np.float32)
    return float(elbo.negative_elbo(x, np.asarray(model.decode(z, c)), mu, logvar).mean())


def run(seed, budget, data, classifier):
    (x_train, y_train), (x_test, y_test) = data
    n, m = budget["train_images"], budget["test_images"]
    images, labels = x_train[:n, ..., None], y_train[:n]
    x = x_test[:m, ..., None].astype(np.float32) / 255.0
    c = tf.one_hot(y_test[:m], C)
    rng = np.random.default_rng(seed)
    figures = []

    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    model = conv_vae.ConvVAE()
    conv_vae.train_model(model, images, labels, budget["epochs"], verbose=0)
    figures.append(f"ConvVAE loss {negative_elbo(model, x, None, rng):.2f} ({time.perf_counter() - start:.0f} s)")

    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    model = conv_vae.ConditionalConvVAE()
    conv_vae.train_model(model, images, labels, budget["epochs"], verbose=0)
    wanted = np.repeat(np.arange(C), budget["generations_per_digit"])
    z = rng.standard_normal((len(wanted), 2)).astype(np.float32)
    generated = np.asarray(model.decode(z, tf.one_hot(wanted, C))).reshape(len(wanted), -1)
    accuracy = (predict_probs(classifier, to_nhwc(generated)).argmax(1) == wanted).mean()
    figures.append(f"conditional accuracy {accuracy:.1%} ({time.perf_counter() - start:.0f} s)")

    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    model, _ = mmd.train_mmd_vae(images, labels, budget["mmd_epochs"])
    codes = np.asarray(model.encode(x[:1000])[0])
    distance = grader_mmd(codes, rng.standard_normal((1000, 2)))
    decoded = np.asarray(model.decode(rng.standard_normal((500, 2)).astype(np.float32))).reshape(500, -1)
    shares = np.bincount(predict_probs(classifier, to_nhwc(decoded)).argmax(1), minlength=C) / 500
    figures.append(f"MMDVAE MMD to N(0, I) {distance:.3f}, digits {int((shares >= 0.02).sum())} "
                   f"({time.perf_counter() - start:.0f} s)")
    print(f"seed {seed}: " + "; ".join(figures), flush=True)


def main():
    budget = dict(load_config().raw["part_training"])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=budget["epochs"], help="ConvVAE and conditional epochs")
    parser.add_argument("--train-images", type=int, default=budget["train_images"])
    args = parser.parse_args()
    budget.update(epochs=args.epochs, train_images=args.train_images)
    print(f"budget: {budget}")
    data, classifier = load_mnist_arrays(), load_classifier()
    tf.config.experimental.enable_op_determinism()
    for seed in args.seeds:
        run(seed, budget, data, classifier)


if __name__ == "__main__":
    main()
