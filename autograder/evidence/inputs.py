"""The grader's inputs to the student's code, each drawn from a generator seeded by what it is for.

Seeded by the config's seed and a purpose ("functions", "probe", "secret-test-vae", ...), so an
input never shifts when another is added, and the rubric can recompute the right answers.
"""
from functools import cached_property

import numpy as np

from ..sandbox.harness_plan import NUM_CLASSES
from .data import load_mnist_arrays

EVAL_IMAGES = 500  # held-out images for item 5's loss before and after the first epoch
GRADER_TRAIN_IMAGES = 16  # training images the grader keeps (part_inputs uses them)
TEST_IMAGES = 10000  # MNIST's test set, which items 6 and 7 measure


class Inputs:
    """One submission's inputs: MNIST (the part the grader uses) and the seeded arrays of each stage."""

    def __init__(self, config, mnist):
        self.config, self.mnist = config, mnist  # mnist: the path of mnist.npz
        self.training_cfg = config.training

    def rng(self, purpose):
        """A NumPy generator seeded by the config's seed and what it is for, so inputs never shift."""
        return np.random.default_rng([int(self.training_cfg["seed"]), *purpose.encode()])

    @cached_property
    def mnist_arrays(self):
        """MNIST, uint8 ((x_train, y_train), (x_test, y_test)), images (N, H, W): the whole test
        set, but only the first training images, which the grader's own inputs use (the sandbox
        reads the full set itself). In a container, memory this process holds is taken from the
        student's training process, which shares the limit."""
        (x_train, y_train), test = load_mnist_arrays(self.mnist)
        return (x_train[:GRADER_TRAIN_IMAGES].copy(), y_train[:GRADER_TRAIN_IMAGES].copy()), test

    @property
    def test_set(self):
        """(x_test (N, H, W) uint8, y_test (N,)): MNIST's test set."""
        return self.mnist_arrays[1]

    def probe(self, kind):
        """Fixed decoder inputs, (16, Z) or (16, Z + C), to check a rebuilt decoder against."""
        rng, z = self.rng("probe"), int(self.training_cfg["latent_size"])
        latent = rng.standard_normal((16, z)).astype(np.float32)
        if kind == "vae":
            return latent
        return np.concatenate([latent, np.eye(NUM_CLASSES, dtype=np.float32)[np.arange(16) % NUM_CLASSES]], axis=1)

    def functions(self):
        """Inputs of the checks of reparameterize and loss_function (items 2-3)."""
        rng = self.rng("functions")
        arrays = {
            # reparameterize: 50,000 draws for 4 (mu, logvar) pairs, chosen so that common mistakes differ
            "rep_mu": np.tile(np.float32([-1.0, 0.0, 2.0, 5.0]), (50000, 1)),
            "rep_logvar": np.tile(np.float32([0.0, np.log(4.0), np.log(0.25), 1.0]), (50000, 1)),
            "grad_mu": rng.standard_normal((64, 5)).astype(np.float32),
            "grad_logvar": rng.uniform(-1, 1, (64, 5)).astype(np.float32),
        }
        for case, inputs in self.loss_inputs.items():
            for key, value in inputs.items():
                arrays[f"loss_{case}_{key}"] = value
        return arrays

    def model(self, kind):
        """The train-`kind` stage's inputs: the forward checks' (item 4), the held-out images that
        measure the first epoch (item 5), the evaluation's noise and probe, and the CVAE's
        generation inputs; for the VAE, also the functions' (items 2-3)."""
        t, rng = self.training_cfg, self.rng(f"model-{kind}")
        x_test, y_test = self.test_set
        z, eye = int(t["latent_size"]), np.eye(NUM_CLASSES, dtype=np.float32)
        arrays = {
            "fwd_x": (x_test[:8, None] / 255.0).astype(np.float32),  # (8, 1, H, W)
            "fwd_c": eye[y_test[:8]],
            "fwd_z": rng.standard_normal((8, z)).astype(np.float32),
            "fwd_c_a": eye[np.arange(8) % NUM_CLASSES],
            "fwd_c_b": eye[(np.arange(8) + 5) % NUM_CLASSES],
            "eval_images": x_test[-EVAL_IMAGES:], "eval_labels": y_test[-EVAL_IMAGES:],
            "eval_eps": rng.standard_normal((EVAL_IMAGES, z)).astype(np.float32),
            "test_eps": rng.standard_normal((TEST_IMAGES, z)).astype(np.float32),
            f"probe_{kind}": self.probe(kind),
        }
        if kind == "vae":
            arrays.update(self.functions())
        else:
            per_digit = int(self.config.thresholds["generations_per_digit"])
            arrays["gen_labels"] = np.repeat(np.arange(NUM_CLASSES), per_digit)
            arrays["gen_z"] = rng.standard_normal((len(arrays["gen_labels"]), z)).astype(np.float32)
        return arrays

    @cached_property
    def loss_inputs(self):
        """Item 3's fixed inputs: {case: {x_hat, x, mu, logvar}}; the rubric judges the same ones."""
        x_test = self.test_set[0]
        rng, n, z = self.rng("loss"), 8, 15
        x = (x_test[100:100 + n, None] / 255.0).astype(np.float32)
        x_hat = rng.uniform(0.02, 0.98, x.shape).astype(np.float32)
        mu = rng.normal(0, 1.5, (n, z)).astype(np.float32)
        logvar = rng.uniform(-2, 1, (n, z)).astype(np.float32)
        base = {"x_hat": x_hat, "x": x, "mu": mu, "logvar": logvar}
        doubled = {k: np.concatenate([v, v]) for k, v in base.items()}
        no_kl = dict(base, mu=np.zeros_like(mu), logvar=np.zeros_like(logvar))
        return {"base": base, "doubled": doubled, "no_kl": no_kl}
