"""Section 10 (optional Part 2): the Sampling layer, the ConvVAE's architecture, the conditional
model's use of the label, and short trainings measured by the grader (loss, generations)."""
import numpy as np

from ..evidence import IMAGE_PIXELS, NUM_CLASSES, elbo, validated
from ..evidence.part_inputs import PART_Z
from . import RubricTest, item, tiered
from .test_2_reparameterize import VARIANCE_MISTAKES

PART = "conv_vae"
# The architecture table (ualberta-a3): (layer type, output shape without N, parameters).
ENCODER = [("Conv2D", [14, 14, 32], 320), ("Conv2D", [7, 7, 64], 18496), ("Flatten", [3136], 0),
           ("Dense", [14], 43918), ("Dense", [2], 30), ("Dense", [2], 30), ("Sampling", [2], 0)]
DECODER = [("Dense", [3136], 9408), ("Reshape", [7, 7, 64], 0), ("Conv2DTranspose", [14, 14, 64], 36928),
           ("Conv2DTranspose", [28, 28, 32], 18464), ("Conv2DTranspose", [28, 28, 1], 289)]
PARAMS = {"encoder": 62794, "decoder": 65089}


def table_problem(name, got, expected):
    """The first difference between a model's layer table and the expected one, or None."""
    try:  # the table comes from the sandbox: any shape of data may arrive
        got = [(str(t), list(s), p) for t, s, p in got if t != "InputLayer"]
    except (TypeError, ValueError):
        return f"{name}: its layers could not be read"
    for index, (want, have) in enumerate(zip(expected, got)):
        if tuple(want) != tuple(have):
            return (f"{name} layer {index + 1}: expected {want[0]} with output (N, {', '.join(map(str, want[1]))}) "
                    f"and {want[2]:,} parameters, got {have[0]} with output (N, "
                    f"{', '.join(map(str, have[1]))}) and {have[2]:,}")
    if len(got) != len(expected):
        return f"{name}: expected {len(expected)} layers after the input, got {len(got)}"
    return None


