"""Section 5: train_vae trains the model: its first epoch lowers the loss, it returns the loss sum,
and the optimizer's state carries over from one epoch to the next.

The evidence is the model's own training (the first two epochs of items 6-7), in the process
that trains it, as the handout's main() would run it."""
import math

from ..evidence import Unavailable
from ..evidence.training import optimizer_use
from . import RubricTest, item
from .test_3_loss_function import loss_matches_reference


class TestTrainVae(RubricTest):
    def first_epoch(self, kind):
        """(record of the first epoch, grader loss before it, grader loss after it)."""
        e = self.evidence
        step = self.check_step(e.model(kind), "epoch_1")
        losses = []
        for when in ("before", "after"):  # the same secret noise for both, so they compare
            try:
                losses.append(e.first_epoch_loss(kind, when))
            except Unavailable as why:
                self.fail(f"{why} ({when} training)")
        return step, losses[0], losses[1]

    def per_model(self, set_score, get, judge, failure):
        """Score an item half for the VAE, half for the CVAE, and print what was seen of each.

        get(kind): the evidence (an AssertionError, a failed step, costs that half); judge(kind,
        evidence): (passed, message); failure(the models that failed): the item's failure message.
        """
        points = getattr(type(self), self._testMethodName).__weight__
        score, messages, failed = 0.0, [], []
        for kind in ("vae", "cvae"):
            try:
                evidence = get(kind)
            except AssertionError as why:
                passed, message = False, str(why)
            else:
                passed, message = judge(kind, evidence)
            messages.append(f"{kind.upper()}: {message}")
            if passed:
                score += points / 2
            else:
                failed.append(kind.upper())
        set_score(score)
        print("\n".join(messages))
        if failed:
            self.fail(failure(" and the ".join(failed)))

    @item("5.1", partial=True)
    def test_lowers_loss(self, set_score=None):
        """train_vae trains the VAE and the CVAE: the first epoch lowers the loss"""
        def judge(kind, first_epoch):
            step, before, after = first_epoch
            changed, total = step.values.get("weights_changed", 0), step.values.get("weights_total", 0)
            if changed == 0:
                return False, ("no weight changed. Apply the gradients with "
                               "model.optimizer.apply_gradients(zip(gradients, model.trainable_variables)).")
            if not after < before:
                return False, (f"the loss on 500 held-out images went from {before:.1f} to "
                               f"{after:.1f}; training should lower it.")
            return True, (f"the first epoch lowered the loss on 500 held-out images from "
                          f"{before:.1f} to {after:.1f} ({changed} of {total} weight tensors changed).")

        self.per_model(set_score, self.first_epoch, judge,
                       lambda models: f"train_vae did not train the {models} (details above).")

    @item("5.2", partial=True)
    def test_returns_loss_sum(self, set_score=None):
        """train_vae returns the sum of the batch losses, a finite number"""
        # Whether a small return value means "a mean, not a sum" needs a loss on the right scale.
        scale_known = loss_matches_reference(self.evidence)

        def judge(kind, first_epoch):
            step, before, after = first_epoch
            returned, why = step.values.get("returned"), step.values.get("returned_error")
            batches = step.values.get("batches") or 1
            if why or returned is None or not math.isfinite(returned):
                return False, f"{why or f'returned {returned}, not a finite number'}."
            per_batch = returned / batches
            if scale_known and per_batch < 0.5 * after:
                return False, (f"returned {returned:.2f} for {batches} batches, "
                               f"{per_batch:.2f} per batch, while the loss per image was between {after:.1f} "
                               f"and {before:.1f}. Return the sum of the batch losses, not their mean.")
            return True, f"returned {returned:.1f} for {batches} batches."

        self.per_model(set_score, self.first_epoch, judge,
                       lambda models: f"train_vae's return value for the {models} is not the loss sum (details above).")

    @item("5.3", partial=True)
    def test_keeps_optimizer(self, set_score=None):
        """train_vae keeps the optimizer's state across epochs"""
        def epochs(kind):
            outcome = self.evidence.model(kind)
            first, second = (self.check_step(outcome, f"epoch_{e}", context=f"epoch {e} of train_vae failed")
                             for e in (1, 2))
            return first, second, outcome.require("prepare").values.get("given_optimizer")

        def judge(kind, records):
            first, second, given = records
            use = optimizer_use(first.values, second.values, given)
            if use.kept:
                own = " (its own, not model.optimizer)" if use.own else ""
                return True, f"the second epoch went on with the optimizer of the first{own}."
            if use.new_each_call:
                return False, ("train_vae creates a new optimizer, so Adam's state resets every epoch; "
                               "use model.optimizer.")
            if first.values.get("weights_changed"):
                return True, ("no Keras optimizer took a step (the weights were updated otherwise), so "
                              "there is no optimizer state to keep.")
            return False, "train_vae took no optimizer step, so no optimizer state is kept (see item 5.1)."

        self.per_model(set_score, epochs, judge,
                       lambda models: f"train_vae does not keep its optimizer across calls for the {models} "
                                      "(details above).")
