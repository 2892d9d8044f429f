"""Section 2: reparameterize samples z ~ N(mu, exp(logvar)) differentiably."""
import numpy as np

from . import RubricTest, item

# What z's variance becomes under common mistakes, given logvar (a NumPy array).
VARIANCE_MISTAKES = {
    "exp(logvar) used as the standard deviation (it is the variance; std = exp(0.5 * logvar))":
        lambda lv: np.exp(2 * lv),
    "logvar used as the standard deviation": lambda lv: lv ** 2,
    "exp(0.5 * logvar) used as the variance (z = mu + sqrt(std) * eps)": lambda lv: np.exp(0.5 * lv),
    "logvar used as the variance": lambda lv: np.abs(lv),
}


class TestReparameterize(RubricTest):
    def samples(self):
        step = self.check_step(self.evidence.checks, "reparameterize")
        inputs = self.evidence.stage_inputs("train-vae")
        return step, inputs["rep_mu"][0].astype(np.float64), inputs["rep_logvar"][0].astype(np.float64)

    @item("2.1")
    def test_shape(self):
        """reparameterize returns z with the shape of mu"""
        step, _, _ = self.samples()
        shape = tuple(step.values.get("shape", ()))
        if shape != (7, 15):
            self.fail(f"For mu and logvar of shape (7, 15), expected z of shape (7, 15), got {shape}")
        print("z has the shape of mu.")

    @item("2.2")
    def test_mean_and_fresh_noise(self):
        """z's mean is mu, and every call draws new noise"""
        step, mu, logvar = self.samples()
        first = self.array(step.arrays, "first", shape=(50000, 4), what="z")
        second = self.array(step.arrays, "second", shape=(50000, 4), what="z")
        if np.allclose(first.std(axis=0), 0):
            self.fail("z has no noise: it equals mu. Add sigma * epsilon with epsilon ~ N(0, I).")
        if np.array_equal(first, second):
            self.fail("Two calls returned the same z: draw a new epsilon on every call "
                      "(tf.random.normal inside reparameterize, not a fixed tensor).")
        tolerance = 6 * np.exp(0.5 * logvar) / np.sqrt(len(first)) + 1e-3
        mean = first.mean(axis=0)
        if np.any(np.abs(mean - mu) > tolerance):
            self.fail(f"Expected z's mean to be mu = {mu.tolist()}, got {np.round(mean, 3).tolist()} "
                      "over 50,000 draws.")
        print(f"Mean of 50,000 draws: {np.round(mean, 3).tolist()} (mu = {mu.tolist()}).")

    @item("2.3")
    def test_variance(self):
        """z's variance is exp(logvar): logvar is a log-variance"""
        step, _, logvar = self.samples()
        variance = self.array(step.arrays, "first", shape=(50000, 4), what="z").var(axis=0)
        expected = np.exp(logvar)
        if np.all(np.abs(variance / expected - 1) < 0.05):
            print(f"Variance of 50,000 draws: {np.round(variance, 3).tolist()} "
                  f"(exp(logvar) = {np.round(expected, 3).tolist()}).")
            return
        diagnosis = next((name for name, wrong in VARIANCE_MISTAKES.items()
                          if np.all(np.abs(variance / np.maximum(wrong(logvar), 1e-9) - 1) < 0.05)), None)
        self.fail(f"For logvar = {np.round(logvar, 3).tolist()}, expected variances "
                  f"{np.round(expected, 3).tolist()}, got {np.round(variance, 3).tolist()}."
                  + (f" This matches {diagnosis}." if diagnosis else ""))

    @item("2.4")
    def test_gradients(self):
        """gradients flow from z back to mu and logvar"""
        step, _, _ = self.samples()
        missing = [name for name in ("mu", "logvar") if f"grad_{name}" not in step.arrays]
        if missing:
            self.fail(f"No gradient reaches {' or '.join(missing)}: compute z from mu and logvar with "
                      "TensorFlow operations (not NumPy, and not .numpy()).")
        grad_mu = self.array(step.arrays, "grad_mu", shape=(64, 5), what="dz/dmu")
        grad_logvar = self.array(step.arrays, "grad_logvar", shape=(64, 5), what="dz/dlogvar")
        if not np.allclose(grad_mu, 1.0, atol=1e-4):
            self.fail(f"d(sum z)/d(mu) should be 1 everywhere (z = mu + ...), got values from "
                      f"{grad_mu.min():.3g} to {grad_mu.max():.3g}.")
        if np.allclose(grad_logvar, 0.0):
            self.fail("The gradient with respect to logvar is zero: z must depend on logvar.")
        print("Gradients reach both mu and logvar.")