class TestConvVAE(RubricTest):
    @item("10.1")
    def test_sampling(self):
        """Sampling layer: z = z_mean + exp(0.5 * z_log_var) * epsilon, fresh epsilon per call"""
        step, inputs = self.part_step("p2_sampling")
        mu, logvar = inputs["rep_mu"][0].astype(np.float64), inputs["rep_logvar"][0].astype(np.float64)
        shape = step.values.get("shape")
        if shape != [7, 2]:
            self.fail(f"For z_mean of shape (7, 2), expected z of shape (7, 2), got {shape}")
        first = self.array(step.arrays, "first", shape=(50000, 4), what="z")
        second = self.array(step.arrays, "second", shape=(50000, 4), what="z")
        if np.array_equal(first, second):
            self.fail("Two calls returned the same z: draw epsilon in call() with "
                      "keras.random.normal(..., seed=self.seed_generator).")
        mean, variance = first.mean(axis=0), first.var(axis=0)
        if np.any(np.abs(mean - mu) > 6 * np.exp(0.5 * logvar) / np.sqrt(len(first)) + 1e-3):
            self.fail(f"Expected z's mean to be z_mean = {mu.tolist()}, got {np.round(mean, 3).tolist()}.")
        expected = np.exp(logvar)
        if np.any(np.abs(variance / expected - 1) > 0.05):
            diagnosis = next((name for name, wrong in VARIANCE_MISTAKES.items()
                              if np.all(np.abs(variance / np.maximum(wrong(logvar), 1e-9) - 1) < 0.05)), None)
            self.fail(f"For z_log_var = {np.round(logvar, 3).tolist()}, expected variances "
                      f"{np.round(expected, 3).tolist()}, got {np.round(variance, 3).tolist()}."
                      + (f" This matches {diagnosis}." if diagnosis else ""))
        print(f"50,000 draws: mean {np.round(mean, 3).tolist()}, variance {np.round(variance, 3).tolist()}.")

    @item("10.2")
    def test_architecture(self):
        """ConvVAE: encoder and decoder match the architecture table (62,794 and 65,089 parameters)"""
        step, _ = self.part_step("p2_architecture")
        v = step.values
        problems = [f"the {name} has {v.get(f'{name}_params')} parameters, expected {count:,}"
                    for name, count in PARAMS.items() if v.get(f"{name}_params") != count]
        problems += [p for p in (table_problem("encoder", v.get("encoder_layers") or [], ENCODER),
                                 table_problem("decoder", v.get("decoder_layers") or [], DECODER)) if p]
        if v.get("encoder_outputs") != [[8, 2]] * 3:
            problems.append(f"the encoder should return [z_mean, z_log_var, z] of shape (8, 2) each for 8 "
                            f"images, got shapes {v.get('encoder_outputs')}")
        self.array(step.arrays, "x_hat", shape=(8, 28, 28, 1), lo=0.0, hi=1.0, what="decoder(z), channels last,")
        if problems:
            self.fail("; ".join(problems) + ".")
        print("Encoder: 62,794 parameters; decoder: 65,089; every layer's output shape matches the table.")

    @item("10.3")
    def test_conditional_uses_label(self):
        """ConditionalConvVAE: both the encoder and the decoder use the label"""
        step, _ = self.part_step("p2_conditional")
        unused = []
        for what, key, shape in (("encoder", "z_mean", (8, 2)), ("decoder", "x_hat", (8, 28, 28, 1))):
            a = self.array(step.arrays, f"{key}_a", shape=shape, what=f"{what} output")
            b = self.array(step.arrays, f"{key}_b", shape=shape, what=f"{what} output")
            if np.allclose(a, b, atol=1e-6):
                unused.append(what)
        if unused:
            self.fail(f"The {' and the '.join(unused)} gave the same output for two different labels: "
                      "concatenate the label to its input (images: as a (N, H, W, C) map; z: as (N, Z + C)).")
        print("Changing the label changes both z_mean and the decoded images.")

    @item("10.4", partial=True)
    def test_trained_loss(self, set_score=None):
        """ConvVAE: after {part_epochs}, the grader's negative ELBO is below {conv_loss_limit}"""
        e = self.evidence
        step, _ = self.part_step("p2_train")
        count = int(e.config.raw["part_training"]["test_images"])
        x_test = e.test_images
        mu, logvar, x_hat = self.need(lambda: (validated(step.arrays, "mu", (count, PART_Z)),
                                               validated(step.arrays, "logvar", (count, PART_Z)),
                                               validated(step.arrays, "x_hat", (count, IMAGE_PIXELS), 0.0, 1.0)))
        loss = float(elbo.negative_elbo(x_test[:count] / np.float32(255.0), x_hat, mu, logvar).mean())
        tiers = e.config.raw["part_thresholds"]["conv_loss_tiers"]
        fraction = tiered(loss, tiers, higher_is_better=False)
        set_score(fraction * type(self).test_trained_loss.__weight__)
        cfg, losses = e.config.raw["part_training"], step.values.get("losses")
        losses = [v for v in losses if isinstance(v, (int, float))] if isinstance(losses, list) else []
        print(f"Trained {cfg['epochs']} epochs on {cfg['train_images']:,} MNIST images with the given train_model. "
              f"The grader's negative ELBO (BCE summed over pixels + KL, its own noise) on {count:,} test "
              f"images: {loss:.2f}." + (f" train_model's last epoch: {losses[-1]:.2f}." if losses else ""))
        if fraction < 1.0:
            self.fail(f"Expected a loss below {tiers[0][0]}, got {loss:.2f}: check vae_loss (BCE summed over "
                      "axes (1, 2, 3), KL summed over Z, both averaged over the batch) and train_step.")

    @item("10.5", partial=True)
    def test_conditional_generations(self, set_score=None):
        """ConditionalConvVAE: the classifier recognizes more than {conditional_accuracy} of the digits it generates"""
        e = self.evidence
        step, inputs = self.part_step("p2_train_conditional")
        labels = inputs["gen_labels"]
        generated = self.need(lambda: validated(step.arrays, "generated", (len(labels), IMAGE_PIXELS), 0.0, 1.0))
        predicted = e.labels("-parts", generated)
        accuracy = float((predicted == labels).mean())
        tiers = e.config.raw["part_thresholds"]["conditional_accuracy_tiers"]
        fraction = tiered(accuracy, tiers, higher_is_better=True)
        set_score(fraction * type(self).test_conditional_generations.__weight__)
        by_digit = ", ".join(f"{d}: {np.mean(predicted[labels == d] == d):.0%}" for d in range(NUM_CLASSES))
        print(f"model.decode(z, one_hot(digit)) for z ~ N(0, I) (fixed seed): classifier accuracy "
              f"{accuracy:.1%} (per digit: {by_digit}).")
        if fraction < 1.0:
            self.fail(f"Expected more than {tiers[0][0]:.0%} accuracy, got {accuracy:.1%}: the decoder must "
                      "use the label (item 10.3) and the model must train (item 10.4).")
