"""Section 5: one epoch of train_vae on a small subset trains the model and returns the loss sum."""
import math

from ..grading import Unavailable
from . import RubricTest, item
from .test_3_loss_function import loss_matches_reference


class TestTrainVae(RubricTest):
    def smoke(self, kind):
        """(record, grader loss before, grader loss after) of one epoch on the subset."""
        g = self.grading
        step = self.check_step(g.checks, f"{kind}_smoke")
        inputs = g.request_arrays("checks")
        losses = []
        for when in ("before", "after"):  # the same secret noise for both, so they compare
            try:
                losses.append(g.measure(step, inputs["eval_images"], inputs["eval_labels"], kind,
                                        secret=g.rng(f"secret-smoke-{kind}"), prefix=f"{when}_").loss)
            except Unavailable as why:
                self.fail(f"{why} ({when} training)")
        return step, losses[0], losses[1]

    @item("5.1", partial=True)
    def test_lowers_loss(self, set_score=None):
        """train_vae trains the VAE and the CVAE: one epoch on a small subset lowers the loss"""
        score, messages, failed = 0.0, [], []
        points = type(self).test_lowers_loss.__weight__
        for kind in ("vae", "cvae"):
            try:
                step, before, after = self.smoke(kind)
            except AssertionError as failure:
                messages.append(f"{kind.upper()}: {failure}")
                failed.append(kind.upper())
                continue
            changed, total = step.values.get("weights_changed", 0), step.values.get("weights_total", 0)
            if changed == 0:
                messages.append(f"{kind.upper()}: no weight changed. Apply the gradients with "
                                "model.optimizer.apply_gradients(zip(gradients, model.trainable_variables)).")
                failed.append(kind.upper())
            elif not after < before:
                messages.append(f"{kind.upper()}: the loss on 500 held-out images went from {before:.1f} to "
                                f"{after:.1f}; training should lower it.")
                failed.append(kind.upper())
            else:
                score += points / 2
                messages.append(f"{kind.upper()}: one epoch lowered the loss on 500 held-out images from "
                                f"{before:.1f} to {after:.1f} ({changed} of {total} weight tensors changed).")
        set_score(score)
        print("\n".join(messages))
        if failed:
            self.fail(f"train_vae did not train the {' and the '.join(failed)} (details above).")

    @item("5.2", partial=True)
    def test_returns_loss_sum(self, set_score=None):
        """train_vae returns the sum of the batch losses, a finite number"""
        score, messages, failed = 0.0, [], []
        points = type(self).test_returns_loss_sum.__weight__
        # Whether a small return value means "a mean, not a sum" needs a loss on the right scale.
        scale_known = loss_matches_reference(self.grading)
        for kind in ("vae", "cvae"):
            try:
                step, before, after = self.smoke(kind)
            except AssertionError as failure:
                messages.append(f"{kind.upper()}: {failure}")
                failed.append(kind.upper())
                continue
            returned, why = step.values.get("returned"), step.values.get("returned_error")
            batches = step.values.get("batches") or 1
            if why or returned is None or not math.isfinite(returned):
                messages.append(f"{kind.upper()}: {why or f'returned {returned}, not a finite number'}.")
                failed.append(kind.upper())
                continue
            per_batch = returned / batches
            if scale_known and per_batch < 0.5 * after:
                messages.append(f"{kind.upper()}: returned {returned:.2f} for {batches} batches, "
                                f"{per_batch:.2f} per batch, while the loss per image was between {after:.1f} "
                                f"and {before:.1f}. Return the sum of the batch losses, not their mean.")
                failed.append(kind.upper())
                continue
            score += points / 2
            messages.append(f"{kind.upper()}: returned {returned:.1f} for {batches} batches.")
        set_score(score)
        print("\n".join(messages))
        if failed:
            self.fail(f"train_vae's return value for the {' and the '.join(failed)} is not the loss sum "
                      "(details above).")

    @item("5.3", partial=True)
    def test_keeps_optimizer(self, set_score=None):
        """train_vae keeps the optimizer's state across epochs"""
        score, messages, failed = 0.0, [], []
        points = type(self).test_keeps_optimizer.__weight__
        for kind in ("vae", "cvae"):
            try:
                step = self.check_step(self.grading.checks, f"{kind}_smoke")
            except AssertionError as failure:
                messages.append(f"{kind.upper()}: {failure}")
                failed.append(kind.upper())
                continue
            if step.values.get("second_call_error"):
                messages.append(f"{kind.upper()}: a second call of train_vae failed: {step.values['second_call_error']}")
                failed.append(kind.upper())
                continue
            reported = step.values.get("optimizer_steps")
            first, second = (set(map(str, steps)) if isinstance(steps, dict) else set()
                             for steps in (reported if isinstance(reported, list) and len(reported) == 2 else ({}, {})))
            if first & second:
                score += points / 2
                own = "" if str(step.values.get("given_optimizer")) in first else " (its own, not model.optimizer)"
                messages.append(f"{kind.upper()}: a second call of train_vae went on with the same optimizer{own}.")
            elif not first and not second and step.values.get("weights_changed"):
                score += points / 2
                messages.append(f"{kind.upper()}: no Keras optimizer took a step (the weights were updated "
                                "otherwise), so there is no optimizer state to keep.")
            elif not first and not second:
                messages.append(f"{kind.upper()}: train_vae took no optimizer step, so no optimizer state is kept "
                                "(see item 5.1).")
                failed.append(kind.upper())
            else:
                messages.append(f"{kind.upper()}: train_vae creates a new optimizer, so Adam's state resets every "
                                "epoch; use model.optimizer.")
                failed.append(kind.upper())
        set_score(score)
        print("\n".join(messages))
        if failed:
            self.fail(f"train_vae does not keep its optimizer across calls for the {' and the '.join(failed)} "
                      "(details above).")
