"""Section 3: loss_function is the batch-averaged negative ELBO (BCE summed over pixels + KL)."""
import numpy as np

from ..evidence import elbo
from . import RubricTest, item

REL_TOL = 1e-3  # float32 sums over 8 x 784 pixels agree with float64 to ~1e-6; this is generous


def loss_matches_reference(evidence):
    """Whether the student's loss_function gave the reference value on item 3's base case."""
    try:
        value = evidence.checks.require("loss_function").values["base"]["value"]
        expected = elbo.loss_variants(**evidence.loss_inputs["base"])["correct"]
        return len(value) == 1 and abs(float(value[0]) - expected) <= REL_TOL * abs(expected)
    except Exception:  # no record, or a malformed one: the scale is unknown
        return False


class TestLossFunction(RubricTest):
    def values(self):
        step = self.check_step(self.evidence.checks, "loss_function")
        values = {}
        for case, expected_n in (("base", 8), ("doubled", 16), ("no_kl", 8)):
            record = step.values.get(case) or {}
            shape, value = tuple(record.get("shape", ())), record.get("value") or []
            values[case] = (shape, np.asarray(value, dtype=np.float64))
        return values

    def expected(self, case):
        return elbo.loss_variants(**self.evidence.loss_inputs[case])

    def scalar(self, case):
        shape, value = self.values()[case]
        if shape != () or value.size != 1 or not np.isfinite(value).all():
            self.fail(f"loss_function must return a finite scalar; got shape {shape} "
                      f"and value {value.tolist()[:4]}")
        return float(value[0])

    @item("3.1")
    def test_scalar(self):
        """loss_function returns a finite scalar"""
        shape, value = self.values()["base"]
        if shape != ():
            self.fail(f"Expected a scalar (shape ()), got shape {shape}: reduce over the batch too.")
        self.scalar("base")
        print("loss_function returns a scalar.")

    @item("3.2")
    def test_matches_reference(self):
        """loss_function matches the reference value on fixed inputs"""
        got, variants = self.scalar("base"), self.expected("base")
        expected = variants["correct"]
        if abs(got - expected) <= REL_TOL * abs(expected):
            print(f"loss_function gave {got:.4f}; the reference gives {expected:.4f}.")
            return
        mistake = elbo.closest_variant(got, {k: v for k, v in variants.items() if k != "correct"})
        self.fail(f"On 8 fixed images, expected {expected:.4f} (tolerance {REL_TOL:.0e} relative), got {got:.4f}."
                  + (f" Your value matches the loss with {mistake}." if mistake else ""))

    @item("3.3")
    def test_batch_average(self):
        """loss_function averages over the batch instead of summing"""
        once, twice = self.scalar("base"), self.scalar("doubled")
        if abs(twice - once) <= REL_TOL * abs(once):
            print("The same batch repeated twice gives the same loss: it is a batch average.")
            return
        if abs(twice - 2 * once) <= REL_TOL * abs(once):
            self.fail(f"Repeating the batch doubled the loss ({once:.2f} -> {twice:.2f}): divide the sum "
                      "over images by the batch size N.")
        self.fail(f"Repeating the batch changed the loss from {once:.2f} to {twice:.2f}; "
                  "a batch average would not change.")

    @item("3.4")
    def test_kl_term(self):
        """loss_function includes the KL term, with the right sign"""
        with_kl, without = self.scalar("base"), self.scalar("no_kl")
        inputs = self.evidence.loss_inputs["base"]
        kl = float(elbo.kl(inputs["mu"], inputs["logvar"]).mean())
        got = with_kl - without  # the reconstruction terms are the same in both cases
        # Averaging over the batch is item 3.3's business: here a batch sum (N * KL) also counts.
        scales = {1: "", len(inputs["mu"]): " (summed over the batch: see item 3.3)"}
        for scale, note in scales.items():
            if abs(got - scale * kl) <= 1e-2 * scale * kl:
                print(f"The KL term adds {got:.3f} to the loss, as expected ({scale * kl:.3f}){note}.")
                return
            if abs(got + scale * kl) <= 1e-2 * scale * kl:
                self.fail(f"The KL term has the wrong sign: it changed the loss by {got:.3f}, expected "
                          f"+{scale * kl:.3f}. KL = -0.5 * sum(1 + logvar - mu^2 - exp(logvar)) is added to the BCE.")
        if abs(got) <= 1e-6 * max(1.0, abs(with_kl)):
            self.fail("The loss does not change with mu and logvar: add the KL divergence term.")
        self.fail(f"Changing mu and logvar changed the loss by {got:.3f} per image; the KL term of these "
                  f"inputs is {kl:.3f} (summed over latent dimensions, averaged over the batch).")
