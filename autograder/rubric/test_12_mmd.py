"""Section 12 (optional Part 4, graduate: only with the 2470student flag): the Gaussian kernel,
the MMD estimate, and a short training of the MMDVAE judged by the grader's own MMD."""
import numpy as np

from ..evidence import IMAGE_PIXELS, NUM_CLASSES, validated
from ..evidence.mmd_formula import kernel, mmd
from ..evidence.part_inputs import PART_Z
from . import RubricTest, item

PART = "mmd"
SAME_LIMIT = 0.02    # biased MMD of two 400-point N(0, I) samples in Z = 4 is ~0.004 (self-pairs)
SHIFTED_MIN = 0.02   # shifted by 1 in each dimension it is ~0.26 (the handout's kernel), ~0.05 (no / Z)


def kernel_hint(got, expected, x, y):
    """What a wrong compute_kernel(x, y) matches instead, as a hint for the student, or ""."""
    if np.allclose(got, expected ** x.shape[1], rtol=1e-4, atol=1e-6):
        return " It matches exp(-|x - y|^2): divide the squared distance by the dimension Z."
    if np.allclose(got, kernel(x, y).T if got.shape == expected.T.shape else got + 1, rtol=1e-4):
        return " It is transposed: row i is x_i, column j is y_j."
    return ""


class TestMMD(RubricTest):
    @item("12.1")
    def test_kernel(self):
        """compute_kernel: exp(-|x_i - y_j|^2 / Z) for every pair"""
        step, inputs = self.part_step("p4_kernel")
        x, y = inputs["p4_kx"], inputs["p4_ky"]
        expected = kernel(x, y)
        got = self.array(step.arrays, "kernel", shape=expected.shape, what="compute_kernel(x, y) (N, M)")
        if not np.allclose(got, expected, rtol=1e-4, atol=1e-6):
            self.fail(f"For x (20, 4) and y (30, 4), expected kernel[0, :3] = {np.round(expected[0, :3], 4).tolist()}, "
                      f"got {np.round(got[0, :3], 4).tolist()}.{kernel_hint(got, expected, x, y)}")
        print("compute_kernel matches exp(-|x - y|^2 / Z) on 20 x 30 pairs.")

    @item("12.2")
    def test_mmd(self):
        """compute_mmd: about 0 for one distribution, clearly > 0 for shifted ones, symmetric"""
        step, inputs = self.part_step("p4_mmd")
        values = step.values
        if not all(isinstance(values.get(k), float) and np.isfinite(values[k]) for k in ("same", "shifted", "swapped")):
            self.fail("compute_mmd should return a finite scalar.")
        k_xx, k_yy, k_xy = (self.array(step.arrays, f"k_{p}", shape=(400, 400), what=f"compute_kernel (k_{p})")
                            for p in ("xx", "yy", "xy"))
        own = k_xx.mean() + k_yy.mean() - 2 * k_xy.mean()  # the formula, with the student's own kernel
        same, shifted, swapped = values["same"], values["shifted"], values["swapped"]
        print(f"400 points each in Z = 4: MMD(x, y) = {same:.4f} for x, y ~ N(0, I); {shifted:.4f} with y "
              f"shifted by 1 per dimension (the handout's kernel gives {mmd(inputs['p4_x'], inputs['p4_shifted']):.4f}).")
        if abs(shifted - own) > 1e-4 + 1e-3 * abs(own):
            hint = ""
            if abs(shifted - (k_xx.mean() + k_yy.mean())) <= 1e-4 + 1e-3 * abs(own):
                hint = " It equals mean k(x, x') + mean k(y, y'): the cross term - 2 mean k(x, y) is missing."
            self.fail(f"Expected mean k(x, x') + mean k(y, y') - 2 mean k(x, y) = {own:.4f} (from your "
                      f"compute_kernel), got {shifted:.4f}.{hint}")
        if not same < SAME_LIMIT:
            self.fail(f"For two samples of the same distribution, expected an MMD near 0 (< {SAME_LIMIT}), got {same:.4f}.")
        if not shifted > SHIFTED_MIN:
            self.fail(f"For shifted samples, expected an MMD clearly above 0 (> {SHIFTED_MIN}), got {shifted:.4f}.")
        if abs(shifted - swapped) > 1e-5 + 1e-4 * abs(shifted):
            self.fail(f"compute_mmd(x, y) = {shifted:.5f} but compute_mmd(y, x) = {swapped:.5f}: it must be symmetric.")

    @item("12.3")
    def test_trained_mmd_vae(self):
        """MMDVAE: after {mmd_epochs}, its latent codes match N(0, I) and decode to varied digits"""
        e = self.evidence
        step, inputs = self.part_step("p4_train")
        limits = e.config.raw["part_thresholds"]
        count = int(e.config.raw["part_training"]["test_images"])
        z_gen = inputs["p4_gen_z"]
        z_mean, generated = self.need(lambda: (validated(step.arrays, "z_mean", (count, PART_Z)),
                                               validated(step.arrays, "generated", (len(z_gen), IMAGE_PIXELS), 0.0, 1.0)))
        prior = e.mmd_prior(count)
        distance = mmd(z_mean[:1000], prior[:1000])
        predicted = e.labels("-mmd", generated)
        shares = np.bincount(predicted, minlength=NUM_CLASSES) / len(predicted)
        digits = int((shares >= 0.02).sum())
        mean, std = (", ".join(f"{v:.2f}" for v in stat(z_mean[:1000], axis=0)) for stat in (np.mean, np.std))
        print(f"z_mean of 1,000 test images: mean ({mean}), std ({std}); the grader's MMD to N(0, I) "
              f"(1,000 prior samples): {distance:.4f}.\n"
              f"Decoding {len(z_gen)} z ~ N(0, I): the classifier finds {digits} digits with at least 2% each "
              f"(shares: {', '.join(f'{d}: {s:.0%}' for d, s in enumerate(shares))}).")
        problems = []
        if not distance < limits["mmd_prior_limit"]:
            problems.append(f"the encodings' MMD to N(0, I) is {distance:.4f}, expected below {limits['mmd_prior_limit']} "
                            "(check mmd_vae_loss and loss_terms: the MMD must compare z with prior samples)")
        if digits < limits["mmd_min_digits"]:
            problems.append(f"only {digits} digits appear among the generations, expected at least {limits['mmd_min_digits']}")
        if problems:
            message = "; ".join(problems)
            self.fail(message[0].upper() + message[1:] + ".")
