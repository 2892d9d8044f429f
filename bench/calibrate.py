"""Which batch size and learning rate should students and the grader use? Prints, for each
setting, the reference's per-epoch training loss, its test loss after the run, its seconds per
epoch, and (for the CVAE) the classifier's accuracy on its generations.

    .venv/bin/python bench/calibrate.py                        # the default: batch 128, lr 1e-3
    .venv/bin/python bench/calibrate.py --batch 512 --lr 1e-3 --seeds 0 1 2

It trains with the reference's own eager train_vae (a GradientTape per batch, as students
write it), with the given speedups installed, as students' own runs do.
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

import assignment  # noqa: E402
import speedups  # noqa: E402
from autograder.evidence.classifier.model import load_classifier, predict_labels  # noqa: E402
from vae import CVAE, VAE  # noqa: E402


def generation_accuracy(model, classifier, seed, per_digit=100):
    z = np.random.default_rng(seed).standard_normal((10 * per_digit, model.latent_size)).astype(np.float32)
    labels = np.repeat(np.arange(10), per_digit)
    images = model.decoder(tf.concat([z, assignment.one_hot(labels, 10)], axis=1)).numpy()
    return float((predict_labels(classifier, images) == labels).mean())


def run(batch, lr, epochs, seed, conditional, data, classifier):
    keras.utils.set_random_seed(seed)
    (x, y), (x_test, y_test) = data
    args = assignment.parseArguments(["--batch_size", str(batch), "--learning_rate", str(lr)])
    batches = assignment.to_batches(x, y, batch, shuffle_buffer=1024)
    model = CVAE(784, latent_size=15) if conditional else VAE(784, latent_size=15)
    model.compile(optimizer=keras.optimizers.Adam(lr))
    losses, seconds = [], []
    for _ in range(epochs):
        start = time.perf_counter()
        losses.append(assignment.train_vae(model, batches, args, is_cvae=conditional) / len(batches))
        seconds.append(time.perf_counter() - start)
    test = assignment.evaluate(model, x_test, y_test, is_cvae=conditional)
    line = (f"{'CVAE' if conditional else 'VAE ':4} batch {batch:4d} lr {lr:g} seed {seed}: test loss {test:6.2f}, "
            f"{np.median(seconds):5.1f} s/epoch, train loss by epoch {' '.join(f'{v:.1f}' for v in losses)}")
    if conditional:
        line += f", accuracy {generation_accuracy(model, classifier, seed):.3f}"
    print(line, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[128])
    parser.add_argument("--lr", type=float, nargs="+", default=[1e-3])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    speedups.install()
    data, classifier = assignment.read_mnist(), load_classifier()
    for batch in args.batch:
        for lr in args.lr:
            for seed in args.seeds:
                for conditional in (False, True):
                    run(batch, lr, args.epochs, seed, conditional, data, classifier)


if __name__ == "__main__":
    main()
