"""Section 11 (optional Part 3): log_normal_pdf, the Monte-Carlo ELBO and the latent-space tools,
run on a stand-in model the grader knows exactly (parts.stand_in), so that it can compute every
right answer itself in NumPy."""
import numpy as np
from scipy import stats

from ..evidence import IMAGE_PIXELS, IMAGE_SHAPE, NUM_CLASSES, elbo
from ..evidence.part_inputs import STAND_IN_Z
from . import RubricTest, item

PART = "latent_tools"
LOG_2PI = np.log(2 * np.pi)


def stand_in_encode(inputs, images):
    """The stand-in's z_mean and z_log_var (N, Z) of images (N, 28, 28, 1), in float64."""
    h = images.reshape(len(images), -1).astype(np.float64) @ inputs["p3_w_enc"] + inputs["p3_b_enc"]
    return h[:, :STAND_IN_Z], h[:, STAND_IN_Z:]


def stand_in_decode(inputs, z):
    """The stand-in's pixel probabilities (N, 784) for latents z (N, Z)."""
    return 1.0 / (1.0 + np.exp(-(z @ inputs["p3_w_dec"].astype(np.float64) + inputs["p3_b_dec"])))


def expected_loss(inputs, samples=2000):
    """The negative ELBO with the exact KL, averaged over the batch: (its value, its standard error)."""
    x = inputs["p3_x"]
    mu, logvar = stand_in_encode(inputs, x)
    rng = np.random.default_rng(0)
    per_sample = []
    for _ in range(samples // 100):
        eps = rng.standard_normal((100,) + mu.shape)  # (100, N, Z)
        z = (mu + np.exp(0.5 * logvar) * eps).reshape(-1, STAND_IN_Z)
        x_rep = np.broadcast_to(x.reshape(1, len(x), -1), (100, len(x), IMAGE_PIXELS)).reshape(-1, IMAGE_PIXELS)
        per_sample.append(elbo.bce(x_rep, stand_in_decode(inputs, z)).reshape(100, len(x)).mean(axis=1))
    reconstruction = np.concatenate(per_sample)  # (samples,), batch means
    value = reconstruction.mean() + elbo.kl(mu, logvar).mean()
    return value, reconstruction.std() / np.sqrt(len(reconstruction))


class TestLatentTools(RubricTest):
    @item("11.1")
    def test_log_normal_pdf(self):
        """log_normal_pdf matches SciPy's Gaussian log density, summed over Z"""
        step, inputs = self.part_step("p3_log_normal_pdf")
        x, mean, logvar = (inputs[f"p3_pdf_{k}"].astype(np.float64) for k in ("x", "mean", "logvar"))
        cases = {"full": stats.norm.logpdf(x, mean, np.exp(0.5 * logvar)).sum(axis=1),
                 "standard": stats.norm.logpdf(x).sum(axis=1)}
        for case, expected in cases.items():
            got = self.array(step.arrays, case, shape=expected.shape, what="log_normal_pdf's result (N,)")
            if np.allclose(got, expected, rtol=1e-4, atol=1e-3):
                continue
            gap = got - expected
            call = "log_normal_pdf(x, mean, logvar)" if case == "full" else "log_normal_pdf(x, 0., 0.)"
            hint = ""
            if np.allclose(gap, 0.5 * x.shape[1] * LOG_2PI, atol=1e-3):
                hint = " The difference is 0.5 * Z * log(2 pi) for every point: the log(2 pi) term is missing."
            elif np.allclose(gap, -gap.mean(), atol=1e-3) or np.allclose(got, -expected, rtol=1e-3):
                hint = " The sign is flipped."
            self.fail(f"{call}: for 64 points with Z = 5, expected e.g. {np.round(expected[:3], 3).tolist()}, "
                      f"got {np.round(got[:3], 3).tolist()}.{hint}")
        print("log_normal_pdf agrees with scipy.stats.norm.logpdf summed over Z (64 points, Z = 5).")

    @item("11.2")
    def test_compute_loss(self):
        """compute_loss: its average over z equals the negative ELBO with the exact KL"""
        step, inputs = self.part_step("p3_compute_loss")
        losses = self.array(step.arrays, "losses", what="compute_loss's values")
        if losses.ndim != 1 or len(losses) < 100:
            self.fail(f"compute_loss should return a scalar; got {losses.shape} from the repeated calls.")
        expected, grader_error = expected_loss(inputs)
        mean, error = losses.mean(), losses.std() / np.sqrt(len(losses))
        tolerance = 4 * np.hypot(error, grader_error) + 1e-3 * abs(expected)
        print(f"compute_loss on 16 MNIST images with a fixed stand-in model, called {len(losses)} times: "
              f"mean {mean:.3f} (standard error {error:.3f}). The grader's negative ELBO with the exact "
              f"KL term: {expected:.3f}.")
        if abs(mean - expected) > tolerance:
            hint = ""
            if abs(mean + expected) <= tolerance:
                hint = " It has the opposite sign: return minus the batch mean of log p(x|z) + log p(z) - log q(z|x)."
            elif losses.std() == 0:
                hint = " Every call gave the same value: use the sampled z (the third output of model.encode)."
            self.fail(f"Expected compute_loss to average {expected:.3f} (within {tolerance:.3f}), "
                      f"got {mean:.3f}.{hint}")

    @item("11.3")
    def test_encodings(self):
        """get_allClass_encodings: z_mean of every image (N, Z) and each class's mean (C, Z)"""
        step, inputs = self.part_step("p3_encodings")
        images, labels = inputs["p3_images"], inputs["p3_labels"]
        mu, _ = stand_in_encode(inputs, images)
        encodings = self.array(step.arrays, "encodings", shape=mu.shape, what="encodings (N, Z)")
        means = self.array(step.arrays, "class_means", shape=(NUM_CLASSES, STAND_IN_Z), what="class_means (C, Z)")
        if not np.allclose(encodings, mu, atol=1e-4, rtol=1e-3):
            self.fail("encodings should be z_mean (model.encode(x, c)[0]) of every image, in input order; "
                      "they differ from the model's z_mean.")
        expected = np.stack([mu[labels == k].mean(axis=0) for k in range(NUM_CLASSES)])
        if not np.allclose(means, expected, atol=1e-4, rtol=1e-3):
            self.fail(f"class_means[k] should be the mean z_mean of the images of class k; for class 0 "
                      f"expected {np.round(expected[0], 4).tolist()}, got {np.round(means[0], 4).tolist()}.")
        print(f"encodings {encodings.shape} and class_means {means.shape} match the model's z_mean.")

    @item("11.4")
    def test_walk(self):
        """walk_src_to_dst: evenly spaced latents from the src class mean to the dst class mean, decoded"""
        step, inputs = self.part_step("p3_walk")
        means = inputs["p3_class_means"].astype(np.float64)
        t = np.linspace(0.0, 1.0, 10)[:, None]
        expected = (1 - t) * means[1] + t * means[7]  # (S, Z)
        latents = self.array(step.arrays, "latents", shape=expected.shape, what="latents (S, Z)")
        images = self.array(step.arrays, "images", shape=(10, *IMAGE_SHAPE, 1), what="images (S, H, W, K)")
        problems = []
        if not np.allclose(latents[0], means[1], atol=1e-5):
            problems.append("latents[0] is not class_means[src_class]")
        if not np.allclose(latents[-1], means[7], atol=1e-5):
            problems.append("latents[-1] is not class_means[dst_class]: include the end point "
                            "(t = s / (S - 1), so that t reaches 1)")
        if not problems and not np.allclose(latents, expected, atol=1e-4):
            problems.append("the latents are not evenly spaced on the straight line")
        if problems:
            self.fail(f"For src 1, dst 7 and 10 steps: {'; '.join(problems)}.")
        if not np.allclose(images.reshape(10, -1), stand_in_decode(inputs, latents), atol=1e-4):
            self.fail("images should be model.decode(latents); they differ from the decoded latents.")
        print("The walk starts at the mean of class 1, ends at the mean of class 7, and decodes every point.")
